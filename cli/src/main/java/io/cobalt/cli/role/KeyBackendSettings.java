package io.cobalt.cli.role;

import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.kms.KeyBackendConfig;
import io.cobalt.kms.backend.kmip.KmipConfig;
import io.cobalt.kms.backend.pkcs11.Pkcs11Config;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The kms-agent's HSM and KMIP backends, as keys of a properties file: the {@code cobalt kms-agent}
 * role file carries them, and {@code cobalt dev --key-backends FILE} reads a file of these keys alone.
 * A backend is configured when its first key is present; every key of it is then checked.
 *
 * <ul>
 *   <li>{@code pkcs11.library} — the PKCS#11 module, e.g. {@code /usr/lib/softhsm/libsofthsm2.so}
 *   <li>{@code pkcs11.slot.index} — the token's index in the module's slot list (default 0; SoftHSM
 *       renumbers slot ids when a token is initialised, the index stays)
 *   <li>{@code pkcs11.pin.file} — a file holding the user PIN (owner-readable); the PIN itself never goes in
 *       a config file, a variable's value or a command line
 *   <li>{@code kmip.host}, {@code kmip.port} (default 5696) — the KMIP server; its certificate must name the host
 *   <li>{@code kmip.cert.file}, {@code kmip.key.file}, {@code kmip.ca.file} — the agent's client certificate
 *       and private key (PEM) and the CA that issued the server's certificate
 * </ul>
 *
 * The agent keeps its records of each backend's keys in its data directory ({@code pkcs11-keys.json},
 * {@code kmip-keys.json}).
 */
public final class KeyBackendSettings {
  static final Set<String> KEYS = Set.of("pkcs11.library", "pkcs11.slot.index", "pkcs11.pin.file", "kmip.host",
      "kmip.port", "kmip.cert.file", "kmip.key.file", "kmip.ca.file");

  private final Path pkcs11Library;
  private final int pkcs11SlotIndex;
  private final Path pkcs11PinFile;
  private final String kmipHost;
  private final int kmipPort;
  private final Path kmipCert;
  private final Path kmipKey;
  private final Path kmipCa;
  private final Path file;

  private KeyBackendSettings(Path pkcs11Library, int pkcs11SlotIndex, Path pkcs11PinFile, String kmipHost,
      int kmipPort, Path kmipCert, Path kmipKey, Path kmipCa, Path file) {
    this.pkcs11Library = pkcs11Library;
    this.pkcs11SlotIndex = pkcs11SlotIndex;
    this.pkcs11PinFile = pkcs11PinFile;
    this.kmipHost = kmipHost;
    this.kmipPort = kmipPort;
    this.kmipCert = kmipCert;
    this.kmipKey = kmipKey;
    this.kmipCa = kmipCa;
    this.file = file;
  }

  /** A file of these keys only ({@code cobalt dev --key-backends}); {@code COBALT_*} variables override them. */
  public static KeyBackendSettings load(Path file, Map<String, String> env) throws RoleConfigException {
    RoleConfigSource s = RoleConfigSource.load(file, env, KEYS);
    KeyBackendSettings settings = read(s);
    s.validate();
    return settings;
  }

  /** Reads the backend keys of {@code s}; problems are collected in {@code s}. */
  static KeyBackendSettings read(RoleConfigSource s) {
    Path library = null;
    int slot = 0;
    Path pin = null;
    if (present(s, "pkcs11.")) {
      library = s.path("pkcs11.library", null);
      slot = (int) s.number("pkcs11.slot.index", 0L, 0, 1023);
      pin = s.path("pkcs11.pin.file", null);
    }
    String host = null;
    int port = 0;
    Path cert = null;
    Path key = null;
    Path ca = null;
    if (present(s, "kmip.")) {
      host = s.required("kmip.host");
      port = s.port("kmip.port", 5696);
      cert = s.path("kmip.cert.file", null);
      key = s.path("kmip.key.file", null);
      ca = s.path("kmip.ca.file", null);
    }
    return new KeyBackendSettings(library, slot, pin, host, port, cert, key, ca, s.file());
  }

  private static boolean present(RoleConfigSource s, String prefix) {
    for (String k : KEYS) {
      if (k.startsWith(prefix) && s.has(k)) {
        return true;
      }
    }
    return false;
  }

  /** Names of the configured backends: {@code pkcs11}, {@code kmip}. */
  public List<String> names() {
    List<String> names = new ArrayList<>();
    if (pkcs11Library != null) {
      names.add("pkcs11");
    }
    if (kmipHost != null) {
      names.add("kmip");
    }
    return names;
  }

  /**
   * The configured backends, their records in {@code agentDataDir}. Checks the files exist and loads
   * the KMIP TLS material; the token and the server are reached on first use, not here.
   */
  public List<KeyBackendConfig> toBackends(Path agentDataDir) throws RoleConfigException {
    List<KeyBackendConfig> out = new ArrayList<>();
    if (pkcs11Library != null) {
      requireFile("pkcs11.library", pkcs11Library);
      requireFile("pkcs11.pin.file", pkcs11PinFile);
      try {
        out.add(new KeyBackendConfig.Pkcs11(Pkcs11Config.of(pkcs11Library, pkcs11SlotIndex, pkcs11PinFile,
            agentDataDir.resolve("pkcs11-keys.json"))));
      } catch (IllegalArgumentException e) {
        throw new RoleConfigException("invalid config " + file + ": " + e.getMessage());
      }
    }
    if (kmipHost != null) {
      requireFile("kmip.cert.file", kmipCert);
      requireFile("kmip.key.file", kmipKey);
      requireFile("kmip.ca.file", kmipCa);
      try {
        out.add(new KeyBackendConfig.Kmip(KmipConfig.of(kmipHost, kmipPort, TlsMaterial.load(kmipCert, kmipKey, kmipCa),
            agentDataDir.resolve("kmip-keys.json"))));
      } catch (IOException | RuntimeException e) {
        throw new RoleConfigException("invalid config " + file + ": kmip: cannot load the client certificate, key or CA"
            + " (" + kmipCert.getFileName() + ", " + kmipKey.getFileName() + ", " + kmipCa.getFileName() + "): "
            + e.getClass().getSimpleName());
      }
    }
    return out;
  }

  private void requireFile(String key, Path p) throws RoleConfigException {
    if (!Files.isRegularFile(p)) {
      throw new RoleConfigException("invalid config " + file + ": " + key + " " + p + " does not exist");
    }
  }

  /** For {@code --print-config}: paths only, never a PIN or a private key. */
  Map<String, String> describe() {
    Map<String, String> m = new LinkedHashMap<>();
    if (pkcs11Library != null) {
      m.put("pkcs11.library", pkcs11Library.toString());
      m.put("pkcs11.slot.index", Integer.toString(pkcs11SlotIndex));
      m.put("pkcs11.pin.file", pkcs11PinFile + " (secret file: contents not shown)");
    }
    if (kmipHost != null) {
      m.put("kmip.host", kmipHost);
      m.put("kmip.port", Integer.toString(kmipPort));
      m.put("kmip.cert.file", kmipCert.toString());
      m.put("kmip.key.file", kmipKey + " (private key: not shown)");
      m.put("kmip.ca.file", kmipCa.toString());
    }
    return m;
  }
}
