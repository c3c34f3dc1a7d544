package io.cobalt.proto.grpc;

import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Keeps the reconnect backoff of channels short. A gRPC channel whose peer went away retries its
 * connection with an exponential backoff that grows to 120 s, and fails every call at once
 * meanwhile: a node (or the kms-agent) that was down for a minute stayed unused for up to two more
 * minutes after it was back, so a second node lost in that time left chunk writes short of their
 * quorum although two nodes were up (seen in {@code FiguresIT}: 503s for seconds after a kill, the
 * other replica's node already back). Every period, a channel in {@code TRANSIENT_FAILURE} is told
 * to reconnect now ({@link ManagedChannel#resetConnectBackoff()}); a connection attempt in progress
 * is left alone, so a peer that is still down costs at most one attempt per period.
 * One daemon thread per pacer; thread-safe. Used by the gateway for its node and kms-agent
 * channels and by each node for its channels to the other nodes (chunk repair and re-replication).
 */
public final class ReconnectPacer implements AutoCloseable {
  /** How often channels in transient failure reconnect at the latest (the backoff's first step is 1 s). */
  public static final long DEFAULT_PERIOD_MILLIS = 1_000;

  private final List<ManagedChannel> channels;
  private final ScheduledExecutorService timer;

  public ReconnectPacer(Collection<ManagedChannel> channels, long periodMillis, String threadName) {
    if (periodMillis <= 0) {
      throw new IllegalArgumentException("periodMillis must be > 0");
    }
    this.channels = List.copyOf(channels);
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, threadName);
      t.setDaemon(true);
      return t;
    });
    timer.scheduleWithFixedDelay(this::tick, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
  }

  /** Tells every channel in transient failure to try now; returns how many were. */
  int tick() {
    int n = 0;
    for (ManagedChannel c : channels) {
      try {
        if (!c.isShutdown() && c.getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
          c.resetConnectBackoff();
          n++;
        }
      } catch (RuntimeException e) {
        // a channel shutting down; the next tick sees it shut
      }
    }
    return n;
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
