package io.cobalt.kms.lifecycle;

import io.cobalt.kms.backend.DurableFile;
import io.cobalt.kms.keys.KeyOperationException;
import io.cobalt.kms.keys.KeyOperationException.Kind;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's lifecycle record of each key, beside what the backend keeps (versions and states):
 * which backend holds it, its minimum decryption version, rotation period, whether it was imported,
 * and its soft deletion; and the key source of each account and scope that ever changed it (ADR
 * 0031). No key material. One JSON file ({@code key-catalog.json}) replaced
 * atomically and durably; reads use an immutable snapshot; changes are serialized.
 *
 * <p>Keys created before the catalog existed (account keys of the local keystore) have no entry;
 * {@link KeyBackendRouter} treats them as {@link Entry#defaults defaults} in the backend holding them.
 */
public final class KeyCatalog {
  public static final String FILE_NAME = "key-catalog.json";
  public static final int MAX_KEYS = 100_000;
  static final long MAX_FILE_BYTES = 64L * 1024 * 1024;
  private static final String FORMAT = "cobalt-key-catalog/v1";
  private static final Logger LOG = LoggerFactory.getLogger(KeyCatalog.class);

  /** A soft deletion: when, until when the key may be recovered, whether purge waits for that, and whether it happened. */
  public record Deletion(long deletedEpochMillis, long purgeAfterEpochMillis, boolean purgeProtection, boolean purged) {}

  /**
   * One key's lifecycle.
   *
   * @param minDecryptionVersion versions below it are refused for unwrap and rewrap (1 = none refused)
   * @param rotationPeriodSeconds automatic rotation period, 0 = off
   * @param deletion null unless the key is soft-deleted (or purged)
   */
  public record Entry(String keyId, String backend, int minDecryptionVersion, long rotationPeriodSeconds,
      boolean imported, Deletion deletion) {
    public Entry {
      Objects.requireNonNull(keyId, "keyId");
      Objects.requireNonNull(backend, "backend");
      if (minDecryptionVersion < 1) {
        throw new IllegalArgumentException("minDecryptionVersion must be >= 1");
      }
    }

    public static Entry defaults(String keyId, String backend) {
      return new Entry(keyId, backend, 1, 0, false, null);
    }

    public Entry withMinDecryptionVersion(int v) {
      return new Entry(keyId, backend, v, rotationPeriodSeconds, imported, deletion);
    }

    public Entry withRotationPeriodSeconds(long s) {
      return new Entry(keyId, backend, minDecryptionVersion, s, imported, deletion);
    }

    public Entry withDeletion(Deletion d) {
      return new Entry(keyId, backend, minDecryptionVersion, rotationPeriodSeconds, imported, d);
    }

    public Entry asImported() {
      return new Entry(keyId, backend, minDecryptionVersion, rotationPeriodSeconds, true, deletion);
    }

    public boolean deleted() {
      return deletion != null;
    }
  }

  /** At most this many customer keys are remembered per owner as having wrapped its DEKs. */
  public static final int MAX_PAST_KEYS = 32;

  /**
   * The key source of an owner (ADR 0031): an account's key id {@code account/<a>} or a scope's
   * {@code account/<a>/scope/<s>}. Service-managed when {@code keyId} is empty; otherwise the
   * customer key {@code cmk/<name>} on {@code backend}, pinned to {@code version} (0 = latest).
   * {@code pastKeys}: customer keys this owner used before (their DEKs may still be stored until a
   * rewrap), so that the owner's callers may keep unwrapping them and hear of their state changes.
   */
  public record KeySource(String owner, String backend, String keyId, int version, long changedEpochMillis,
      List<String> pastKeys) {
    public KeySource {
      Objects.requireNonNull(owner, "owner");
      backend = backend == null ? "" : backend;
      keyId = keyId == null ? "" : keyId;
      if (version < 0) {
        throw new IllegalArgumentException("version must be >= 0");
      }
      pastKeys = List.copyOf(pastKeys);
    }

    public boolean serviceManaged() {
      return keyId.isEmpty();
    }

    /** Every customer key of this owner, current and past. */
    public boolean references(String customerKeyId) {
      return keyId.equals(customerKeyId) || pastKeys.contains(customerKeyId);
    }
  }

  private final Path file;
  private final Object writeLock = new Object();
  private volatile NavigableMap<String, Entry> entries;
  private volatile NavigableMap<String, KeySource> sources;

  private KeyCatalog(Path file, NavigableMap<String, Entry> entries, NavigableMap<String, KeySource> sources) {
    this.file = file;
    this.entries = entries;
    this.sources = sources;
  }

  /** Opens {@code file}, or starts an empty catalog there (written on the first change). */
  public static KeyCatalog open(Path file) throws IOException {
    if (!Files.exists(file)) {
      return new KeyCatalog(file, new TreeMap<>(), new TreeMap<>());
    }
    if (Files.size(file) > MAX_FILE_BYTES) {
      throw new IOException("key catalog " + file + " is larger than " + MAX_FILE_BYTES + " bytes");
    }
    try {
      JsonObject root = new JsonObject(new String(Files.readAllBytes(file), StandardCharsets.UTF_8));
      if (!FORMAT.equals(root.getString("format"))) {
        throw new IOException("key catalog " + file + " has format " + root.getValue("format") + ", not " + FORMAT);
      }
      TreeMap<String, Entry> map = new TreeMap<>();
      JsonArray arr = root.getJsonArray("keys");
      for (int i = 0; i < arr.size(); i++) {
        JsonObject k = arr.getJsonObject(i);
        JsonObject d = k.getJsonObject("deletion");
        Deletion deletion = d == null ? null : new Deletion(d.getLong("deletedEpochMillis"),
            d.getLong("purgeAfterEpochMillis"), d.getBoolean("purgeProtection"), d.getBoolean("purged"));
        Entry e = new Entry(k.getString("id"), k.getString("backend"), k.getInteger("minDecryptionVersion"),
            k.getLong("rotationPeriodSeconds"), k.getBoolean("imported"), deletion);
        if (map.put(e.keyId(), e) != null) {
          throw new IOException("key catalog " + file + " names key " + e.keyId() + " twice");
        }
      }
      TreeMap<String, KeySource> srcs = new TreeMap<>();
      JsonArray sarr = root.getJsonArray("sources");
      for (int i = 0; sarr != null && i < sarr.size(); i++) {
        JsonObject k = sarr.getJsonObject(i);
        java.util.List<String> past = new java.util.ArrayList<>();
        JsonArray p = k.getJsonArray("pastKeys");
        for (int j = 0; p != null && j < p.size(); j++) {
          past.add(p.getString(j));
        }
        KeySource src = new KeySource(k.getString("owner"), k.getString("backend"), k.getString("keyId"),
            k.getInteger("version"), k.getLong("changedEpochMillis"), past);
        if (srcs.put(src.owner(), src) != null) {
          throw new IOException("key catalog " + file + " names the key source of " + src.owner() + " twice");
        }
      }
      return new KeyCatalog(file, map, srcs);
    } catch (DecodeException | NullPointerException | ClassCastException | IllegalArgumentException e) {
      throw new IOException("key catalog " + file + " is malformed: " + e.getClass().getSimpleName());
    }
  }

  public Optional<Entry> get(String keyId) {
    return Optional.ofNullable(entries.get(keyId));
  }

  /** An immutable snapshot, in key id order. */
  public NavigableMap<String, Entry> snapshot() {
    return entries;
  }

  /** The key source of {@code owner} if one was ever set (absent: service-managed, never changed). */
  public Optional<KeySource> source(String owner) {
    return Optional.ofNullable(sources.get(owner));
  }

  /** Every owner whose current or past key source is {@code customerKeyId}. */
  public java.util.List<String> ownersOf(String customerKeyId) {
    java.util.List<String> out = new java.util.ArrayList<>();
    for (KeySource s : sources.values()) {
      if (s.references(customerKeyId)) {
        out.add(s.owner());
      }
    }
    return out;
  }

  /** Writes {@code source} (replacing the owner's) durably, then makes it visible. */
  public void putSource(KeySource source) throws KeyOperationException {
    synchronized (writeLock) {
      NavigableMap<String, KeySource> current = sources;
      if (!current.containsKey(source.owner()) && current.size() >= MAX_KEYS) {
        throw new KeyOperationException(Kind.LIMIT_EXCEEDED, "the key catalog holds its maximum of " + MAX_KEYS
            + " key sources");
      }
      TreeMap<String, KeySource> next = new TreeMap<>(current);
      next.put(source.owner(), source);
      try {
        persist(entries, next);
      } catch (IOException e) {
        LOG.error("writing key catalog {} failed: {}", file, e.toString());
        throw new KeyOperationException(Kind.KEYSTORE_UNAVAILABLE, "the key catalog could not be written");
      }
      sources = java.util.Collections.unmodifiableNavigableMap(next);
    }
  }

  /** Hold this while reading an entry and replacing it, so that read-modify-writes are serialized. */
  public Object writeLock() {
    return writeLock;
  }

  /** Writes {@code entry} (replacing the key's entry) durably, then makes it visible. */
  public void put(Entry entry) throws KeyOperationException {
    synchronized (writeLock) {
      NavigableMap<String, Entry> current = entries;
      if (!current.containsKey(entry.keyId()) && current.size() >= MAX_KEYS) {
        throw new KeyOperationException(Kind.LIMIT_EXCEEDED, "the key catalog holds its maximum of " + MAX_KEYS + " keys");
      }
      TreeMap<String, Entry> next = new TreeMap<>(current);
      next.put(entry.keyId(), entry);
      try {
        persist(next, sources);
      } catch (IOException e) {
        LOG.error("writing key catalog {} failed: {}", file, e.toString());
        throw new KeyOperationException(Kind.KEYSTORE_UNAVAILABLE, "the key catalog could not be written");
      }
      entries = java.util.Collections.unmodifiableNavigableMap(next);
    }
  }

  private void persist(Map<String, Entry> content, Map<String, KeySource> keySources) throws IOException {
    JsonArray arr = new JsonArray();
    for (Entry e : content.values()) {
      JsonObject k = new JsonObject()
          .put("id", e.keyId())
          .put("backend", e.backend())
          .put("minDecryptionVersion", e.minDecryptionVersion())
          .put("rotationPeriodSeconds", e.rotationPeriodSeconds())
          .put("imported", e.imported());
      if (e.deletion() != null) {
        k.put("deletion", new JsonObject()
            .put("deletedEpochMillis", e.deletion().deletedEpochMillis())
            .put("purgeAfterEpochMillis", e.deletion().purgeAfterEpochMillis())
            .put("purgeProtection", e.deletion().purgeProtection())
            .put("purged", e.deletion().purged()));
      }
      arr.add(k);
    }
    JsonArray sarr = new JsonArray();
    for (KeySource src : keySources.values()) {
      sarr.add(new JsonObject()
          .put("owner", src.owner())
          .put("backend", src.backend())
          .put("keyId", src.keyId())
          .put("version", src.version())
          .put("changedEpochMillis", src.changedEpochMillis())
          .put("pastKeys", new JsonArray(new java.util.ArrayList<Object>(src.pastKeys()))));
    }
    JsonObject root = new JsonObject().put("format", FORMAT).put("keys", arr).put("sources", sarr);
    DurableFile.replace(file, root.encodePrettily().getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public String toString() {
    return "KeyCatalog[" + file + "]";
  }
}
