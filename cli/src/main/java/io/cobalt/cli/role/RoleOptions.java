package io.cobalt.cli.role;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/** What every role command takes: its config file, and {@code --print-config}. Secrets never go here. */
final class RoleOptions {
  @Option(names = "--config", required = true, paramLabel = "FILE",
      description = "The role's config file (properties; `cobalt init` writes one per process). "
          + "Each key can be overridden by COBALT_<KEY> (dots and dashes become underscores).")
  Path config;

  @Option(names = "--print-config",
      description = "Print the effective configuration (file plus environment; no secrets) and exit.")
  boolean printConfig;

  static void print(PrintStream out, String role, Path file, Map<String, String> settings) {
    out.println("# cobalt " + role + ": effective configuration from " + file.toAbsolutePath().normalize()
        + " and COBALT_* environment variables");
    settings.forEach((k, v) -> out.println(k + " = " + v));
    out.flush();
  }
}
