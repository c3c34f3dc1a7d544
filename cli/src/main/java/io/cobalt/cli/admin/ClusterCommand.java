package io.cobalt.cli.admin;

import io.cobalt.cli.admin.rpc.NodeAdminClient;
import io.cobalt.cli.admin.rpc.NodeAdminException;
import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.proto.node.v1.NodeStatus;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code cobalt admin cluster ...}: the storage nodes as the operator sees them. */
@Command(name = "cluster", mixinStandardHelpOptions = true, description = "Cluster state.",
    subcommands = {ClusterCommand.Status.class, ClusterCommand.Readmit.class})
final class ClusterCommand implements Runnable {
  /** Exit code when every node answered and every partition is fully replicated and led. */
  static final int HEALTHY = 0;
  /** Exit code when the command could not run (no certificate, no node list). */
  static final int FAILED = 1;
  /** Exit code when a node is unreachable or a partition is under-replicated or has no leader. */
  static final int DEGRADED = 3;

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(name = "status", mixinStandardHelpOptions = true, sortOptions = false,
      description = {"Ask every node for its partition groups; print members, partitions per node, each partition's"
          + " leader, and under-replicated partitions.",
          "Exit 0 healthy, 3 degraded (a node unreachable, a partition under-replicated or without a leader),"
          + " 1 could not run, 2 usage."})
  static final class Status implements java.util.concurrent.Callable<Integer> {
    @Spec CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Where where;

    static final class Where {
      @Option(names = "--data", paramLabel = "DIR",
          description = "a `cobalt dev` data directory or a `cobalt init` directory: node list and certificates from there")
      Path data;

      @Option(names = "--node", paramLabel = "[ID@]HOST:PORT", split = ",",
          description = "a node's gRPC address (repeatable or comma-separated); needs --tls-dir or --cert/--key/--ca")
      List<String> nodes;
    }

    @Option(names = "--tls-dir", paramLabel = "DIR",
        description = "TLS directory holding <NAME>.pem, <NAME>.key and ca.pem (default with --data: its tls/)")
    Path tlsDir;

    @Option(names = "--identity", defaultValue = "admin", paramLabel = "NAME",
        description = "certificate name in --tls-dir to present (default: ${DEFAULT-VALUE})")
    String identity;

    @Option(names = "--cert", paramLabel = "FILE", description = "client certificate (PEM), instead of --tls-dir")
    Path cert;

    @Option(names = "--key", paramLabel = "FILE", description = "its private key (PEM)")
    Path key;

    @Option(names = "--ca", paramLabel = "FILE", description = "the cluster CA certificate (PEM)")
    Path ca;

    @Option(names = "--timeout-ms", defaultValue = "5000",
        description = "how long to wait for each node (default: ${DEFAULT-VALUE})")
    long timeoutMillis;

    @Option(names = "--max-lag", defaultValue = "100", paramLabel = "ENTRIES",
        description = "log entries a voter may be behind the leader's commit index before its partition counts as"
            + " under-replicated (default: ${DEFAULT-VALUE})")
    long maxLag;

    @Option(names = "--voters", defaultValue = "3",
        description = "voters each partition should have, at most the number of nodes (default: ${DEFAULT-VALUE})")
    int voters;

