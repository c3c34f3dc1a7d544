package io.cobalt.kms.backend.local;

import io.cobalt.kms.backend.DurableFile;
import io.cobalt.kms.keys.AssociatedData;
import io.cobalt.kms.keys.KeyBackend;
import io.cobalt.kms.keys.KeyDescription;
import io.cobalt.kms.keys.KeyOperationException;
import io.cobalt.kms.keys.KeyOperationException.Kind;
import io.cobalt.kms.keys.KeyState;
import io.cobalt.kms.keys.KeyVersion;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import javax.crypto.AEADBadTagException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local keystore: versioned KEKs generated here, stored in one JSON file only sealed under a
 * key derived from the master key (format in the package doc). Reads use an immutable snapshot;
 * changes are serialized, written durably, and only then made visible.
 */
public final class SealedKeystore implements KeyBackend, AutoCloseable {
  public static final String FILE_NAME = "keystore.json";
  /** Bounds: keys in one keystore, versions per key, size of the keystore file. */
  public static final int MAX_KEYS = 100_000;
  public static final int MAX_VERSIONS_PER_KEY = 1_000;
  static final long MAX_FILE_BYTES = 64L * 1024 * 1024;

  private static final Logger LOG = LoggerFactory.getLogger(SealedKeystore.class);
  private static final String FORMAT = "cobalt-keystore/v1";
  private static final String SEAL_INFO = "cobalt/keystore/seal/v1";
  private static final String CHECK_INFO = "cobalt/keystore/check/v1";
  private static final String CHECK_LABEL = "cobalt/master-key-check/v1";
  private static final String AUDIT_CONTEXT_INFO = "cobalt/audit/context/v1";
  private static final String KEK_AAD_LABEL = "cobalt/kek/v1";
  private static final String AUX_AAD_LABEL = "cobalt/keystore/aux/v1";
  private static final int KEK_BYTES = 32;
  private static final Base64.Encoder B64 = Base64.getEncoder();
  private static final Base64.Decoder B64D = Base64.getDecoder();

  /** One version as stored; {@code sealed} is empty once the version is DESTROYED. */
  private record StoredVersion(int version, KeyState state, long createdEpochMillis, byte[] sealed) {
    KeyVersion toKeyVersion() {
      return new KeyVersion(version, state, Instant.ofEpochMilli(createdEpochMillis));
    }
  }

  private final Path file;
  private final SecureRandom random;
  private final Clock clock;
  private final byte[] sealKey;
  private final byte[] auditContextKey;
  private final byte[] checkValue;
  private final byte[] auditSalt;
  private final Object writeLock = new Object();
  private volatile Map<String, List<StoredVersion>> keys;
  private volatile boolean closed;

  private SealedKeystore(Path file, SecureRandom random, Clock clock, byte[] sealKey, byte[] auditContextKey,
      byte[] checkValue, byte[] auditSalt, Map<String, List<StoredVersion>> keys) {
    this.file = file;
    this.random = random;
    this.clock = clock;
    this.sealKey = sealKey;
    this.auditContextKey = auditContextKey;
    this.checkValue = checkValue;
    this.auditSalt = auditSalt;
    this.keys = keys;
  }

  /**
   * Opens {@code dataDir/keystore.json}, creating an empty keystore bound to {@code masterKey} if
   * there is none. The master key is only used here, to derive keys; the caller closes it.
   *
   * @throws MasterKeyMismatchException if the keystore was sealed under another master key
   * @throws IOException if the keystore cannot be read or is damaged
   */
  public static SealedKeystore open(Path dataDir, MasterKey masterKey, SecureRandom random, Clock clock)
      throws IOException {
    Path file = dataDir.resolve(FILE_NAME);
    byte[] sealKey = masterKey.derive(SEAL_INFO, null);
    byte[] checkValue = checkValue(masterKey);
    boolean ok = false;
    try {
      SealedKeystore ks;
      if (Files.exists(file)) {
        ks = load(file, masterKey, sealKey, checkValue, random, clock);
      } else {
        byte[] salt = new byte[32];
        random.nextBytes(salt);
        ks = new SealedKeystore(file, random, clock, sealKey, masterKey.derive(AUDIT_CONTEXT_INFO, salt),
            checkValue, salt, Map.of());
        synchronized (ks.writeLock) {
          ks.persist(Map.of());
        }
        LOG.info("created keystore {}", file);
      }
      ok = true;
      return ks;
    } finally {
      if (!ok) {
        Arrays.fill(sealKey, (byte) 0);
      }
    }
  }

