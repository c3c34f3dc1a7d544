package io.cobalt.kms;

import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.kms.policy.CallerGrant;
import io.cobalt.kms.policy.CallerPolicy;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What the kms-agent needs to start.
 *
 * @param dataDir the agent's directory: {@code keystore.json} (sealed KEKs), {@code key-catalog.json},
 *     {@code import-key.json}, {@code audit.log}, a lock file
 * @param masterKeyFile exactly 32 raw bytes (not base64), owner-readable only; see {@link MasterKeyFile}
 * @param bindHost address to listen on; loopback (e.g. {@code 127.0.0.1}) for a sidecar
 * @param port TCP port; 0 picks a free one (see {@link KmsAgentServer#port()})
 * @param tls the agent's certificate and the cluster CA; clients must present a certificate from that CA
 * @param allowedCallers data-path identities ({@code TlsMaterial.identityOf(cert)}: hex SHA-256 of the
 *     SPKI): each may generate, unwrap and rewrap data keys and read key versions of every account key
 *     ({@code account/*}); shorthand for {@link CallerGrant#dataPath} grants
 * @param grants further grants (admin identities, callers limited to some keys); one grant per
 *     identity, none of them also in {@code allowedCallers}. Everyone else is denied.
 * @param backend where new keys go (default: the local keystore)
 * @param tlsFiles if not null, where {@code tls} was loaded from; the agent reloads it from there when
 *     the files change (checked every {@code tlsReloadCheckMillis}) or on {@link KmsAgentServer#reloadTls()}
 * @param rotationCheckMillis how often the agent looks for keys due for automatic rotation or purge
 * @param tlsReloadCheckMillis how often the agent compares the TLS files with what it loaded
 * @param extraBackends further backends opened beside {@code backend} and the local keystore, so keys
 *     can be created in each ({@code CreateKey}'s backend name) and accounts or scopes switched to them;
 *     at most one of each kind, none of the kind of {@code backend}
 */
public record KmsAgentConfig(
    Path dataDir,
    Path masterKeyFile,
    String bindHost,
    int port,
    TlsMaterial tls,
    Set<String> allowedCallers,
    List<CallerGrant> grants,
    KeyBackendConfig backend,
    TlsFiles tlsFiles,
    long rotationCheckMillis,
    long tlsReloadCheckMillis,
    List<KeyBackendConfig> extraBackends) {

  public static final long DEFAULT_ROTATION_CHECK_MILLIS = 60_000;
  public static final long DEFAULT_TLS_RELOAD_CHECK_MILLIS = 10_000;

  /** A cluster TLS directory and the name of the agent's files in it ({@code <name>.pem/.key}, {@code ca.pem}). */
  public record TlsFiles(Path dir, String name) {
    public TlsFiles {
      Objects.requireNonNull(dir, "dir");
      Objects.requireNonNull(name, "name");
    }
  }

  public KmsAgentConfig {
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(masterKeyFile, "masterKeyFile");
    Objects.requireNonNull(bindHost, "bindHost");
    Objects.requireNonNull(tls, "tls");
    Objects.requireNonNull(backend, "backend");
    allowedCallers = Set.copyOf(Objects.requireNonNull(allowedCallers, "allowedCallers"));
    extraBackends = List.copyOf(Objects.requireNonNull(extraBackends, "extraBackends"));
    Set<String> backendNames = new HashSet<>(List.of("local", backend.name()));
    for (KeyBackendConfig b : extraBackends) {
      if (b instanceof KeyBackendConfig.Local || !backendNames.add(b.name())) {
        throw new IllegalArgumentException("backend " + b.name() + " is configured more than once");
      }
    }
    grants = List.copyOf(Objects.requireNonNull(grants, "grants"));
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("port must be 0..65535");
    }
    if (rotationCheckMillis < 1_000 || tlsReloadCheckMillis < 1_000) {
      throw new IllegalArgumentException("rotationCheckMillis and tlsReloadCheckMillis must be at least 1000");
    }
    Set<String> seen = new HashSet<>();
    for (CallerGrant g : effectiveGrants(allowedCallers, grants)) {
      if (!seen.add(g.identity())) {
        throw new IllegalArgumentException("identity of grant " + g.name() + " has more than one grant");
      }
    }
  }

  /** The agent with the local keystore, data-path callers only, and fixed TLS material. */
  public KmsAgentConfig(Path dataDir, Path masterKeyFile, String bindHost, int port, TlsMaterial tls,
      Set<String> allowedCallers) {
    this(dataDir, masterKeyFile, bindHost, port, tls, allowedCallers, List.of(), KeyBackendConfig.local(), null,
        DEFAULT_ROTATION_CHECK_MILLIS, DEFAULT_TLS_RELOAD_CHECK_MILLIS, List.of());
  }

  /**
   * Like the six-argument constructor, with the TLS material loaded from {@code tlsDir} (as
   * {@link TlsMaterial#load} reads it) and reloaded from there when the files change.
   */
  public static KmsAgentConfig withTlsFrom(Path dataDir, Path masterKeyFile, String bindHost, int port, Path tlsDir,
      String name, Set<String> allowedCallers) throws IOException {
    return new KmsAgentConfig(dataDir, masterKeyFile, bindHost, port, TlsMaterial.load(tlsDir, name), allowedCallers,
        List.of(), KeyBackendConfig.local(), new TlsFiles(tlsDir, name), DEFAULT_ROTATION_CHECK_MILLIS,
        DEFAULT_TLS_RELOAD_CHECK_MILLIS, List.of());
  }

  public KmsAgentConfig withGrants(List<CallerGrant> newGrants) {
    return new KmsAgentConfig(dataDir, masterKeyFile, bindHost, port, tls, allowedCallers, newGrants, backend, tlsFiles,
        rotationCheckMillis, tlsReloadCheckMillis, extraBackends);
  }

  public KmsAgentConfig withBackend(KeyBackendConfig newBackend) {
    return new KmsAgentConfig(dataDir, masterKeyFile, bindHost, port, tls, allowedCallers, grants, newBackend, tlsFiles,
        rotationCheckMillis, tlsReloadCheckMillis, extraBackends);
  }

  /** Reload {@code tls} from these files when they change ({@code tls} should have been loaded from them). */
  public KmsAgentConfig withTlsFiles(TlsFiles files) {
    return new KmsAgentConfig(dataDir, masterKeyFile, bindHost, port, tls, allowedCallers, grants, backend, files,
        rotationCheckMillis, tlsReloadCheckMillis, extraBackends);
  }

  public KmsAgentConfig withRotationCheckMillis(long millis) {
    return new KmsAgentConfig(dataDir, masterKeyFile, bindHost, port, tls, allowedCallers, grants, backend, tlsFiles,
        millis, tlsReloadCheckMillis, extraBackends);
  }

  /** Opens these backends as well (see {@code extraBackends}). */
  public KmsAgentConfig withExtraBackends(List<KeyBackendConfig> backends) {
    return new KmsAgentConfig(dataDir, masterKeyFile, bindHost, port, tls, allowedCallers, grants, backend, tlsFiles,
        rotationCheckMillis, tlsReloadCheckMillis, backends);
  }

  /** The grants the agent enforces: data-path grants for {@code allowedCallers}, then {@code grants}. */
  public List<CallerGrant> effectiveGrants() {
    return effectiveGrants(allowedCallers, grants);
  }

  private static List<CallerGrant> effectiveGrants(Set<String> allowedCallers, List<CallerGrant> grants) {
    List<CallerGrant> all = new ArrayList<>(CallerPolicy.dataPathGrants(allowedCallers));
    all.addAll(grants);
    return all;
  }
}