    @Option(names = "--json", description = "print one JSON object instead of tables")
    boolean json;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      if (timeoutMillis <= 0 || maxLag < 0 || voters < 1) {
        err.println("error: --timeout-ms and --voters must be positive, --max-lag not negative");
        return 2;
      }
      ClusterTargets targets;
      TlsMaterial tls;
      try {
        targets = where.data != null ? ClusterTargets.fromDirectory(where.data) : ClusterTargets.explicit(where.nodes);
        if (targets.nodes().isEmpty()) {
          err.println("error: no nodes to ask");
          return FAILED;
        }
        tls = loadTls(targets.tlsDir());
      } catch (IOException | RuntimeException e) {
        err.println("error: " + e.getMessage());
        return FAILED;
      }
      List<ClusterHealth.MemberReport> reports = new ArrayList<>(
          ask(targets.nodes(), tls, Duration.ofMillis(timeoutMillis)));
      // Nodes that joined after the configuration (ADR 0029) are named, with their gRPC endpoint,
      // in the placement map the members report: they are asked too.
      List<ClusterTargets.Target> joined = joinedTargets(reports);
      if (!joined.isEmpty()) {
        reports.addAll(ask(joined, tls, Duration.ofMillis(timeoutMillis)));
      }
      ClusterHealth health = ClusterHealth.assess(reports, targets.partitions(),
          Math.min(voters, targets.nodes().size() + joined.size()), maxLag);
      int exit = health.healthy() ? HEALTHY : DEGRADED;
      if (json) {
        ClusterStatusReport.printJson(health, exit, out);
      } else {
        ClusterStatusReport.printTable(health, exit, out);
      }
      out.flush();
      return exit;
    }

    private TlsMaterial loadTls(Path defaultTlsDir) throws IOException {
      if (cert != null || key != null || ca != null) {
        if (cert == null || key == null || ca == null) {
          throw new IllegalArgumentException("--cert, --key and --ca go together");
        }
        return TlsMaterial.load(cert, key, ca);
      }
      Path dir = tlsDir != null ? tlsDir : defaultTlsDir;
      if (dir == null) {
        throw new IllegalArgumentException("--node needs --tls-dir DIR or --cert/--key/--ca");
      }
      try {
        return TlsMaterial.load(dir, identity);
      } catch (IOException | RuntimeException e) {
        throw new IOException("cannot load " + identity + ".pem/" + identity + ".key/ca.pem from " + dir + ": "
            + e.getMessage(), e);
      }
    }

    /** The joined nodes (ADR 0029) in the newest placement map reported, that were not asked yet. */
    static List<ClusterTargets.Target> joinedTargets(List<ClusterHealth.MemberReport> reports) {
      io.cobalt.proto.node.v1.PlacementMap newest = io.cobalt.proto.node.v1.PlacementMap.getDefaultInstance();
      java.util.Set<String> asked = new java.util.HashSet<>();
      for (ClusterHealth.MemberReport r : reports) {
        asked.add(r.name());
        if (r.status() != null) {
          asked.add(r.status().getNodeId());
          if (r.status().getPlacement().getVersion() > newest.getVersion()) {
            newest = r.status().getPlacement();
          }
        }
      }
      List<ClusterTargets.Target> out = new ArrayList<>();
      for (io.cobalt.proto.node.v1.JoinNode j : newest.getJoinedNodesList()) {
        String endpoint = j.getGrpcEndpoint();
        int colon = endpoint.lastIndexOf(':');
        if (asked.contains(j.getNodeId()) || colon <= 0) {
          continue;
        }
        try {
          out.add(new ClusterTargets.Target(j.getNodeId(), endpoint.substring(0, colon),
              Integer.parseInt(endpoint.substring(colon + 1))));
        } catch (IllegalArgumentException e) {
          // a malformed endpoint is not asked
        }
      }
      return out;
    }