  private static SealedKeystore load(Path file, MasterKey masterKey, byte[] sealKey, byte[] checkValue,
      SecureRandom random, Clock clock) throws IOException {
    long size = Files.size(file);
    if (size > MAX_FILE_BYTES) {
      throw new IOException("keystore " + file + " is larger than " + MAX_FILE_BYTES + " bytes");
    }
    JsonObject root;
    try {
      root = new JsonObject(new String(Files.readAllBytes(file), StandardCharsets.UTF_8));
    } catch (DecodeException | ClassCastException e) {
      throw new IOException("keystore " + file + " is not valid JSON");
    }
    try {
      if (!FORMAT.equals(root.getString("format"))) {
        throw new IOException("keystore " + file + " has unknown format " + root.getValue("format"));
      }
      byte[] storedCheck = B64D.decode(root.getString("masterKeyCheck"));
      if (!MessageDigest.isEqual(storedCheck, checkValue)) {
        throw new MasterKeyMismatchException(file);
      }
      byte[] salt = B64D.decode(root.getString("auditSalt"));
      Map<String, List<StoredVersion>> keys = new TreeMap<>();
      JsonArray arr = root.getJsonArray("keys");
      for (int i = 0; i < arr.size(); i++) {
        JsonObject k = arr.getJsonObject(i);
        String id = k.getString("id");
        JsonArray vs = k.getJsonArray("versions");
        List<StoredVersion> versions = new ArrayList<>();
        for (int j = 0; j < vs.size(); j++) {
          JsonObject v = vs.getJsonObject(j);
          StoredVersion sv = new StoredVersion(v.getInteger("version"), KeyState.valueOf(v.getString("state")),
              v.getLong("createdEpochMillis"), B64D.decode(v.getString("sealed")));
          if (sv.version() != j + 1) {
            throw new IOException("keystore " + file + ": key " + id + " has versions out of order");
          }
          versions.add(sv);
        }
        if (id == null || versions.isEmpty() || keys.put(id, List.copyOf(versions)) != null) {
          throw new IOException("keystore " + file + ": missing, empty or duplicate key entry");
        }
      }
      SealedKeystore ks = new SealedKeystore(file, random, clock, sealKey,
          masterKey.derive(AUDIT_CONTEXT_INFO, salt), checkValue, salt, Map.copyOf(keys));
      ks.checkAllVersionsOpen();
      LOG.info("opened keystore {} with {} keys", file, keys.size());
      return ks;
    } catch (NullPointerException | ClassCastException | IllegalArgumentException e) {
      throw new IOException("keystore " + file + " is malformed: " + e.getClass().getSimpleName());
    }
  }

  /** Every sealed version must open: a damaged or swapped entry stops the start, with its name. */
  private void checkAllVersionsOpen() throws IOException {
    for (Map.Entry<String, List<StoredVersion>> e : keys.entrySet()) {
      for (StoredVersion v : e.getValue()) {
        if (v.state() == KeyState.DESTROYED) {
          continue;
        }
        try {
          Arrays.fill(unseal(e.getKey(), v), (byte) 0);
        } catch (KeyOperationException ex) {
          throw new IOException("keystore " + file + ": key " + e.getKey() + " version " + v.version()
              + " does not authenticate (damaged or tampered)");
        }
      }
    }
  }

