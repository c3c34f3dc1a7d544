package io.cobalt.cli.role;

import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.kms.KeyBackendConfig;
import io.cobalt.kms.KmsAgentConfig;
import io.cobalt.kms.policy.CallerGrant;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code cobalt kms-agent}'s file. Keys (environment override in brackets):
 *
 * <ul>
 *   <li>{@code bind.host} [COBALT_BIND_HOST] — listen address (default 127.0.0.1; a sidecar stays on loopback)
 *   <li>{@code port} [COBALT_PORT] — gRPC port (mTLS)
 *   <li>{@code data.dir} [COBALT_DATA_DIR] — sealed keystore, key catalogue, audit log (default kms)
 *   <li>{@code master.key.file} [COBALT_MASTER_KEY_FILE] — 32 raw bytes, mode 0600 (default kms/master.key);
 *       the key itself never goes in a config file, a variable's value or a command line
 *   <li>{@code tls.dir}, {@code tls.name} — the agent's certificate (default tls, kms-agent); reloaded when the files change
 *   <li>{@code allowed.callers} [COBALT_ALLOWED_CALLERS] — names of certificates in tls.dir whose holders
 *       may use data keys (default gateway); only their public certificates are read
 *   <li>{@code admin.callers} [COBALT_ADMIN_CALLERS] — names of certificates in tls.dir whose holders may
 *       manage every key (create, rotate, disable, enable, ...: {@code cobalt admin keys}); default none.
 *       The chaos suite grants its {@code admin} certificate this way to rotate and revoke keys
 *   <li>{@code pkcs11.*}, {@code kmip.*} — an HSM (PKCS#11) and a KMIP server as further key backends;
 *       see {@link KeyBackendSettings}
 *   <li>{@code key.backend} [COBALT_KEY_BACKEND] — where new keys go when a request names no backend,
 *       accounts' service-managed keys included: {@code local} (default), or a configured {@code pkcs11} or
 *       {@code kmip}
 * </ul>
 */
record KmsAgentRoleConfig(String bindHost, int port, Path dataDir, Path masterKeyFile, Path tlsDir, String tlsName,
    List<String> allowedCallers, List<String> adminCallers, KeyBackendSettings backends, String keyBackend,
    Path file) {

  static final Set<String> KEYS = keys();

  private static Set<String> keys() {
    Set<String> keys = new java.util.HashSet<>(Set.of("bind.host", "port", "data.dir", "master.key.file", "tls.dir",
        "tls.name", "allowed.callers", "admin.callers", "key.backend"));
    keys.addAll(KeyBackendSettings.KEYS);
    return Set.copyOf(keys);
  }

  static KmsAgentRoleConfig load(Path file, Map<String, String> env) throws RoleConfigException {
    RoleConfigSource s = RoleConfigSource.load(file, env, KEYS);
    String host = s.string("bind.host", "127.0.0.1");
    int port = s.port("port", null);
    Path dataDir = s.path("data.dir", "kms");
    Path masterKey = s.path("master.key.file", "kms/master.key");
    Path tlsDir = s.path("tls.dir", "tls");
    String tlsName = s.string("tls.name", "kms-agent");
    List<String> callers = s.list("allowed.callers", "gateway");
    if (callers.isEmpty()) {
      s.problem("allowed.callers must name at least one certificate (e.g. gateway)");
    }
    List<String> admins = s.list("admin.callers", "");
    KeyBackendSettings backends = KeyBackendSettings.read(s);
    String keyBackend = s.string("key.backend", "local");
    if (!keyBackend.equals("local") && !backends.names().contains(keyBackend)) {
      s.problem("key.backend " + keyBackend + " is not configured (local, or configure pkcs11.* or kmip.*)");
    }
    s.validate();
    return new KmsAgentRoleConfig(host, port, dataDir, masterKey, tlsDir, tlsName, List.copyOf(callers),
        List.copyOf(admins), backends, keyBackend, s.file());
  }

  /** The agent's runtime configuration: TLS loaded (and reloaded on change), callers' identities from their certificates. */
  KmsAgentConfig toAgentConfig() throws RoleConfigException {
    if (!Files.isRegularFile(masterKeyFile)) {
      throw new RoleConfigException("invalid config " + file + ": master.key.file " + masterKeyFile
          + " does not exist (`cobalt init` creates it; in production mount it from a secret)");
    }
    RoleTls.load(file, tlsDir, tlsName); // a clear error before the agent's own
    Set<String> identities = new LinkedHashSet<>();
    for (String caller : allowedCallers) {
      identities.add(identity("allowed.callers", caller));
    }
    List<CallerGrant> admins = new ArrayList<>();
    for (String admin : adminCallers) {
      admins.add(CallerGrant.admin(admin, identity("admin.callers", admin), List.of("*")));
    }
    List<KeyBackendConfig> configured = backends.toBackends(dataDir);
    KeyBackendConfig main = KeyBackendConfig.local();
    List<KeyBackendConfig> extra = new ArrayList<>();
    for (KeyBackendConfig b : configured) {
      if (b.name().equals(keyBackend)) {
        main = b;
      } else {
        extra.add(b);
      }
    }
    try {
      KmsAgentConfig c = KmsAgentConfig.withTlsFrom(dataDir, masterKeyFile, bindHost, port, tlsDir, tlsName, identities)
          .withBackend(main).withExtraBackends(extra);
      return admins.isEmpty() ? c : c.withGrants(admins);
    } catch (IOException | IllegalArgumentException e) {
      throw new RoleConfigException("invalid config " + file + ": " + e.getMessage());
    }
  }

  /** The public-key hash of {@code tls.dir/<name>.pem}. */
  private String identity(String key, String name) throws RoleConfigException {
    Path cert = tlsDir.resolve(name + ".pem");
    try (InputStream in = Files.newInputStream(cert)) {
      return TlsMaterial.identityOf(CertificateFactory.getInstance("X.509").generateCertificate(in));
    } catch (IOException | GeneralSecurityException e) {
      throw new RoleConfigException("invalid config " + file + ": " + key + ": cannot read certificate " + cert);
    }
  }

  Map<String, String> describe() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("bind.host", bindHost);
    m.put("port", Integer.toString(port));
    m.put("data.dir", dataDir.toString());
    m.put("master.key.file", masterKeyFile + " (secret file: contents not shown)");
    m.put("tls.dir", tlsDir.toString());
    m.put("tls.name", tlsName + " (private key " + tlsDir.resolve(tlsName + ".key") + ": not shown)");
    m.put("allowed.callers", String.join(",", allowedCallers));
    m.put("admin.callers", String.join(",", adminCallers));
    m.putAll(backends.describe());
    m.put("key.backend", keyBackend);
    return m;
  }
}
