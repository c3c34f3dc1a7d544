package io.cobalt.cli.admin;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code cobalt admin}: operator tools. Exit codes: 0 done, 1 refused or failed (one line on stderr),
 * 2 usage; {@code cluster status} also 3: the cluster is degraded.
 */
@Command(name = "admin", mixinStandardHelpOptions = true,
    description = "Operator tools: audit log verification, key lifecycle, account key sources, cluster status and the HTTPS admin API.",
    subcommands = {AuditCommand.class, KeysCommand.class, ScopesCommand.class, AccountsCommand.class,
        ClusterCommand.class, ServeCommand.class})
public final class AdminCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** For tests and for a standalone launcher: runs {@code cobalt admin <args>}. */
  public static int execute(CommandLine cl, String... args) {
    return cl.execute(args);
  }

  public static CommandLine commandLine() {
    return new CommandLine(new AdminCommand());
  }
}
