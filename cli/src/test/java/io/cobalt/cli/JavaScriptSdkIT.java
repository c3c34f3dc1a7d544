package io.cobalt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A second real client, in another language: the official Azure SDKs for JavaScript
 * ({@code @azure/storage-blob}, {@code @azure/data-tables}, {@code @azure/storage-queue}, pinned in
 * {@code src/test/js/package.json}) run a smoke path of each endpoint against an in-process cluster. Node.js and npm come with the machine image; CI fails (rather than skips)
 * without them.
 */
class JavaScriptSdkIT {
  private static final Path JS = Paths.get("src", "test", "js").toAbsolutePath();

  @Test
  void officialJavaScriptSdkRunsTheSmokePath(@TempDir Path data) throws Exception {
    boolean haveNode = run(List.of("node", "--version"), JS, null, 30) == 0;
    if ("true".equals(System.getenv("CI"))) {
      assertTrue(haveNode, "Node.js is required in CI for the JavaScript SDK test");
    }
    assumeTrue(haveNode, "Node.js not installed: skipping the JavaScript SDK test");
    Path azure = JS.resolve("node_modules").resolve("@azure");
    if (!Files.isDirectory(azure.resolve("storage-blob")) || !Files.isDirectory(azure.resolve("data-tables"))
        || !Files.isDirectory(azure.resolve("storage-queue"))) {
      assertEquals(0, run(List.of("npm", "ci"), JS, null, 300), "npm ci failed");
    }
    try (DevCluster cluster = DevCluster.start(
        DevCluster.Options.defaults(data).withBlobPort(0).withTablePort(0).withQueuePort(0))) {
      for (String script : List.of("blob-smoke.mjs", "table-smoke.mjs", "queue-smoke.mjs")) {
        assertEquals(0, run(List.of("node", script), JS, cluster.connectionString(), 120),
            "the JavaScript smoke script " + script + " failed (its output is above)");
      }
    }
  }

  private static int run(List<String> cmd, Path dir, String connectionString, int timeoutSeconds)
      throws IOException, InterruptedException {
    Path log = Files.createTempFile("cobalt-js-", ".log");
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    if (connectionString != null) {
      pb.environment().put("COBALT_CONNECTION_STRING", connectionString);
    }
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      return -1;
    }
    boolean finished = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
    if (!finished) {
      p.destroyForcibly().waitFor();
    }
    String out = Files.readString(log, StandardCharsets.UTF_8);
    Files.deleteIfExists(log);
    if (!finished) {
      throw new AssertionError(cmd + " did not finish in " + timeoutSeconds + " s:\n" + out);
    }
    System.out.println(String.join(" ", cmd) + ":\n" + out);
    return p.exitValue();
  }
}
