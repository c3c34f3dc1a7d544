package io.cobalt.cli.role;

import java.io.PrintStream;
import java.util.concurrent.CountDownLatch;

/**
 * Keeps one started role running until SIGTERM or SIGINT, then closes it from a shutdown hook and
 * prints {@code cobalt <role>: stopped}. The JVM then exits with 128 + the signal number.
 */
final class RoleProcess {
  private RoleProcess() {}

  static int runUntilSignalled(String label, AutoCloseable role, PrintStream out) throws InterruptedException {
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      out.println("cobalt " + label + ": stopping");
      try {
        role.close();
      } catch (Exception e) {
        out.println("cobalt " + label + ": error while stopping: " + e.getClass().getSimpleName());
      }
      out.println("cobalt " + label + ": stopped");
      out.flush();
      stopped.countDown();
    }, "cobalt-" + label.replace(' ', '-') + "-shutdown"));
    stopped.await();
    return 0;
  }
}
