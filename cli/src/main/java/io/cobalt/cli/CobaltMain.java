package io.cobalt.cli;

import io.cobalt.cli.admin.AdminCommand;
import io.cobalt.cli.role.GatewayCommand;
import io.cobalt.cli.role.InitCommand;
import io.cobalt.cli.role.KmsAgentCommand;
import io.cobalt.cli.role.NodeCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code cobalt} command: one jar, one subcommand per role or tool. */
@Command(name = "cobalt", mixinStandardHelpOptions = true, version = "cobalt 0.1.0-SNAPSHOT",
    description = "Self-hosted, encrypted object store with the Azure Storage API.",
    subcommands = {DevCommand.class, InitCommand.class, KmsAgentCommand.class, NodeCommand.class,
        GatewayCommand.class, AdminCommand.class, BenchCommand.class})
public final class CobaltMain implements Runnable {

  public static void main(String[] args) {
    System.exit(new CommandLine(new CobaltMain()).execute(args));
  }

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }
}