    /** Asks every node at once; each answer or failure arrives within the timeout (the call's deadline). */
    private static List<ClusterHealth.MemberReport> ask(List<ClusterTargets.Target> nodes, TlsMaterial tls,
        Duration timeout) {
      List<NodeAdminClient> clients = new ArrayList<>();
      List<CompletableFuture<NodeStatus>> calls = new ArrayList<>();
      try {
        for (ClusterTargets.Target t : nodes) {
          NodeAdminClient c = NodeAdminClient.connect(t.host(), t.port(), tls);
          clients.add(c);
          calls.add(c.status(timeout));
        }
        List<ClusterHealth.MemberReport> reports = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
          ClusterTargets.Target t = nodes.get(i);
          try {
            // The deadline ends the call; the margin only guards against a transport that never reports.
            NodeStatus s = calls.get(i).get(timeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
            reports.add(ClusterHealth.MemberReport.answered(t.name(), t.endpoint(), s));
          } catch (ExecutionException e) {
            String why = e.getCause() instanceof NodeAdminException n ? n.code() + ": " + n.getMessage()
                : String.valueOf(e.getCause());
            reports.add(ClusterHealth.MemberReport.failed(t.name(), t.endpoint(), why));
          } catch (TimeoutException e) {
            reports.add(ClusterHealth.MemberReport.failed(t.name(), t.endpoint(), "no answer"));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            reports.add(ClusterHealth.MemberReport.failed(t.name(), t.endpoint(), "interrupted"));
          }
        }
        return reports;
      } finally {
        clients.forEach(NodeAdminClient::close);
      }
    }
  }

  // ------------------------------------------------------------ chunk re-replication (ADR 0028)

  @Command(name = "readmit", mixinStandardHelpOptions = true, sortOptions = false,
      description = {"Re-admit a node the placement map retired from chunk placement (it was gone past"
          + " placement.replace-after). Chunks then move back to it through anti-entropy.",
          "Exit 0 re-admitted, 1 could not (not retired, no node committed it), 2 usage."})
  static final class Readmit implements java.util.concurrent.Callable<Integer> {
    @Spec CommandSpec spec;

    @picocli.CommandLine.Parameters(index = "0", paramLabel = "NODE_ID", description = "the retired node's id")
    String nodeId;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Status.Where where;

    @Option(names = "--tls-dir", paramLabel = "DIR",
        description = "TLS directory holding <NAME>.pem, <NAME>.key and ca.pem (default with --data: its tls/)")
    Path tlsDir;

    @Option(names = "--identity", defaultValue = "admin", paramLabel = "NAME",
        description = "certificate name in --tls-dir to present (default: ${DEFAULT-VALUE})")
    String identity;

    @Option(names = "--timeout-ms", defaultValue = "30000",
        description = "how long to wait for each node asked (default: ${DEFAULT-VALUE})")
    long timeoutMillis;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      if (timeoutMillis <= 0 || nodeId.isBlank()) {
        err.println("error: --timeout-ms must be positive and NODE_ID not empty");
        return 2;
      }
      ClusterTargets targets;
      TlsMaterial tls;
      try {
        targets = where.data != null ? ClusterTargets.fromDirectory(where.data) : ClusterTargets.explicit(where.nodes);
        Path dir = tlsDir != null ? tlsDir : targets.tlsDir();
        if (dir == null) {
          throw new IllegalArgumentException("--node needs --tls-dir DIR");
        }
        tls = TlsMaterial.load(dir, identity);
      } catch (IOException | RuntimeException e) {
        err.println("error: " + e.getMessage());
        return FAILED;
      }
      // One node after another until one commits it (any node proposes to the meta group).
      for (ClusterTargets.Target t : targets.nodes()) {
        try (NodeAdminClient c = NodeAdminClient.connect(t.host(), t.port(), tls)) {
          io.cobalt.proto.node.v1.PlacementMap map = c.readmitChunkNode(nodeId, Duration.ofMillis(timeoutMillis))
              .get(timeoutMillis + 5_000, TimeUnit.MILLISECONDS);
          out.printf("%s re-admitted to chunk placement: placement map version %d, retired now %s%n", nodeId,
              map.getVersion(), map.getRetiredNodeIdsList());
          out.flush();
          return HEALTHY;
        } catch (ExecutionException e) {
          if (e.getCause() instanceof NodeAdminException n && "FAILED_PRECONDITION".equals(n.code())) {
            err.println("error: " + n.getMessage());
            return FAILED;
          }
          err.println(t.name() + ": " + (e.getCause() == null ? e : e.getCause().getMessage()));
        } catch (TimeoutException e) {
          err.println(t.name() + ": no answer");
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return FAILED;
        }
      }
      err.println("error: no node re-admitted " + nodeId);
      return FAILED;
    }
  }
}
