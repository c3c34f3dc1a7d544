package io.cobalt.gateway;

/**
 * The gateway's cache of unwrapped data keys and its link to the kms-agent's key events
 * (docs/key-management.md, "DEK cache"; ADR 0014).
 *
 * @param maxEntries unwrapped DEKs kept at most (least recently used evicted first); 0 turns the
 *     cache off (every read unwraps through the agent). Default {@value #DEFAULT_MAX_ENTRIES}.
 * @param ttlMillis how long an unwrapped DEK is kept after it was fetched, used or not. Default
 *     {@value #DEFAULT_TTL_MILLIS} (5 minutes); 1 ms .. 1 day.
 * @param offlineGraceMillis how long after the gateway last heard from the agent's key event stream
 *     cached DEKs are still served (ridden out of an agent or key backend outage). Default
 *     {@value #DEFAULT_OFFLINE_GRACE_MILLIS}: fail closed — without a live event stream nothing is
 *     served from the cache. A grace lengthens the revocation bound by as much. 0 .. 1 day.
 */
public record KeyCacheConfig(int maxEntries, long ttlMillis, long offlineGraceMillis) {
  public static final int DEFAULT_MAX_ENTRIES = 10_000;
  public static final int MAX_ENTRIES_LIMIT = 1_000_000;
  public static final long DEFAULT_TTL_MILLIS = 5 * 60_000;
  public static final long DEFAULT_OFFLINE_GRACE_MILLIS = 0;
  public static final long MAX_MILLIS = 24 * 3600_000L;

  public KeyCacheConfig {
    if (maxEntries < 0 || maxEntries > MAX_ENTRIES_LIMIT) {
      throw new IllegalArgumentException("key cache max entries must be 0.." + MAX_ENTRIES_LIMIT + ", was " + maxEntries);
    }
    if (ttlMillis < 1 || ttlMillis > MAX_MILLIS) {
      throw new IllegalArgumentException("key cache TTL must be 1.." + MAX_MILLIS + " ms, was " + ttlMillis);
    }
    if (offlineGraceMillis < 0 || offlineGraceMillis > MAX_MILLIS) {
      throw new IllegalArgumentException("key offline grace must be 0.." + MAX_MILLIS + " ms, was " + offlineGraceMillis);
    }
  }

  public static KeyCacheConfig defaults() {
    return new KeyCacheConfig(DEFAULT_MAX_ENTRIES, DEFAULT_TTL_MILLIS, DEFAULT_OFFLINE_GRACE_MILLIS);
  }

  public boolean enabled() {
    return maxEntries > 0;
  }
}
