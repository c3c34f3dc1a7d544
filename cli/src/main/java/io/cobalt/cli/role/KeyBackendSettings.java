package io.cobalt.cli.role;

import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.kms.KeyBackendConfig;
import io.cobalt.kms.backend.kmip.KmipConfig;
import io.cobalt.kms.backend.pkcs11.Pkcs11Config;
import io.cobalt.kms.backend.pkcs11.TokenSelector;
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
 *   <li>{@code pkcs11.token.label} — the token's label (as {@code softhsm2-util --show-slots} or
 *       {@code pkcs11-tool -L} show it); the agent looks up its slot when it first opens the token, and
 *       refuses a label that no token or more than one token has
 *   <li>{@code pkcs11.slot.index} — or the token's index in the module's slot list (default 0 when no
 *       label is set; not the slot id, which SoftHSM renumbers when a token is initialised). Setting both
 *       is an error: with several tokens the index is not tied to a token, the label is
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
  static final Set<String> KEYS = Set.of("pkcs11.library", "pkcs11.token.label", "pkcs11.slot.index", "pkcs11.pin.file",
      "kmip.host", "kmip.port", "kmip.cert.file", "kmip.key.file", "kmip.ca.file");

  private final Path pkcs11Library;
  private final TokenSelector pkcs11Token;
  private final Path pkcs11PinFile;
  private final String kmipHost;
  private final int kmipPort;
  private final Path kmipCert;
  private final Path kmipKey;
  private final Path kmipCa;
  private final Path file;

  private KeyBackendSettings(Path pkcs11Library, TokenSelector pkcs11Token, Path pkcs11PinFile, String kmipHost,
      int kmipPort, Path kmipCert, Path kmipKey, Path kmipCa, Path file) {
    this.pkcs11Library = pkcs11Library;
    this.pkcs11Token = pkcs11Token;
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
    TokenSelector token = null;
    Path pin = null;
    if (present(s, "pkcs11.")) {
      library = s.path("pkcs11.library", null);
      token = token(s);
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
    return new KeyBackendSettings(library, token, pin, host, port, cert, key, ca, s.file());
  }

  /** {@code pkcs11.token.label}, or else {@code pkcs11.slot.index} (default 0); never both. */
  private static TokenSelector token(RoleConfigSource s) {
    if (!s.has("pkcs11.token.label")) {
      return TokenSelector.slotListIndex((int) s.number("pkcs11.slot.index", 0L, 0, 1023));
    }
    String label = s.required("pkcs11.token.label");
    if (s.has("pkcs11.slot.index")) {
      s.number("pkcs11.slot.index", 0L, 0, 1023);
      s.problem("pkcs11.token.label (" + s.origin("pkcs11.token.label") + ") and pkcs11.slot.index ("
          + s.origin("pkcs11.slot.index") + ") are both set: set one of them (the label names one token, the index"
          + " only a position in the slot list)");
    }
    try {
      return TokenSelector.label(label);
    } catch (IllegalArgumentException e) {
      s.problem("pkcs11.token.label '" + label + "' (" + s.origin("pkcs11.token.label") + "): " + e.getMessage());
      return TokenSelector.slotListIndex(0);
    }
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
        out.add(new KeyBackendConfig.Pkcs11(Pkcs11Config.of(pkcs11Library, pkcs11Token, pkcs11PinFile,
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
      if (pkcs11Token instanceof TokenSelector.Label l) {
        m.put("pkcs11.token.label", l.label());
      } else {
        m.put("pkcs11.slot.index", Integer.toString(((TokenSelector.SlotListIndex) pkcs11Token).index()));
      }
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
