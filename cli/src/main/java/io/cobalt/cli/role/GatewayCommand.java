package io.cobalt.cli.role;

import io.cobalt.gateway.GatewayConfig;
import io.cobalt.gateway.GatewayServer;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code cobalt gateway --config FILE}: the Azure Blob endpoint alone, until SIGTERM/SIGINT. */
@Command(name = "gateway", mixinStandardHelpOptions = true,
    description = "Run the gateway (Azure Blob endpoint) from its config file.")
public final class GatewayCommand implements Callable<Integer> {
  @Mixin
  RoleOptions options = new RoleOptions();

  Map<String, String> env = System.getenv();

  @Override
  public Integer call() throws Exception {
    long t0 = System.nanoTime();
    try {
      GatewayRoleConfig config = GatewayRoleConfig.load(options.config, env);
      if (options.printConfig) {
        RoleOptions.print(System.out, "gateway", options.config, config.describe());
        return 0;
      }
      GatewayConfig runtime = config.toGatewayConfig();
      GatewayServer gateway = GatewayServer.start(runtime);
      System.out.printf("cobalt gateway: ready in %d ms — Blob endpoint http://%s:%d/<account>, %d nodes, accounts: %s%n",
          (System.nanoTime() - t0) / 1_000_000, config.bindHost(), gateway.blobPort(), config.nodes().size(),
          String.join(",", runtime.accounts().stream().map(a -> a.account()).toList()));
      if (gateway.tablePort() > 0) {
        System.out.printf("cobalt gateway: Table endpoint http://%s:%d/<account>%n", config.bindHost(),
            gateway.tablePort());
      }
      if (gateway.queuePort() > 0) {
        System.out.printf("cobalt gateway: Queue endpoint http://%s:%d/<account>%n", config.bindHost(),
            gateway.queuePort());
      }
      System.out.flush();
      return RoleProcess.runUntilSignalled("gateway", gateway, System.out);
    } catch (RoleConfigException e) {
      System.err.println("cobalt gateway: " + e.getMessage());
      return 2;
    }
  }
}
