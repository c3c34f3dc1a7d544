package io.cobalt.chaos;

import io.cobalt.cli.admin.rpc.KeyAdminClient;
import io.cobalt.cli.admin.rpc.KeyAdminException;
import io.cobalt.cli.role.ProcessCluster;
import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.proto.kms.v1.GetKeyResponse;
import io.cobalt.proto.kms.v1.KeyVersionInfo;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * The key faults' hands: the kms-agent's admin API ({@code cobalt admin keys}' client, with the
 * cluster's {@code admin} certificate, which the suite grants through {@code admin.callers}) on the
 * account's service-managed key {@code account/<account>}.
 */
public final class KeyNemesis implements AutoCloseable {
  private final KeyAdminClient client;
  private final String keyId;

  public KeyNemesis(ProcessCluster cluster, String account) throws IOException, KeyAdminException {
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(cluster.dir().resolve("kms-agent.properties"))) {
      p.load(in);
    }
    this.client = KeyAdminClient.connect(p.getProperty("bind.host", "127.0.0.1") + ":" + p.getProperty("port").trim(),
        TlsMaterial.load(ClusterProbe.tlsDir(cluster), "admin"));
    this.keyId = "account/" + account;
  }

  public String keyId() {
    return keyId;
  }

  /** Adds a version; returns the new primary version. */
  public int rotate() throws KeyAdminException {
    return client.rotate(keyId).getPrimaryVersion();
  }

  /** Disables every enabled version (forced: they wrap live DEKs); returns those it disabled, also when one failed midway. */
  public List<Integer> revoke(List<Integer> disabled) throws KeyAdminException {
    GetKeyResponse k = client.describe(keyId);
    for (KeyVersionInfo v : k.getVersionsList()) {
      if (v.getState().equals("ENABLED")) {
        client.setVersionState(keyId, v.getVersion(), false, true);
        disabled.add(v.getVersion());
      }
    }
    return disabled;
  }

  /** Enables the given versions again. */
  public void restore(List<Integer> versions) throws KeyAdminException {
    for (int v : new ArrayList<>(versions)) {
      client.setVersionState(keyId, v, true);
    }
  }

  @Override
  public void close() {
    client.close();
  }
}
