package io.cobalt.kms;

import io.cobalt.crypto.tls.TlsMaterial;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Set;

/**
 * What the kms-agent needs to start.
 *
 * @param dataDir the agent's directory: {@code keystore.json} (sealed KEKs), {@code audit.log}, a lock file
 * @param masterKeyFile exactly 32 raw bytes (not base64), owner-readable only; see {@link MasterKeyFile}
 * @param bindHost address to listen on; loopback (e.g. {@code 127.0.0.1}) for a sidecar
 * @param port TCP port; 0 picks a free one (see {@link KmsAgentServer#port()})
 * @param tls the agent's certificate and the cluster CA; clients must present a certificate from that CA
 * @param allowedCallers identities ({@code TlsMaterial.identityOf(cert)}: hex SHA-256 of the SPKI) that
 *     may generate and unwrap data keys and read key versions; everyone else is denied
 */
public record KmsAgentConfig(
    Path dataDir,
    Path masterKeyFile,
    String bindHost,
    int port,
    TlsMaterial tls,
    Set<String> allowedCallers) {

  public KmsAgentConfig {
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(masterKeyFile, "masterKeyFile");
    Objects.requireNonNull(bindHost, "bindHost");
    Objects.requireNonNull(tls, "tls");
    allowedCallers = Set.copyOf(Objects.requireNonNull(allowedCallers, "allowedCallers"));
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("port must be 0..65535");
    }
  }
}
