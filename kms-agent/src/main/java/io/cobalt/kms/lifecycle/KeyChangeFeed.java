package io.cobalt.kms.lifecycle;

import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Announces key state changes to whoever listens (the KeyEvents RPC's subscribers: the gateways'
 * caches). A change is published after it is durable, before its audit record is written, so a
 * change whose record fails is still announced. Listeners are called on the publishing thread and
 * must not block; at most {@code maxListeners} at once.
 */
public final class KeyChangeFeed {
  private static final Logger LOG = LoggerFactory.getLogger(KeyChangeFeed.class);

  private final CopyOnWriteArrayList<Consumer<KeyChange>> listeners = new CopyOnWriteArrayList<>();
  private final AtomicLong sequence = new AtomicLong();
  private final Clock clock;
  private final int maxListeners;

  public KeyChangeFeed(Clock clock, int maxListeners) {
    this.clock = Objects.requireNonNull(clock);
    if (maxListeners < 1) {
      throw new IllegalArgumentException("maxListeners must be >= 1");
    }
    this.maxListeners = maxListeners;
  }

  /** Adds a listener; false if there are {@code maxListeners} already. */
  public synchronized boolean add(Consumer<KeyChange> listener) {
    if (listeners.size() >= maxListeners) {
      return false;
    }
    listeners.add(Objects.requireNonNull(listener));
    return true;
  }

  public void remove(Consumer<KeyChange> listener) {
    listeners.remove(listener);
  }

  public int listeners() {
    return listeners.size();
  }

  /** The sequence number the next change will have minus one (heartbeats carry it). */
  public long lastSequence() {
    return sequence.get();
  }

  /** Tells every listener; a listener that throws is logged and kept (it removes itself when done). */
  public KeyChange publish(KeyChange.Kind kind, String keyId, int version) {
    KeyChange c = new KeyChange(sequence.incrementAndGet(), kind, keyId, version, clock.millis());
    for (Consumer<KeyChange> l : listeners) {
      try {
        l.accept(c);
      } catch (RuntimeException e) {
        LOG.warn("a key change listener failed: {}", e.toString());
      }
    }
    return c;
  }
}
