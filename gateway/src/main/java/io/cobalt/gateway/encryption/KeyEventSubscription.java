package io.cobalt.gateway.encryption;

import java.util.Objects;
import java.util.Random;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one key event stream open to the kms-agent for as long as the gateway runs, and forwards it
 * to {@code downstream} (the DEK cache): subscribes at start, and after the stream ends — or falls
 * silent for {@value CachingKeyClient#MISSED_HEARTBEATS} heartbeats (the watchdog cuts it) — tells
 * downstream it ended and subscribes again after a back-off of {@value #INITIAL_BACKOFF_MILLIS} ms
 * doubling up to {@value #MAX_BACKOFF_MILLIS} ms, with jitter; a resync resets the back-off. Only the
 * current stream's callbacks reach downstream. The watchdog also expires the cache's old entries.
 */
public final class KeyEventSubscription implements AutoCloseable {
  static final long INITIAL_BACKOFF_MILLIS = 100;
  static final long MAX_BACKOFF_MILLIS = 5_000;
  static final long WATCHDOG_MILLIS = 250;
  private static final Logger LOG = LoggerFactory.getLogger(KeyEventSubscription.class);

  private final KeyEventSource source;
  private final String name;
  private final CachingKeyClient downstream;
  private final ScheduledExecutorService scheduler;
  private final LongSupplier nanoTicker;
  private final Random jitter;
  private final ScheduledFuture<?> watchdog;

  // Guarded by this.
  private Stream current;
  private long backoffMillis = INITIAL_BACKOFF_MILLIS;
  private ScheduledFuture<?> retry;
  private boolean closed;
  private long connects;

  /** Starts subscribing at once (asynchronously: an unreachable agent does not delay the gateway's start). */
  public KeyEventSubscription(KeyEventSource source, String name, CachingKeyClient downstream,
      ScheduledExecutorService scheduler, LongSupplier nanoTicker, Random jitter) {
    this.source = Objects.requireNonNull(source);
    this.name = Objects.requireNonNull(name);
    this.downstream = Objects.requireNonNull(downstream);
    this.scheduler = Objects.requireNonNull(scheduler);
    this.nanoTicker = Objects.requireNonNull(nanoTicker);
    this.jitter = Objects.requireNonNull(jitter);
    synchronized (this) {
      connect();
    }
    this.watchdog = scheduler.scheduleWithFixedDelay(this::check, WATCHDOG_MILLIS, WATCHDOG_MILLIS,
        TimeUnit.MILLISECONDS);
  }

  /** Streams opened so far (the first included). */
  public synchronized long connects() {
    return connects;
  }

  /** Caller holds this. */
  private void connect() {
    if (closed) {
      return;
    }
    connects++;
    Stream s = new Stream();
    current = s;
    try {
      s.handle = source.subscribe(name, s);
    } catch (RuntimeException e) {
      s.ended(e);
    }
  }

  /** Watchdog: cuts a silent stream; expires old cache entries. */
  private void check() {
    try {
      Stream stale = null;
      synchronized (this) {
        Stream s = current;
        if (s != null && s.synced && !s.over
            && nanoTicker.getAsLong() - s.lastHeardNanos > s.heartbeatNanos * CachingKeyClient.MISSED_HEARTBEATS) {
          stale = s;
        }
      }
      if (stale != null) {
        LOG.warn("key event stream silent for {} heartbeats; reconnecting", CachingKeyClient.MISSED_HEARTBEATS);
        stale.cancel();
        stale.ended(new IllegalStateException("key event stream silent"));
      }
      downstream.expire();
    } catch (RuntimeException e) {
      LOG.warn("key event watchdog failed: {}", e.toString());
    }
  }

  @Override
  public void close() {
    Stream s;
    synchronized (this) {
      closed = true;
      s = current;
      current = null;
      if (retry != null) {
        retry.cancel(false);
      }
    }
    watchdog.cancel(false);
    if (s != null) {
      s.cancel();
    }
  }

  /** One stream; its callbacks are forwarded only while it is the current one. */
  private final class Stream implements KeyEventListener {
    AutoCloseable handle;
    boolean synced;
    boolean over;
    long lastHeardNanos;
    long heartbeatNanos;

    private boolean isCurrent() {
      return current == this && !over;
    }

    @Override
    public void onResync(long heartbeatMillis) {
      synchronized (KeyEventSubscription.this) {
        if (!isCurrent()) {
          return;
        }
        synced = true;
        heartbeatNanos = Math.max(1, heartbeatMillis) * 1_000_000L;
        lastHeardNanos = nanoTicker.getAsLong();
        backoffMillis = INITIAL_BACKOFF_MILLIS;
        downstream.onResync(heartbeatMillis);
      }
      LOG.info("key event stream open (heartbeat every {} ms); DEK cache resynced", heartbeatMillis);
    }

    @Override
    public void onHeartbeat() {
      synchronized (KeyEventSubscription.this) {
        if (isCurrent()) {
          lastHeardNanos = nanoTicker.getAsLong();
          downstream.onHeartbeat();
        }
      }
    }

    @Override
    public void onKeyChanged(String keyId, int version, String kind) {
      synchronized (KeyEventSubscription.this) {
        if (isCurrent()) {
          lastHeardNanos = nanoTicker.getAsLong();
          downstream.onKeyChanged(keyId, version, kind);
        }
      }
    }

    @Override
    public void onEnded(Throwable cause) {
      ended(cause);
    }

    void ended(Throwable cause) {
      synchronized (KeyEventSubscription.this) {
        if (!isCurrent()) {
          return;
        }
        over = true;
        downstream.onEnded(cause);
        if (closed) {
          return;
        }
        long delay = backoffMillis / 2 + (long) (jitter.nextDouble() * (backoffMillis / 2.0));
        backoffMillis = Math.min(MAX_BACKOFF_MILLIS, backoffMillis * 2);
        LOG.warn("key event stream ended ({}); cached data keys {}; resubscribing in {} ms",
            cause == null ? "completed" : cause.getMessage(), "follow the offline grace", delay);
        retry = scheduler.schedule(() -> {
          synchronized (KeyEventSubscription.this) {
            connect();
          }
        }, delay, TimeUnit.MILLISECONDS);
      }
    }

    void cancel() {
      AutoCloseable h;
      synchronized (KeyEventSubscription.this) {
        h = handle;
      }
      if (h != null) {
        try {
          h.close();
        } catch (Exception e) {
          LOG.debug("cancelling the key event stream: {}", e.toString());
        }
      }
    }
  }
}
