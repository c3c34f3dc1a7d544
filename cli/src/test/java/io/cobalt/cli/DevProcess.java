package io.cobalt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cobalt.node.ListenPorts;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code cobalt dev} run from the packaged jar in a JVM of its own, as a user runs it: started,
 * read until it prints its connection string, stopped with SIGINT (Ctrl-C).
 */
final class DevProcess {
  private final Process process;
  private final Thread reader;
  private final List<String> output = new ArrayList<>();
  private long readyMillis = -1;
  private String connectionString;
  private int exitCode = -1;

  private DevProcess(Process process, long startNanos) {
    this.process = process;
    this.reader = new Thread(() -> read(startNanos), "cobalt-dev-output");
    reader.setDaemon(true);
    reader.start();
  }

  /**
   * Starts {@code java [jvmOptions] -jar target/cobalt.jar dev --data DIR --blob-port PORT --table-port 0
   * --queue-port 0} (any free Table and Queue ports, so concurrent runs never contend for 10002 and 10001) and waits until ready.
   */
  static DevProcess start(Path data, int port, String... jvmOptions) throws Exception {
    Path jar = Paths.get("target", "cobalt.jar").toAbsolutePath();
    assertTrue(Files.exists(jar), "the packaged jar is built before integration tests: " + jar);
    List<String> cmd = new ArrayList<>();
    // A terminal's Ctrl-C reaches a process whose SIGINT disposition is the default. A test JVM
    // started from a non-interactive shell in the background inherits SIGINT as ignored, and would
    // pass that on, so restore the default for the child, as a terminal session has it.
    if (Files.isExecutable(Paths.get("/usr/bin/env"))) {
      cmd.addAll(List.of("/usr/bin/env", "--default-signal=INT"));
    }
    cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(List.of(jvmOptions));
    cmd.addAll(List.of("-jar", jar.toString(), "dev", "--data", data.toString(), "--blob-port", Integer.toString(port),
        "--table-port", "0", "--queue-port", "0"));
    long t0 = System.nanoTime();
    DevProcess p = new DevProcess(new ProcessBuilder(cmd).redirectErrorStream(true).start(), t0);
    p.awaitReady();
    return p;
  }

  private void read(long startNanos) {
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      boolean next = false;
      while ((line = out.readLine()) != null) {
        synchronized (output) {
          output.add(line);
          // The string follows its label; a log line of a background thread may come in between.
          if (next && connectionString == null && line.trim().startsWith("DefaultEndpointsProtocol=")) {
            connectionString = line.trim();
            readyMillis = (System.nanoTime() - startNanos) / 1_000_000;
            output.notifyAll();
          }
          next = next || line.startsWith("Connection string:");
        }
      }
    } catch (IOException ignored) {
      // the process ended
    }
    synchronized (output) {
      output.notifyAll();
    }
  }

  private void awaitReady() throws InterruptedException {
    synchronized (output) {
      long deadline = System.currentTimeMillis() + 60_000;
      while (connectionString == null && process.isAlive() && System.currentTimeMillis() < deadline) {
        output.wait(200);
      }
      assertNotNull(connectionString, "no connection string printed; output:\n" + outputText());
    }
  }

  long readyMillis() {
    return readyMillis;
  }

  String connectionString() {
    return connectionString;
  }

  String outputText() {
    synchronized (output) {
      return String.join("\n", output);
    }
  }

  /** Sends SIGINT, as Ctrl-C does, and waits for the process to end. */
  void interruptAndWait() throws Exception {
    new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).inheritIO().start().waitFor();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("cobalt dev did not stop within 30 s of SIGINT");
    }
    exitCode = process.exitValue();
    reader.join(10_000); // the output ends with the process
  }

  /** A JVM ended by SIGINT exits with 128 + 2, after its shutdown hook closed every component. */
  void assertStoppedCleanly() {
    synchronized (output) {
      assertEquals(130, exitCode, "exit code after Ctrl-C; output:\n" + outputText());
      assertTrue(output.contains("cobalt dev: stopped"), "no clean stop in the output:\n" + outputText());
    }
  }
}
