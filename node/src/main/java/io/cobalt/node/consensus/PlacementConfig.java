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
 * @param rebalanceIntervalMillis rate limit of rebalancing (ADR 0029): at most one partition voter
 *     moves to a less loaded node (e.g. one that joined) per this interval, and only on a
 *     controller round ({@code refreshMillis}); 0 turns rebalancing off
 * @param adminCallTimeoutMillis bound of each Ratis admin call the controller makes (group add,
 *     group info, {@code setConfiguration}, leadership transfer; ADR 0037): a call still running
 *     after it fails the step, which is tried again on a later round, so one stuck call cannot hold
 *     the controller for minutes ({@code placement.admin-call-timeout}; default 20 s)
 */
public record PlacementConfig(long refreshMillis, long replaceAfterMillis, long catchUpTimeoutMillis,
    long rebalanceIntervalMillis, long adminCallTimeoutMillis) {
  public static final long DEFAULT_REPLACE_AFTER_MILLIS = 10 * 60 * 1000L;
  public static final long DEFAULT_REBALANCE_INTERVAL_MILLIS = 30_000L;
  public static final long DEFAULT_ADMIN_CALL_TIMEOUT_MILLIS = 20_000L;

  public PlacementConfig {
    if (refreshMillis <= 0 || replaceAfterMillis < 0 || catchUpTimeoutMillis <= 0 || rebalanceIntervalMillis < 0
        || adminCallTimeoutMillis <= 0) {
      throw new IllegalArgumentException("invalid placement config: " + this);
    }
  }

  /** With the default bound of admin calls. */
  public PlacementConfig(long refreshMillis, long replaceAfterMillis, long catchUpTimeoutMillis,
      long rebalanceIntervalMillis) {
    this(refreshMillis, replaceAfterMillis, catchUpTimeoutMillis, rebalanceIntervalMillis,
        DEFAULT_ADMIN_CALL_TIMEOUT_MILLIS);
  }

  /** With the default rebalancing rate. */
  public PlacementConfig(long refreshMillis, long replaceAfterMillis, long catchUpTimeoutMillis) {
    this(refreshMillis, replaceAfterMillis, catchUpTimeoutMillis, DEFAULT_REBALANCE_INTERVAL_MILLIS);
  }

  public static PlacementConfig defaults() {
    return new PlacementConfig(5_000, DEFAULT_REPLACE_AFTER_MILLIS, 120_000, DEFAULT_REBALANCE_INTERVAL_MILLIS,
        DEFAULT_ADMIN_CALL_TIMEOUT_MILLIS);
  }

  /** The same with at most one rebalancing move per {@code millis} (0: no rebalancing). */
  public PlacementConfig withRebalanceIntervalMillis(long millis) {
    return new PlacementConfig(refreshMillis, replaceAfterMillis, catchUpTimeoutMillis, millis,
        adminCallTimeoutMillis);
  }

  /** The same with each Ratis admin call of the controller bounded by {@code millis}. */
  public PlacementConfig withAdminCallTimeoutMillis(long millis) {
    return new PlacementConfig(refreshMillis, replaceAfterMillis, catchUpTimeoutMillis, rebalanceIntervalMillis,
        millis);
  }

  public boolean rebalances() {
    return rebalanceIntervalMillis > 0;
  }

  /** The same with voters replaced after {@code millis} of absence. */
  public PlacementConfig withReplaceAfterMillis(long millis) {
    return new PlacementConfig(refreshMillis, millis, catchUpTimeoutMillis, rebalanceIntervalMillis,
        adminCallTimeoutMillis);
  }

  /** The same with the map read (and the controller run) every {@code millis}. */
  public PlacementConfig withRefreshMillis(long millis) {
    return new PlacementConfig(millis, replaceAfterMillis, catchUpTimeoutMillis, rebalanceIntervalMillis,
        adminCallTimeoutMillis);
  }

  public boolean replaces() {
    return replaceAfterMillis > 0;
  }
}
