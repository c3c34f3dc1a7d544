package io.cobalt.cli.role;

import io.cobalt.node.NodeServer;
import io.cobalt.node.membership.ClusterMember;
import io.cobalt.node.membership.MembershipListener;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code cobalt node --config FILE}: one storage node (gRPC, Raft groups, RocksDB) until
 * SIGTERM/SIGINT. Prints its ready line once it serves, then a second line once every partition
 * group it hosts knows a leader (which needs a majority of its peers).
 */
@Command(name = "node", mixinStandardHelpOptions = true,
    description = "Run one storage node from its config file.")
public final class NodeCommand implements Callable<Integer> {
  static {
    // Ratis starts a thread per async task when the common pool has parallelism 1 (<= 2 CPUs;
    // research/ratis.md §7.2). As in DevCluster; the JVM flag is the reliable way.
    if (System.getProperty("java.util.concurrent.ForkJoinPool.common.parallelism") == null) {
      System.setProperty("java.util.concurrent.ForkJoinPool.common.parallelism", "4");
    }
  }

  @Mixin
  RoleOptions options = new RoleOptions();

  Map<String, String> env = System.getenv();

  @Override
  public Integer call() throws Exception {
    long t0 = System.nanoTime();
    try {
      NodeRoleConfig config = NodeRoleConfig.load(options.config, env);
      if (options.printConfig) {
        RoleOptions.print(System.out, "node", options.config, config.describe());
        return 0;
      }
      NodeServer node = NodeServer.start(config.toNodeConfig());
      String label = "node " + config.nodeId();
      System.out.printf("cobalt %s: ready in %d ms — gRPC %s:%d, Raft %s:%d, %d partitions, data in %s%n", label,
          (System.nanoTime() - t0) / 1_000_000, config.bindHost(), node.port(), config.bindHost(), config.raftPort(),
          config.partitions(), config.dataDir());
      System.out.flush();
      node.membership().ifPresent(m -> m.addListener(new MembershipListener() {
        @Override
        public void joined(ClusterMember member) {
          System.out.printf("cobalt %s: member %s joined (gRPC %s, zone %s)%n", label, member.nodeId(),
              member.grpcEndpoint(), member.zone());
          System.out.flush();
        }

        @Override
        public void left(ClusterMember member) {
          System.out.printf("cobalt %s: member %s left%n", label, member.nodeId());
          System.out.flush();
        }
      }));
      Thread leaders = new Thread(() -> reportLeaders(label, node, config.leaderWaitMillis(), t0), "cobalt-node-leaders");
      leaders.setDaemon(true);
      leaders.start();
      return RoleProcess.runUntilSignalled(label, node, System.out);
    } catch (RoleConfigException e) {
      System.err.println("cobalt node: " + e.getMessage());
      return 2;
    }
  }

  private static void reportLeaders(String label, NodeServer node, long waitMillis, long t0) {
    try {
      if (node.awaitMetadataLeaders(Duration.ofMillis(waitMillis))) {
        System.out.printf("cobalt %s: every partition group has a leader, %d ms after start%n", label,
            (System.nanoTime() - t0) / 1_000_000);
      } else {
        System.out.printf("cobalt %s: some partition groups have no leader after %d ms — are a majority of peers up?%n",
            label, waitMillis);
      }
      System.out.flush();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
