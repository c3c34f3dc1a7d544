package io.cobalt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cobalt dev} as a user runs it: the packaged jar in its own JVM, ready within 15 seconds,
 * printing a connection string; SIGINT (Ctrl-C) stops it cleanly; started again on the same data
 * directory it serves the blobs stored before.
 */
class DevCommandIT {
  private static final long READY_LIMIT_MILLIS = 15_000;

  @Test
  void startsWithin15SecondsStopsOnCtrlCAndKeepsDataAcrossRestarts(@TempDir Path data) throws Exception {
    Path jar = Paths.get("target", "cobalt.jar").toAbsolutePath();
    assertTrue(Files.exists(jar), "the packaged jar is built before integration tests: " + jar);
    int port = freePort();

    Running first = start(jar, data, port);
    try {
      assertTrue(first.readyMillis < READY_LIMIT_MILLIS, "ready in " + first.readyMillis + " ms");
      BlobServiceClient client = new BlobServiceClientBuilder().connectionString(first.connectionString).buildClient();
      client.createBlobContainer("persisted").getBlobClient("hello.txt").upload(BinaryData.fromString("hello, cobalt"));
    } finally {
      first.interruptAndWait();
    }
    first.assertStoppedCleanly();

    Running second = start(jar, data, port);
    try {
      assertTrue(second.readyMillis < READY_LIMIT_MILLIS, "ready again in " + second.readyMillis + " ms");
      BlobServiceClient client = new BlobServiceClientBuilder().connectionString(second.connectionString).buildClient();
      assertEquals("hello, cobalt",
          client.getBlobContainerClient("persisted").getBlobClient("hello.txt").downloadContent().toString());
    } finally {
      second.interruptAndWait();
    }
    second.assertStoppedCleanly();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static final class Running {
    Process process;
    Thread reader;
    long readyMillis;
    String connectionString;
    int exitCode = -1;
    final List<String> output = new ArrayList<>();

    void interruptAndWait() throws Exception {
      new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).inheritIO().start().waitFor();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("cobalt dev did not stop within 30 s of SIGINT");
      }
      exitCode = process.exitValue();
    }

    /** A JVM ended by SIGINT exits with 128 + 2, after its shutdown hook closed every component. */
    void assertStoppedCleanly() throws InterruptedException {
      reader.join(10_000); // the output ends with the process
      synchronized (output) {
        String all = String.join("\n", output);
        assertEquals(130, exitCode, "exit code after Ctrl-C; output:\n" + all);
        assertTrue(output.contains("cobalt dev: stopped"), "no clean stop in the output:\n" + all);
      }
    }
  }

  private static Running start(Path jar, Path data, int port) throws Exception {
    String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-jar", jar.toString(), "dev", "--data", data.toString(),
        "--blob-port", Integer.toString(port)).redirectErrorStream(true);
    Running r = new Running();
    long t0 = System.nanoTime();
    r.process = pb.start();
    BufferedReader out = new BufferedReader(new InputStreamReader(r.process.getInputStream(), StandardCharsets.UTF_8));
    Thread reader = new Thread(() -> {
      try {
        String line;
        boolean next = false;
        while ((line = out.readLine()) != null) {
          synchronized (r.output) {
            r.output.add(line);
            if (next && r.connectionString == null) {
              r.connectionString = line.trim();
              r.readyMillis = (System.nanoTime() - t0) / 1_000_000;
              r.output.notifyAll();
            }
            next = line.startsWith("Connection string:");
          }
        }
      } catch (IOException ignored) {
        // the process ended
      }
    }, "cobalt-dev-output");
    reader.setDaemon(true);
    reader.start();
    r.reader = reader;
    synchronized (r.output) {
      long deadline = System.currentTimeMillis() + 60_000;
      while (r.connectionString == null && r.process.isAlive() && System.currentTimeMillis() < deadline) {
        r.output.wait(200);
      }
    }
    assertNotNull(r.connectionString, "no connection string printed; output:\n" + String.join("\n", r.output));
    return r;
  }
}
