package io.cobalt.cli.role;

import io.cobalt.kms.KmsAgentServer;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code cobalt kms-agent --config FILE}: the key agent alone, until SIGTERM/SIGINT. */
@Command(name = "kms-agent", mixinStandardHelpOptions = true,
    description = "Run the kms-agent (data keys, key lifecycle, audit) from its config file.")
public final class KmsAgentCommand implements Callable<Integer> {
  @Mixin
  RoleOptions options = new RoleOptions();

  Map<String, String> env = System.getenv();

  @Override
  public Integer call() throws Exception {
    long t0 = System.nanoTime();
    KmsAgentRoleConfig config;
    try {
      config = KmsAgentRoleConfig.load(options.config, env);
      if (options.printConfig) {
        RoleOptions.print(System.out, "kms-agent", options.config, config.describe());
        return 0;
      }
      KmsAgentServer agent = KmsAgentServer.start(config.toAgentConfig());
      System.out.printf("cobalt kms-agent: ready in %d ms on %s:%d (mTLS), data in %s%n",
          (System.nanoTime() - t0) / 1_000_000, config.bindHost(), agent.port(), config.dataDir());
      System.out.flush();
      return RoleProcess.runUntilSignalled("kms-agent", agent, System.out);
    } catch (RoleConfigException e) {
      System.err.println("cobalt kms-agent: " + e.getMessage());
      return 2;
    }
  }
}
