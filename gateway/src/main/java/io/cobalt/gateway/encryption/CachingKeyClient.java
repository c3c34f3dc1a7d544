package io.cobalt.gateway.encryption;

import io.cobalt.crypto.key.DataKey;
import io.cobalt.gateway.KeyCacheConfig;
import io.cobalt.proto.kms.v1.WrappedKey;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link KeyClient} that keeps unwrapped DEKs, so that reads of a blob, table or queue whose DEK
 * was unwrapped recently do not go to the kms-agent again (docs/key-management.md, ADR 0014).
 *
 * <p><b>What a hit needs.</b> An entry is keyed by the account and the whole {@link WrappedKey}
 * (key id, version, ciphertext) — exactly the agent's unwrap input, whose associated data binds the
 * account, key and version — so it is only ever returned for the bytes it was unwrapped from. It is
 * served only (1) within its TTL, and (2) while this cache hears the agent's key event stream: after
 * a resync, and no longer than the stream's staleness bound (three heartbeats) plus the offline grace
 * after the last message; once the stream has ended, only within the offline grace after the last
 * message (default 0: fail closed). Otherwise the request unwraps through the agent, which answers
 * with the key's current state — or fails, and the request gets 503.
 *
 * <p><b>Invalidation.</b> A key event drops every entry of that key; a resync (a new stream, which may
 * have missed events) drops everything. An unwrap that was in flight while anything was dropped is
 * not stored (an epoch counter), so a DEK fetched before a revocation cannot enter after it. Nothing
 * is stored while the stream is not healthy.
 *
 * <p><b>Key material.</b> The cache owns its {@link DataKey}s and destroys each when it is evicted,
 * expired or dropped; callers get their own copy, which they close as the {@link KeyClient} contract
 * says. Generated keys are not cached for reuse (every write gets a fresh DEK from the agent); their
 * DEK is stored under its wrapped form, so that the write's first read hits.
 *
 * <p>Hits are not audited by the agent (they never reach it); only misses are. Counters:
 * {@link #stats()}.
 */
public final class CachingKeyClient implements KeyClient, KeyEventListener, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CachingKeyClient.class);
  /** Heartbeats that may be missed before the stream counts as stale. */
  static final int MISSED_HEARTBEATS = 3;
  /** Key states kept at most (a gateway uses few keys: one per account or customer key). */
  static final int MAX_KEY_STATES = 10_000;

  private final KeyClient agent;
  private final KeyCacheConfig config;
  private final LongSupplier nanoTicker;
  private final long ttlNanos;
  private final long graceNanos;
  private final LinkedHashMap<CacheKey, Entry> entries;
  /** Key states by key id, for metadata operations ({@link #keyStatus}); same rules as DEKs. */
  private final LinkedHashMap<String, StatusEntry> states;
  private final AtomicLong hits = new AtomicLong();
  private final AtomicLong misses = new AtomicLong();
  private final AtomicLong evictions = new AtomicLong();
  private final AtomicLong invalidations = new AtomicLong();

  // Guarded by this.
  private long epoch;
  private boolean streamOpen;
  private boolean synced;
  private long lastHeardNanos;
  private long staleAfterNanos;
  private boolean closed;

  /** The cache key: the agent's unwrap input. {@link WrappedKey} compares by value. */
  private record CacheKey(String account, WrappedKey wrapped) {}

  private static final class Entry {
    final DataKey dek;
    final long storedNanos;

    Entry(DataKey dek, long storedNanos) {
      this.dek = dek;
      this.storedNanos = storedNanos;
    }
  }

  private record StatusEntry(KeyStatus status, long storedNanos) {}

  /** Counters since start: hits, misses (unwraps sent to the agent), evictions (size, TTL), key events that dropped entries. */
  public record Stats(long hits, long misses, long evictions, long invalidations, int entries, boolean streamHealthy) {}

  public CachingKeyClient(KeyClient agent, KeyCacheConfig config, LongSupplier nanoTicker) {
    this.agent = Objects.requireNonNull(agent, "agent");
    this.config = Objects.requireNonNull(config, "config");
    this.nanoTicker = Objects.requireNonNull(nanoTicker, "nanoTicker");
    this.ttlNanos = config.ttlMillis() * 1_000_000L;
    this.graceNanos = config.offlineGraceMillis() * 1_000_000L;
    this.entries = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<CacheKey, CachingKeyClient.Entry> eldest) {
        if (size() > config.maxEntries()) {
          eldest.getValue().dek.close();
          evictions.incrementAndGet();
          return true;
        }
        return false;
      }
    };
    this.states = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, StatusEntry> eldest) {
        return size() > Math.min(config.maxEntries(), MAX_KEY_STATES);
      }
    };
  }

  /**
   * The key's state from the cache if it may be served (see the class comment), else from the agent
   * (audited there as GET_KEY), then cached. Key states are counted in the same hit/miss counters.
   */
  @Override
  public CompletableFuture<KeyStatus> keyStatus(String keyId, String requestId) {
    long startEpoch;
    synchronized (this) {
      long now = nanoTicker.getAsLong();
      StatusEntry e = states.get(keyId);
      if (e != null && now - e.storedNanos() <= ttlNanos && mayServe(now)) {
        hits.incrementAndGet();
        return CompletableFuture.completedFuture(e.status());
      }
      startEpoch = epoch;
    }
    misses.incrementAndGet();
    return agent.keyStatus(keyId, requestId).thenApply(st -> {
      if (config.enabled()) {
        synchronized (this) {
          long now = nanoTicker.getAsLong();
          if (!closed && epoch == startEpoch && healthy(now)) {
            states.put(keyId, new StatusEntry(st, now));
          }
        }
      }
      return st;
    });
  }

  @Override
  public CompletableFuture<GeneratedKey> generate(String account, String requestId) {
    long startEpoch = epoch();
    return agent.generate(account, requestId).thenApply(g -> {
      store(new CacheKey(account, g.wrapped()), g.dek(), startEpoch);
      return g;
    });
  }

  @Override
  public CompletableFuture<GeneratedKey> generate(String account, String keyId, String requestId) {
    long startEpoch = epoch();
    return agent.generate(account, keyId, requestId).thenApply(g -> {
      store(new CacheKey(account, g.wrapped()), g.dek(), startEpoch);
      return g;
    });
  }

  @Override
  public CompletableFuture<DataKey> unwrap(String account, WrappedKey wrapped, String requestId) {
    CacheKey key = new CacheKey(account, wrapped);
    long startEpoch;
    synchronized (this) {
      long now = nanoTicker.getAsLong();
      Entry e = entries.get(key);
      if (e != null) {
        if (now - e.storedNanos > ttlNanos) {
          entries.remove(key);
          e.dek.close();
          evictions.incrementAndGet();
        } else if (mayServe(now)) {
          hits.incrementAndGet();
          return CompletableFuture.completedFuture(copyOf(e.dek));
        }
      }
      startEpoch = epoch;
    }
    misses.incrementAndGet();
    return agent.unwrap(account, wrapped, requestId).thenApply(dek -> {
      store(key, dek, startEpoch);
      return dek;
    });
  }

  /** Stores a copy of {@code dek} if nothing was dropped since {@code startEpoch} and the stream is healthy. */
  private void store(CacheKey key, DataKey dek, long startEpoch) {
    if (!config.enabled()) {
      return;
    }
    synchronized (this) {
      long now = nanoTicker.getAsLong();
      if (closed || epoch != startEpoch || !healthy(now)) {
        return;
      }
      Entry old = entries.put(key, new Entry(copyOf(dek), now));
      if (old != null) {
        old.dek.close();
      }
    }
  }

  private static DataKey copyOf(DataKey dek) {
    byte[] b = dek.copyBytes();
    try {
      return DataKey.of(b);
    } finally {
      Arrays.fill(b, (byte) 0);
    }
  }

  private synchronized long epoch() {
    return epoch;
  }

  /** Caller holds this. The stream is open, resynced and not silent for longer than its staleness bound. */
  private boolean healthy(long now) {
    return streamOpen && synced && now - lastHeardNanos <= staleAfterNanos;
  }

  /** Caller holds this. Whether a cached entry may be served now (see the class comment). */
  private boolean mayServe(long now) {
    if (!synced) {
      return false;
    }
    long bound = (streamOpen ? staleAfterNanos : 0) + graceNanos;
    return now - lastHeardNanos <= bound;
  }

  /** Whether the key event stream is healthy now (entries may be stored and served). */
  public synchronized boolean streamHealthy() {
    return healthy(nanoTicker.getAsLong());
  }

  @Override
  public synchronized void onResync(long heartbeatMillis) {
    dropAll();
    streamOpen = true;
    synced = true;
    staleAfterNanos = Math.max(1, heartbeatMillis) * 1_000_000L * MISSED_HEARTBEATS;
    lastHeardNanos = nanoTicker.getAsLong();
  }

  @Override
  public synchronized void onHeartbeat() {
    if (streamOpen) {
      lastHeardNanos = nanoTicker.getAsLong();
    }
  }

  @Override
  public void onKeyChanged(String keyId, int version, String kind) {
    int dropped = 0;
    synchronized (this) {
      epoch++;
      if (streamOpen) {
        lastHeardNanos = nanoTicker.getAsLong();
      }
      states.remove(keyId);
      for (Iterator<Map.Entry<CacheKey, Entry>> it = entries.entrySet().iterator(); it.hasNext(); ) {
        Map.Entry<CacheKey, Entry> e = it.next();
        if (e.getKey().wrapped().getKeyId().equals(keyId)) {
          e.getValue().dek.close();
          it.remove();
          dropped++;
        }
      }
    }
    invalidations.incrementAndGet();
    LOG.info("key {} {} (version {}): dropped {} cached data key(s)", keyId, kind, version, dropped);
  }

  /**
   * The stream ended. Entries stay (served within the offline grace after the last message, if any),
   * but nothing new is stored until a resync drops them all.
   */
  @Override
  public synchronized void onEnded(Throwable cause) {
    streamOpen = false;
    epoch++;
    if (graceNanos == 0) {
      dropAll();
    }
  }

  /** Caller holds this. */
  private void dropAll() {
    epoch++;
    for (Entry e : entries.values()) {
      e.dek.close();
    }
    entries.clear();
    states.clear();
  }

  /** Drops entries whose TTL has passed (the subscription's watchdog calls this periodically). */
  public void expire() {
    synchronized (this) {
      long now = nanoTicker.getAsLong();
      for (Iterator<Entry> it = entries.values().iterator(); it.hasNext(); ) {
        Entry e = it.next();
        if (now - e.storedNanos > ttlNanos) {
          e.dek.close();
          it.remove();
          evictions.incrementAndGet();
        }
      }
      if (!synced || mayServe(now)) {
        return;
      }
      // Past the offline grace: nothing here may be served again, so nothing is kept.
      dropAll();
    }
  }

  public synchronized Stats stats() {
    return new Stats(hits.get(), misses.get(), evictions.get(), invalidations.get(), entries.size(),
        healthy(nanoTicker.getAsLong()));
  }

  /** Destroys every cached key. Does not close the agent client. */
  @Override
  public synchronized void close() {
    closed = true;
    dropAll();
  }
}
