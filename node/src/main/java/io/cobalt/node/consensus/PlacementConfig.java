package io.cobalt.node.consensus;

/**
 * The placement map's upkeep on a node (ADR 0021).
 *
 * @param refreshMillis how often the node reads the placement map from the meta group (to follow
 *     changes made elsewhere) and, on the meta group's leader, how often the controller looks for
 *     voters to replace
 * @param replaceAfterMillis a node absent from the membership for this long has its voters
 *     replaced ({@code placement.replace-after}; default 10 minutes); 0 turns replacement off
 * @param catchUpTimeoutMillis how long a new replica may take to catch up (snapshot plus log)
 *     before the replacement gives up and is tried again later
 */
public record PlacementConfig(long refreshMillis, long replaceAfterMillis, long catchUpTimeoutMillis) {
  public static final long DEFAULT_REPLACE_AFTER_MILLIS = 10 * 60 * 1000L;

  public PlacementConfig {
    if (refreshMillis <= 0 || replaceAfterMillis < 0 || catchUpTimeoutMillis <= 0) {
      throw new IllegalArgumentException("invalid placement config: " + this);
    }
  }

  public static PlacementConfig defaults() {
    return new PlacementConfig(5_000, DEFAULT_REPLACE_AFTER_MILLIS, 120_000);
  }

  /** The same with voters replaced after {@code millis} of absence. */
  public PlacementConfig withReplaceAfterMillis(long millis) {
    return new PlacementConfig(refreshMillis, millis, catchUpTimeoutMillis);
  }

  /** The same with the map read (and the controller run) every {@code millis}. */
  public PlacementConfig withRefreshMillis(long millis) {
    return new PlacementConfig(millis, replaceAfterMillis, catchUpTimeoutMillis);
  }

  public boolean replaces() {
    return replaceAfterMillis > 0;
  }
}
