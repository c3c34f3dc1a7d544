package io.cobalt.kms.backend;

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
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's own record of the keys it keeps in an external backend (PKCS#11 token, KMIP server):
 * per key, its versions with state, creation time and the backend's reference to the key material
 * (a token label, a KMIP unique identifier). It holds no key material.
 *
 * <p>Neither a PKCS#11 token nor a KMIP 1.x server can express a reversible "disabled" state (KMIP's
 * Revoke is final), so ENABLED/DISABLED live here; DESTROYED is recorded here and carried out in the
 * backend. One JSON file, replaced atomically and durably ({@link DurableFile}); reads use an
 * immutable snapshot; changes are serialized by the caller holding {@link #writeLock()}.
 *
 * <p>The file is not authenticated: whoever can write it can re-enable a version (not undo a
 * destroy, nor read a key). Protect the agent's data directory accordingly.
 */
public final class KeyVersionStore {
  public static final int MAX_KEYS = 100_000;
  public static final int MAX_VERSIONS_PER_KEY = 1_000;
  static final long MAX_FILE_BYTES = 64L * 1024 * 1024;
  private static final Logger LOG = LoggerFactory.getLogger(KeyVersionStore.class);

  /** One version as recorded; {@code reference} names the key material in the backend. */
  public record VersionRecord(int version, KeyState state, long createdEpochMillis, String reference) {
    public KeyVersion toKeyVersion() {
      return new KeyVersion(version, state, Instant.ofEpochMilli(createdEpochMillis));
    }
  }

  private final Path file;
  private final String format;
  private final Object writeLock = new Object();
  private volatile Map<String, List<VersionRecord>> keys;

  private KeyVersionStore(Path file, String format, Map<String, List<VersionRecord>> keys) {
    this.file = file;
    this.format = format;
    this.keys = keys;
  }

  /** Opens {@code file} (format tag {@code format}, e.g. {@code cobalt-pkcs11-keys/v1}), creating it empty. */
  public static KeyVersionStore open(Path file, String format) throws IOException {
    if (!Files.exists(file)) {
      KeyVersionStore store = new KeyVersionStore(file, format, Map.of());
      store.persist(Map.of());
      return store;
    }
    if (Files.size(file) > MAX_FILE_BYTES) {
      throw new IOException("key metadata " + file + " is larger than " + MAX_FILE_BYTES + " bytes");
    }
    try {
      JsonObject root = new JsonObject(new String(Files.readAllBytes(file), StandardCharsets.UTF_8));
      if (!format.equals(root.getString("format"))) {
        throw new IOException("key metadata " + file + " has format " + root.getValue("format") + ", not " + format);
      }
      Map<String, List<VersionRecord>> keys = new TreeMap<>();
      JsonArray arr = root.getJsonArray("keys");
      for (int i = 0; i < arr.size(); i++) {
        JsonObject k = arr.getJsonObject(i);
        String id = k.getString("id");
        JsonArray vs = k.getJsonArray("versions");
        List<VersionRecord> versions = new ArrayList<>();
        for (int j = 0; j < vs.size(); j++) {
          JsonObject v = vs.getJsonObject(j);
          VersionRecord r = new VersionRecord(v.getInteger("version"), KeyState.valueOf(v.getString("state")),
              v.getLong("createdEpochMillis"), v.getString("reference"));
          if (r.version() != j + 1 || r.reference() == null) {
            throw new IOException("key metadata " + file + ": key " + id + " has a version out of order or without reference");
          }
          versions.add(r);
        }
        if (id == null || versions.isEmpty() || keys.put(id, List.copyOf(versions)) != null) {
          throw new IOException("key metadata " + file + ": missing, empty or duplicate key entry");
        }
      }
      return new KeyVersionStore(file, format, Map.copyOf(keys));
    } catch (DecodeException | NullPointerException | ClassCastException | IllegalArgumentException e) {
      throw new IOException("key metadata " + file + " is malformed: " + e.getClass().getSimpleName());
    }
  }

  /** Hold this while reading a record and changing it, so that changes to one store are serialized. */
  public Object writeLock() {
    return writeLock;
  }

  public Optional<KeyDescription> describe(String keyId) {
    List<VersionRecord> versions = keys.get(keyId);
    if (versions == null) {
      return Optional.empty();
    }
    List<KeyVersion> out = new ArrayList<>(versions.size());
    for (VersionRecord v : versions) {
      out.add(v.toKeyVersion());
    }
    return Optional.of(new KeyDescription(keyId, out));
  }

  public boolean contains(String keyId) {
    return keys.containsKey(keyId);
  }

  /** All records, for a backend's start-up check. */
  public Map<String, List<VersionRecord>> all() {
    return keys;
  }

  /** The version number the next {@link #addVersion} of {@code keyId} will record, after checking limits. */
  public int nextVersion(String keyId) throws KeyOperationException {
    Map<String, List<VersionRecord>> current = keys;
    List<VersionRecord> versions = current.get(keyId);
    if (versions == null) {
      if (current.size() >= MAX_KEYS) {
        throw new KeyOperationException(Kind.LIMIT_EXCEEDED, "the backend holds its maximum of " + MAX_KEYS + " keys");
      }
      return 1;
    }
    if (versions.size() >= MAX_VERSIONS_PER_KEY) {
      throw new KeyOperationException(Kind.LIMIT_EXCEEDED,
          "key " + keyId + " has its maximum of " + MAX_VERSIONS_PER_KEY + " versions");
    }
    return versions.size() + 1;
  }

  /** The record of one version: {@code UNKNOWN_KEY} / {@code UNKNOWN_KEY_VERSION} if there is none. */
  public VersionRecord get(String keyId, int version) throws KeyOperationException {
    List<VersionRecord> versions = keys.get(keyId);
    if (versions == null) {
      throw new KeyOperationException(Kind.UNKNOWN_KEY, "no key " + keyId);
    }
    if (version < 1 || version > versions.size()) {
      throw new KeyOperationException(Kind.UNKNOWN_KEY_VERSION, "key " + keyId + " has no version " + version);
    }
    return versions.get(version - 1);
  }

  /** The record of an ENABLED version, or the refusal for its state. */
  public VersionRecord usable(String keyId, int version) throws KeyOperationException {
    VersionRecord v = get(keyId, version);
    if (v.state() == KeyState.DESTROYED) {
      throw new KeyOperationException(Kind.KEY_DESTROYED, "key " + keyId + " version " + version + " was destroyed");
    }
    if (v.state() != KeyState.ENABLED) {
      throw new KeyOperationException(Kind.KEY_DISABLED, "key " + keyId + " version " + version + " is disabled");
    }
    return v;
  }

  /** Records version {@link #nextVersion} of {@code keyId}. Caller holds {@link #writeLock()}. */
  public VersionRecord addVersion(String keyId, int version, long createdEpochMillis, String reference)
      throws KeyOperationException {
    if (version != nextVersion(keyId)) {
      throw new IllegalStateException("versions of " + keyId + " changed without the write lock");
    }
    VersionRecord added = new VersionRecord(version, KeyState.ENABLED, createdEpochMillis, reference);
    Map<String, List<VersionRecord>> next = new TreeMap<>(keys);
    List<VersionRecord> versions = new ArrayList<>(next.getOrDefault(keyId, List.of()));
    versions.add(added);
    next.put(keyId, List.copyOf(versions));
    persistAndPublish(next);
    return added;
  }

  /** Records a new state for an existing version. Caller holds {@link #writeLock()}. */
  public VersionRecord changeState(String keyId, int version, KeyState state) throws KeyOperationException {
    VersionRecord v = get(keyId, version);
    if (v.state() == state) {
      return v;
    }
    VersionRecord changed = new VersionRecord(version, state, v.createdEpochMillis(), v.reference());
    Map<String, List<VersionRecord>> next = new TreeMap<>(keys);
    List<VersionRecord> versions = new ArrayList<>(next.get(keyId));
    versions.set(version - 1, changed);
    next.put(keyId, List.copyOf(versions));
    persistAndPublish(next);
    return changed;
  }

  private void persistAndPublish(Map<String, List<VersionRecord>> next) throws KeyOperationException {
    try {
      persist(next);
    } catch (IOException e) {
      LOG.error("writing key metadata {} failed: {}", file, e.toString());
      throw new KeyOperationException(Kind.KEYSTORE_UNAVAILABLE, "the key metadata could not be written");
    }
    keys = Map.copyOf(next);
  }

  private void persist(Map<String, List<VersionRecord>> content) throws IOException {
    JsonArray arr = new JsonArray();
    for (Map.Entry<String, List<VersionRecord>> e : new TreeMap<>(content).entrySet()) {
      JsonArray vs = new JsonArray();
      for (VersionRecord v : e.getValue()) {
        vs.add(new JsonObject()
            .put("version", v.version())
            .put("state", v.state().name())
            .put("createdEpochMillis", v.createdEpochMillis())
            .put("reference", v.reference()));
      }
      arr.add(new JsonObject().put("id", e.getKey()).put("versions", vs));
    }
    JsonObject root = new JsonObject().put("format", format).put("keys", arr);
    DurableFile.replace(file, root.encodePrettily().getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public String toString() {
    return "KeyVersionStore[" + file + "]";
  }
}
