package io.cobalt.cli.admin;

import io.cobalt.kms.audit.AuditLogVerifier;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code cobalt admin audit verify FILE}: checks a kms-agent audit log's hash chain. */
@Command(name = "audit", mixinStandardHelpOptions = true, description = "Audit log tools.",
    subcommands = AuditCommand.Verify.class)
final class AuditCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(name = "verify", mixinStandardHelpOptions = true,
      description = "Verify the hash chain of an audit log. Exit 0 if intact, 1 if not (with the first bad line).")
  static final class Verify implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "the audit log (audit.log in the kms-agent's data directory)")
    Path file;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      if (!Files.isRegularFile(file)) {
        err.println("error: " + file + " is not a file");
        return 1;
      }
      try {
        AuditLogVerifier.Result r = AuditLogVerifier.verify(file);
        if (r.intact()) {
          out.println("intact: " + r.records() + " records, hash chain unbroken (" + file + ")");
          return 0;
        }
        err.println("TAMPERED: line " + r.firstBadLine() + ": " + r.reason() + " (" + r.records()
            + " records before it verified)");
        return 1;
      } catch (IOException e) {
        err.println("error: cannot read " + file + ": " + e.getMessage());
        return 1;
      }
    }
  }
}
