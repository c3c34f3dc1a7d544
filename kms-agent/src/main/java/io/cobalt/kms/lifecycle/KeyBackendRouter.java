package io.cobalt.kms.lifecycle;

import io.cobalt.kms.keys.KeyBackend;
import io.cobalt.kms.keys.KeyDescription;
import io.cobalt.kms.keys.KeyOperationException;
import io.cobalt.kms.keys.KeyOperationException.Kind;
import io.cobalt.kms.keys.KeyState;
import io.cobalt.kms.keys.KeyVersion;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The agent's backends seen as one: each key is served by the backend its catalog entry names, and
 * the lifecycle rules that hold whatever the backend are enforced here, before any key is used:
 * a soft-deleted key refuses encrypt, decrypt and changes ({@code KEY_DELETED}); a version below the
 * key's minimum decryption version refuses encrypt and decrypt ({@code VERSION_RETIRED}).
 * New keys made by {@link #createIfAbsent} (an account's key on first use) go to the default backend.
 */
public final class KeyBackendRouter implements KeyBackend {
  private final Map<String, KeyBackend> backends;
  private final String defaultBackend;
  private final KeyCatalog catalog;

  /** @param backends by name ({@code local}, {@code pkcs11}, {@code kmip}), probed in this order for unlisted keys */
  public KeyBackendRouter(Map<String, KeyBackend> backends, String defaultBackend, KeyCatalog catalog) {
    this.backends = new LinkedHashMap<>(backends);
    if (!this.backends.containsKey(defaultBackend)) {
      throw new IllegalArgumentException("default backend " + defaultBackend + " is not configured");
    }
    this.defaultBackend = defaultBackend;
    this.catalog = Objects.requireNonNull(catalog);
  }

  public String defaultBackend() {
    return defaultBackend;
  }

  public Set<String> backendNames() {
    return backends.keySet();
  }

  /** The catalog entry of an existing key (defaults for a key the catalog does not list), or empty. */
  public Optional<KeyCatalog.Entry> entry(String keyId) {
    Optional<KeyCatalog.Entry> listed = catalog.get(keyId);
    if (listed.isPresent()) {
      return listed;
    }
    for (Map.Entry<String, KeyBackend> b : backends.entrySet()) {
      if (b.getValue().describe(keyId).isPresent()) {
        return Optional.of(KeyCatalog.Entry.defaults(keyId, b.getKey()));
      }
    }
    return Optional.empty();
  }

  /** The entry of an existing key, or UNKNOWN_KEY. */
  public KeyCatalog.Entry existing(String keyId) throws KeyOperationException {
    return entry(keyId).orElseThrow(() -> new KeyOperationException(Kind.UNKNOWN_KEY, "no key " + keyId));
  }

  /** The entry of an existing key that is not deleted: UNKNOWN_KEY or KEY_DELETED otherwise. */
  public KeyCatalog.Entry live(String keyId) throws KeyOperationException {
    KeyCatalog.Entry e = existing(keyId);
    if (e.deleted()) {
      throw new KeyOperationException(Kind.KEY_DELETED,
          "key " + keyId + (e.deletion().purged() ? " was purged" : " is deleted (recoverable until purged)"));
    }
    return e;
  }

  KeyBackend backend(String name) throws KeyOperationException {
    KeyBackend b = backends.get(name.isEmpty() ? defaultBackend : name);
    if (b == null) {
      throw new KeyOperationException(Kind.INVALID_ARGUMENT,
          "no key backend named " + name + " on this agent (configured: " + String.join(", ", backends.keySet()) + ")");
    }
    return b;
  }

  /** Creates {@code keyId} in the named backend ("" = default) and lists it; KEY_EXISTS if the id is taken. */
  public KeyVersion create(String keyId, String backendName) throws KeyOperationException {
    String name = backendName.isEmpty() ? defaultBackend : backendName;
    KeyBackend b = backend(name);
    synchronized (catalog.writeLock()) {
      if (entry(keyId).isPresent()) {
        throw new KeyOperationException(Kind.KEY_EXISTS, "key " + keyId + " exists");
      }
      if (!b.createIfAbsent(keyId)) {
        throw new KeyOperationException(Kind.KEY_EXISTS, "key " + keyId + " exists");
      }
      catalog.put(KeyCatalog.Entry.defaults(keyId, name));
      return b.describe(keyId).orElseThrow().versions().get(0);
    }
  }

  /** Imports customer material as version 1 of a new key in the named backend; KEY_EXISTS if the id is taken. */
  public KeyVersion importKey(String keyId, String backendName, byte[] material) throws KeyOperationException {
    String name = backendName.isEmpty() ? defaultBackend : backendName;
    KeyBackend b = backend(name);
    synchronized (catalog.writeLock()) {
      if (entry(keyId).isPresent()) {
        throw new KeyOperationException(Kind.KEY_EXISTS, "key " + keyId + " exists");
      }
      KeyVersion v = b.importKey(keyId, material);
      catalog.put(KeyCatalog.Entry.defaults(keyId, name).asImported());
      return v;
    }
  }

  @Override
  public Optional<KeyDescription> describe(String keyId) {
    Optional<KeyCatalog.Entry> e = entry(keyId);
    if (e.isEmpty()) {
      return Optional.empty();
    }
    KeyBackend b = backends.get(e.get().backend());
    return b == null ? Optional.empty() : b.describe(keyId);
  }

  /** Every key of every backend and every catalog entry, in id order. */
  @Override
  public java.util.NavigableSet<String> keyIds() {
    java.util.TreeSet<String> ids = new java.util.TreeSet<>(catalog.snapshot().keySet());
    for (KeyBackend b : backends.values()) {
      ids.addAll(b.keyIds());
    }
    return ids;
  }

  @Override
  public boolean createIfAbsent(String keyId) throws KeyOperationException {
    synchronized (catalog.writeLock()) {
      if (entry(keyId).isPresent()) {
        return false;
      }
      boolean created = backend(defaultBackend).createIfAbsent(keyId);
      catalog.put(KeyCatalog.Entry.defaults(keyId, defaultBackend));
      return created;
    }
  }

  @Override
  public KeyVersion rotate(String keyId) throws KeyOperationException {
    return backend(live(keyId).backend()).rotate(keyId);
  }

  @Override
  public KeyVersion setState(String keyId, int version, KeyState state) throws KeyOperationException {
    return backend(live(keyId).backend()).setState(keyId, version, state);
  }

  @Override
  public KeyVersion destroy(String keyId, int version) throws KeyOperationException {
    return backend(existing(keyId).backend()).destroy(keyId, version);
  }

  /** Disables (if needed) and destroys one version regardless of the key's deletion (for purge). */
  KeyVersion disableAndDestroy(String keyId, int version) throws KeyOperationException {
    KeyBackend b = backend(existing(keyId).backend());
    KeyVersion v = b.describe(keyId).orElseThrow().versions().get(version - 1);
    if (v.state() == KeyState.ENABLED) {
      b.setState(keyId, version, KeyState.DISABLED);
    }
    return b.destroy(keyId, version);
  }

  @Override
  public byte[] encrypt(String keyId, int version, byte[] plaintext, byte[] associatedData)
      throws KeyOperationException {
    return backend(usable(keyId, version).backend()).encrypt(keyId, version, plaintext, associatedData);
  }

  @Override
  public byte[] decrypt(String keyId, int version, byte[] ciphertext, byte[] associatedData)
      throws KeyOperationException {
    return backend(usable(keyId, version).backend()).decrypt(keyId, version, ciphertext, associatedData);
  }

  private KeyCatalog.Entry usable(String keyId, int version) throws KeyOperationException {
    KeyCatalog.Entry e = live(keyId);
    if (version < e.minDecryptionVersion()) {
      throw new KeyOperationException(Kind.VERSION_RETIRED, "key " + keyId + " version " + version
          + " is below the minimum decryption version " + e.minDecryptionVersion());
    }
    return e;
  }

  @Override
  public String toString() {
    return "KeyBackendRouter" + backends.keySet();
  }
}
