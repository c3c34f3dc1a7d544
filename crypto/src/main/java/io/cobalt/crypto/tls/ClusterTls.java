package io.cobalt.crypto.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Collection;
import java.util.List;

/**
 * The cluster's TLS directory: {@code ca.pem}/{@code ca.key} and one {@code <name>.pem}/{@code <name>.key}
 * per process. Created when the cluster is initialised; later starts reuse it.
 */
public final class ClusterTls {
  public static final String CA_CERT = "ca.pem";
  public static final String CA_KEY = "ca.key";

  private ClusterTls() {}

  /**
   * Makes sure {@code dir} holds a CA and a certificate for each of {@code names} (SANs: the name,
   * localhost, 127.0.0.1, ::1), creating what is missing. Existing files are kept.
   */
  public static void ensure(Path dir, String clusterName, Collection<String> names, SecureRandom random)
      throws IOException {
    Files.createDirectories(dir);
    Path caCert = dir.resolve(CA_CERT);
    Path caKey = dir.resolve(CA_KEY);
    ClusterCa ca;
    if (Files.exists(caCert) && Files.exists(caKey)) {
      ca = ClusterCa.load(caCert, caKey, random);
    } else {
      ca = ClusterCa.create(clusterName, random);
      ca.save(caCert, caKey);
    }
    for (String name : names) {
      if (!Files.exists(dir.resolve(name + ".pem")) || !Files.exists(dir.resolve(name + ".key"))) {
        ca.issue(name, List.of("localhost"), List.of("127.0.0.1", "::1")).save(dir, name);
      }
    }
  }
}
