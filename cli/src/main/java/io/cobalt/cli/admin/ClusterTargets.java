package io.cobalt.cli.admin;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * Which nodes {@code cobalt admin cluster status} asks, and where the operator's certificate is:
 * read from a cluster directory, or given one by one.
 *
 * <ul>
 *   <li>a {@code cobalt init} directory: {@code gateway.properties} lists the nodes
 *       ({@code nodes=id@host:port,...}), its {@code tls.dir} holds the certificates and
 *       {@code partitions} is the partition count;
 *   <li>a {@code cobalt dev} data directory: {@code cluster.properties} has {@code nodes},
 *       {@code partitions}, {@code grpcHost} and {@code node-N.grpcPort}; certificates are in
 *       {@code tls/}.
 * </ul>
 *
 * @param nodes the nodes to ask, in order
 * @param tlsDir the directory holding {@code ca.pem} and the operator's certificate, or null
 * @param partitions the configured partition count, or -1 if unknown
 */
record ClusterTargets(List<Target> nodes, Path tlsDir, int partitions) {

  /** A node to ask: its configured id (or its address, if none) and its gRPC address. */
  record Target(String name, String host, int port) {
    String endpoint() {
      return host + ":" + port;
    }

    /** {@code [id@]host:port}. */
    static Target parse(String entry) {
      int at = entry.indexOf('@');
      String address = entry.substring(at + 1);
      int colon = address.lastIndexOf(':');
      int port;
      try {
        port = colon < 1 ? -1 : Integer.parseInt(address.substring(colon + 1));
      } catch (NumberFormatException e) {
        port = -1;
      }
      if (port < 1 || port > 65_535 || at == 0) {
        throw new IllegalArgumentException("'" + entry + "' is not [id@]host:port");
      }
      String host = address.substring(0, colon);
      return new Target(at > 0 ? entry.substring(0, at) : host + ":" + port, host, port);
    }
  }

  static ClusterTargets explicit(List<String> entries) {
    List<Target> nodes = new ArrayList<>();
    for (String e : entries) {
      for (String one : e.split(",")) {
        if (!one.isBlank()) {
          nodes.add(Target.parse(one.strip()));
        }
      }
    }
    return new ClusterTargets(List.copyOf(nodes), null, -1);
  }

  /** The nodes of the cluster whose files are in {@code dir}; IllegalArgumentException says what is missing. */
  static ClusterTargets fromDirectory(Path dir) throws IOException {
    Path gateway = dir.resolve("gateway.properties");
    if (Files.isRegularFile(gateway)) {
      Properties p = load(gateway);
      String nodes = required(p, "nodes", gateway);
      List<Target> targets = new ArrayList<>();
      for (String e : nodes.split(",")) {
        if (!e.isBlank()) {
          targets.add(Target.parse(e.strip()));
        }
      }
      return new ClusterTargets(List.copyOf(targets), dir.resolve(p.getProperty("tls.dir", "tls")),
          Integer.parseInt(p.getProperty("partitions", "-1")));
    }
    Path cluster = dir.resolve("cluster.properties");
    if (!Files.isRegularFile(cluster)) {
      throw new IllegalArgumentException(dir + " has neither gateway.properties (cobalt init) nor cluster.properties"
          + " (cobalt dev)");
    }
    Properties p = load(cluster);
    int count = Integer.parseInt(required(p, "nodes", cluster));
    String host = p.getProperty("grpcHost");
    List<Target> targets = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      String port = p.getProperty("node-" + i + ".grpcPort");
      if (host == null || port == null) {
        throw new IllegalArgumentException(cluster + " has no grpcHost / node-" + i + ".grpcPort: start the dev"
            + " cluster once with this version (it pins the nodes' gRPC ports), or pass --node");
      }
      targets.add(new Target("node-" + i, host, Integer.parseInt(port)));
    }
    return new ClusterTargets(List.copyOf(targets), dir.resolve("tls"),
        Integer.parseInt(p.getProperty("partitions", "-1")));
  }

  private static Properties load(Path file) throws IOException {
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      p.load(in);
    }
    return p;
  }

  private static String required(Properties p, String key, Path file) {
    String v = p.getProperty(key);
    if (v == null || v.isBlank()) {
      throw new IllegalArgumentException(file + " has no " + key);
    }
    return v;
  }
}