  private static byte[] checkValue(MasterKey masterKey) {
    byte[] checkKey = masterKey.derive(CHECK_INFO, null);
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(checkKey, "HmacSHA256"));
      return mac.doFinal(CHECK_LABEL.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is mandatory in every JDK", e);
    } finally {
      Arrays.fill(checkKey, (byte) 0);
    }
  }

  /** The key under which the audit log HMACs sensitive context; a copy the caller should wipe. */
  public byte[] auditContextKey() {
    return auditContextKey.clone();
  }

  @Override
  public Optional<KeyDescription> describe(String keyId) {
    List<StoredVersion> versions = keys.get(keyId);
    if (versions == null) {
      return Optional.empty();
    }
    List<KeyVersion> out = new ArrayList<>(versions.size());
    for (StoredVersion v : versions) {
      out.add(new KeyVersion(v.version(), v.state(), Instant.ofEpochMilli(v.createdEpochMillis())));
    }
    return Optional.of(new KeyDescription(keyId, out));
  }

  @Override
  public java.util.Set<String> keyIds() {
    return keys.keySet();
  }

  @Override
  public boolean createIfAbsent(String keyId) throws KeyOperationException {
    if (keys.containsKey(keyId)) {
      return false;
    }
    synchronized (writeLock) {
      checkOpen();
      Map<String, List<StoredVersion>> current = keys;
      if (current.containsKey(keyId)) {
        return false;
      }
      if (current.size() >= MAX_KEYS) {
        throw new KeyOperationException(Kind.LIMIT_EXCEEDED, "the keystore holds its maximum of " + MAX_KEYS + " keys");
      }
      Map<String, List<StoredVersion>> next = new TreeMap<>(current);
      next.put(keyId, List.of(newVersion(keyId, 1)));
      persistAndPublish(next);
      LOG.info("created key {} version 1", keyId);
      return true;
    }
  }

  /** Creates {@code keyId} with version 1 sealed from the given 32 bytes (BYOK import). */
  @Override
  public KeyVersion importKey(String keyId, byte[] keyMaterial) throws KeyOperationException {
    if (keyMaterial == null || keyMaterial.length != KEK_BYTES) {
      throw new KeyOperationException(Kind.BAD_IMPORT, "imported key material must be " + KEK_BYTES + " bytes");
    }
    synchronized (writeLock) {
      checkOpen();
      Map<String, List<StoredVersion>> current = keys;
      if (current.containsKey(keyId)) {
        throw new KeyOperationException(Kind.KEY_EXISTS, "key " + keyId + " exists");
      }
      if (current.size() >= MAX_KEYS) {
        throw new KeyOperationException(Kind.LIMIT_EXCEEDED, "the keystore holds its maximum of " + MAX_KEYS + " keys");
      }
      byte[] sealed = Aes256Gcm.encrypt(sealKey, random, keyMaterial, kekAad(keyId, 1));
      StoredVersion v = new StoredVersion(1, KeyState.ENABLED, clock.millis(), sealed);
      Map<String, List<StoredVersion>> next = new TreeMap<>(current);
      next.put(keyId, List.of(v));
      persistAndPublish(next);
      LOG.info("imported key {} version 1", keyId);
      return v.toKeyVersion();
    }
  }

  /**
   * Seals a small secret of the agent's own (e.g. the BYOK import key) under the keystore's seal
   * key, bound to {@code label}: {@code nonce ‖ AES-256-GCM ‖ tag}. Open it with {@link #unsealAuxiliary}.
   */
  public byte[] sealAuxiliary(String label, byte[] secret) throws KeyOperationException {
    checkOpen();
    return Aes256Gcm.encrypt(sealKey, random, secret, AssociatedData.label(AUX_AAD_LABEL).text(label).toBytes());
  }

  /** The secret sealed by {@link #sealAuxiliary} under {@code label}; {@code NOT_AUTHENTIC} if it was altered. */
  public byte[] unsealAuxiliary(String label, byte[] sealed) throws KeyOperationException {
    checkOpen();
    try {
      return Aes256Gcm.decrypt(sealKey, sealed, AssociatedData.label(AUX_AAD_LABEL).text(label).toBytes());
    } catch (AEADBadTagException e) {
      throw new KeyOperationException(Kind.NOT_AUTHENTIC, "sealed " + label + " does not authenticate");
    }
  }

  @Override
  public KeyVersion rotate(String keyId) throws KeyOperationException {
    synchronized (writeLock) {
      checkOpen();
      Map<String, List<StoredVersion>> current = keys;
      List<StoredVersion> versions = current.get(keyId);
      if (versions == null) {
        throw new KeyOperationException(Kind.UNKNOWN_KEY, "no key " + keyId);
      }
      if (versions.size() >= MAX_VERSIONS_PER_KEY) {
        throw new KeyOperationException(Kind.LIMIT_EXCEEDED,
            "key " + keyId + " has its maximum of " + MAX_VERSIONS_PER_KEY + " versions");
      }
      StoredVersion added = newVersion(keyId, versions.size() + 1);
      List<StoredVersion> nextVersions = new ArrayList<>(versions);
      nextVersions.add(added);
      Map<String, List<StoredVersion>> next = new TreeMap<>(current);
      next.put(keyId, List.copyOf(nextVersions));
      persistAndPublish(next);
      LOG.info("rotated key {} to version {}", keyId, added.version());
      return new KeyVersion(added.version(), added.state(), Instant.ofEpochMilli(added.createdEpochMillis()));
    }
  }

  @Override
  public KeyVersion setState(String keyId, int version, KeyState state) throws KeyOperationException {
    if (state != KeyState.ENABLED && state != KeyState.DISABLED) {
      throw new KeyOperationException(Kind.INVALID_STATE_CHANGE, "a version can only be set ENABLED or DISABLED");
    }
    synchronized (writeLock) {
      StoredVersion v = existingVersion(keyId, version);
      if (v.state() == KeyState.DESTROYED) {
        throw new KeyOperationException(Kind.KEY_DESTROYED, "key " + keyId + " version " + version + " was destroyed");
      }
      StoredVersion next = v.state() == state ? v
          : replaceVersion(keyId, new StoredVersion(v.version(), state, v.createdEpochMillis(), v.sealed()));
      LOG.info("key {} version {} is {}", keyId, version, state);
      return next.toKeyVersion();
    }
  }

  /** Drops the sealed KEK of a disabled version from the file; the record stays, as DESTROYED. */
  @Override
  public KeyVersion destroy(String keyId, int version) throws KeyOperationException {
    synchronized (writeLock) {
      StoredVersion v = existingVersion(keyId, version);
      if (v.state() == KeyState.DESTROYED) {
        return v.toKeyVersion();
      }
      if (v.state() == KeyState.ENABLED) {
        throw new KeyOperationException(Kind.INVALID_STATE_CHANGE,
            "key " + keyId + " version " + version + " is enabled; disable it before destroying it");
      }
      StoredVersion next = replaceVersion(keyId,
          new StoredVersion(v.version(), KeyState.DESTROYED, v.createdEpochMillis(), new byte[0]));
      LOG.info("destroyed key {} version {}", keyId, version);
      return next.toKeyVersion();
    }
  }

  /** Caller holds {@link #writeLock}. */
  private StoredVersion existingVersion(String keyId, int version) throws KeyOperationException {
    checkOpen();
    List<StoredVersion> versions = keys.get(keyId);
    if (versions == null) {
      throw new KeyOperationException(Kind.UNKNOWN_KEY, "no key " + keyId);
    }
    if (version < 1 || version > versions.size()) {
      throw new KeyOperationException(Kind.UNKNOWN_KEY_VERSION, "key " + keyId + " has no version " + version);
    }
    return versions.get(version - 1);
  }

  /** Caller holds {@link #writeLock}; persists, then publishes. */
  private StoredVersion replaceVersion(String keyId, StoredVersion replacement) throws KeyOperationException {
    Map<String, List<StoredVersion>> current = keys;
    List<StoredVersion> nextVersions = new ArrayList<>(current.get(keyId));
    nextVersions.set(replacement.version() - 1, replacement);
    Map<String, List<StoredVersion>> next = new TreeMap<>(current);
    next.put(keyId, List.copyOf(nextVersions));
    persistAndPublish(next);
    return replacement;
  }

  @Override
  public byte[] encrypt(String keyId, int version, byte[] plaintext, byte[] associatedData)
      throws KeyOperationException {
    byte[] kek = unseal(keyId, usableVersion(keyId, version));
    try {
      return Aes256Gcm.encrypt(kek, random, plaintext, associatedData);
    } finally {
      Arrays.fill(kek, (byte) 0);
    }
  }

  @Override
  public byte[] decrypt(String keyId, int version, byte[] ciphertext, byte[] associatedData)
      throws KeyOperationException {
    byte[] kek = unseal(keyId, usableVersion(keyId, version));
    try {
      return Aes256Gcm.decrypt(kek, ciphertext, associatedData);
    } catch (AEADBadTagException e) {
      throw new KeyOperationException(Kind.NOT_AUTHENTIC,
          "wrapped key does not authenticate under " + keyId + " version " + version);
    } finally {
      Arrays.fill(kek, (byte) 0);
    }
  }

  private StoredVersion usableVersion(String keyId, int version) throws KeyOperationException {
    checkOpen();
    List<StoredVersion> versions = keys.get(keyId);
    if (versions == null) {
      throw new KeyOperationException(Kind.UNKNOWN_KEY, "no key " + keyId);
    }
    if (version < 1 || version > versions.size()) {
      throw new KeyOperationException(Kind.UNKNOWN_KEY_VERSION, "key " + keyId + " has no version " + version);
    }
    StoredVersion v = versions.get(version - 1);
    if (v.state() == KeyState.DESTROYED) {
      throw new KeyOperationException(Kind.KEY_DESTROYED, "key " + keyId + " version " + version + " was destroyed");
    }
    if (v.state() != KeyState.ENABLED) {
      throw new KeyOperationException(Kind.KEY_DISABLED, "key " + keyId + " version " + version + " is disabled");
    }
    return v;
  }

  private StoredVersion newVersion(String keyId, int version) {
    byte[] kek = new byte[KEK_BYTES];
    random.nextBytes(kek);
    try {
      byte[] sealed = Aes256Gcm.encrypt(sealKey, random, kek, kekAad(keyId, version));
      return new StoredVersion(version, KeyState.ENABLED, clock.millis(), sealed);
    } finally {
      Arrays.fill(kek, (byte) 0);
    }
  }

  private byte[] unseal(String keyId, StoredVersion v) throws KeyOperationException {
    try {
      return Aes256Gcm.decrypt(sealKey, v.sealed(), kekAad(keyId, v.version()));
    } catch (AEADBadTagException e) {
      LOG.error("keystore {}: key {} version {} does not authenticate", file, keyId, v.version());
      throw new KeyOperationException(Kind.INTERNAL, "keystore entry for " + keyId + " is damaged");
    }
  }

  private static byte[] kekAad(String keyId, int version) {
    return AssociatedData.label(KEK_AAD_LABEL).text(keyId).uint32(version).toBytes();
  }

  private void persistAndPublish(Map<String, List<StoredVersion>> next) throws KeyOperationException {
    try {
      persist(next);
    } catch (IOException e) {
      LOG.error("writing keystore {} failed: {}", file, e.toString());
      throw new KeyOperationException(Kind.KEYSTORE_UNAVAILABLE, "the keystore could not be written");
    }
    keys = Map.copyOf(next);
  }

  /** Caller holds {@link #writeLock}. */
  private void persist(Map<String, List<StoredVersion>> content) throws IOException {
    JsonArray arr = new JsonArray();
    for (Map.Entry<String, List<StoredVersion>> e : new TreeMap<>(content).entrySet()) {
      JsonArray vs = new JsonArray();
      for (StoredVersion v : e.getValue()) {
        vs.add(new JsonObject()
            .put("version", v.version())
            .put("state", v.state().name())
            .put("createdEpochMillis", v.createdEpochMillis())
            .put("sealed", B64.encodeToString(v.sealed())));
      }
      arr.add(new JsonObject().put("id", e.getKey()).put("versions", vs));
    }
    JsonObject root = new JsonObject()
        .put("format", FORMAT)
        .put("masterKeyCheck", B64.encodeToString(checkValue))
        .put("auditSalt", B64.encodeToString(auditSalt))
        .put("keys", arr);
    DurableFile.replace(file, root.encodePrettily().getBytes(StandardCharsets.UTF_8));
  }

  private void checkOpen() throws KeyOperationException {
    if (closed) {
      throw new KeyOperationException(Kind.KEYSTORE_UNAVAILABLE, "the keystore is closed");
    }
  }

  /** Test hook: the plaintext KEK of a version, to show that it never appears in the file. */
  byte[] kekBytesForTest(String keyId, int version) throws KeyOperationException {
    List<StoredVersion> versions = keys.get(keyId);
    if (versions == null || version < 1 || version > versions.size()) {
      throw new KeyOperationException(Kind.UNKNOWN_KEY, "no key " + keyId);
    }
    return unseal(keyId, versions.get(version - 1));
  }

  @Override
  public void close() {
    synchronized (writeLock) {
      closed = true;
      Arrays.fill(sealKey, (byte) 0);
      Arrays.fill(auditContextKey, (byte) 0);
    }
  }

  @Override
  public String toString() {
    return "SealedKeystore[" + file + "]";
  }
}
