package io.cobalt.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.cobalt.crypto.key.DataKey;
import io.cobalt.gateway.encryption.CachingKeyClient;
import io.cobalt.gateway.encryption.GeneratedKey;
import io.cobalt.gateway.encryption.KeyClient;
import io.cobalt.gateway.encryption.KeyEventListener;
import io.cobalt.gateway.encryption.KeyEventSubscription;
import io.cobalt.gateway.nodeclient.BackendUnavailableException;
import io.cobalt.proto.kms.v1.WrappedKey;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway's DEK cache on its own: what it serves and when it must not (time from a hand-driven
 * ticker, events fed by hand), and the subscription that keeps it fed.
 */
class KeyCacheTest {
  private static final long HEARTBEAT_MILLIS = 1000;
  private static final long MS = 1_000_000L;

  private ExecutorService threads;
  private FakeKeyClient agent;
  private final AtomicLong now = new AtomicLong(1_000_000_000L);

  @BeforeEach
  void start() {
    threads = Executors.newFixedThreadPool(2);
    agent = new FakeKeyClient(new SecureRandom(), threads);
  }

  @AfterEach
  void stop() {
    threads.shutdownNow();
  }

  private CachingKeyClient cache(int maxEntries, long ttlMillis, long graceMillis) {
    return new CachingKeyClient(agent, new KeyCacheConfig(maxEntries, ttlMillis, graceMillis), now::get);
  }

  private static byte[] bytes(DataKey k) {
    try (k) {
      return k.copyBytes();
    }
  }

  private static byte[] unwrap(KeyClient c, String account, WrappedKey w) {
    return bytes(c.unwrap(account, w, "r").join());
  }

  private GeneratedKey generate(String account) {
    return agent.generate(account, "r").join();
  }

  private void advanceMillis(long ms) {
    now.addAndGet(ms * MS);
  }

  @Test
  void servesACachedKeyOnlyForTheExactWrappedBytesAndAccount() {
    CachingKeyClient cache = cache(100, 300_000, 0);
    cache.onResync(HEARTBEAT_MILLIS);
    try (GeneratedKey g = generate("acct")) {
      byte[] dek = g.dek().copyBytes();
      assertArrayEquals(dek, unwrap(cache, "acct", g.wrapped()));
      assertArrayEquals(dek, unwrap(cache, "acct", g.wrapped()));
      assertEquals(1, agent.unwrapped.get(), "the second unwrap is a hit");
      assertEquals(1, cache.stats().hits());
      assertEquals(1, cache.stats().misses());

      // Another account presenting the same wrapped key is a miss, and the agent refuses it.
      assertThrows(CompletionException.class, () -> cache.unwrap("other", g.wrapped(), "r").join());
      // A flipped bit is a miss, and the agent refuses it.
      byte[] ct = g.wrapped().getCiphertext().toByteArray();
      ct[20] ^= 1;
      WrappedKey flipped = g.wrapped().toBuilder().setCiphertext(ByteString.copyFrom(ct)).build();
      assertThrows(CompletionException.class, () -> cache.unwrap("acct", flipped, "r").join());
      assertEquals(3, cache.stats().misses());
    }
  }

  @Test
  void aKeyEventDropsThatKeysEntriesAndNoOthers() {
    CachingKeyClient cache = cache(100, 300_000, 0);
    cache.onResync(HEARTBEAT_MILLIS);
    try (GeneratedKey a = generate("a"); GeneratedKey b = generate("b")) {
      unwrap(cache, "a", a.wrapped());
      unwrap(cache, "b", b.wrapped());
      assertEquals(2, cache.stats().entries());
      cache.onKeyChanged("account/a", 1, "KEY_EVENT_DISABLED");
      assertEquals(1, cache.stats().entries());
      agent.refuseWith("KEY_DISABLED");
      assertThrows(CompletionException.class, () -> cache.unwrap("a", a.wrapped(), "r").join());
      assertArrayEquals(b.dek().copyBytes(), unwrap(cache, "b", b.wrapped()), "b's entry is still served");
      agent.refuseWith(null);
    }
  }

  @Test
  void nothingIsCachedOrServedBeforeTheStreamResyncs() {
    CachingKeyClient cache = cache(100, 300_000, 60_000);
    try (GeneratedKey g = generate("acct")) {
      unwrap(cache, "acct", g.wrapped());
      unwrap(cache, "acct", g.wrapped());
      assertEquals(2, agent.unwrapped.get());
      assertEquals(0, cache.stats().entries());
    }
  }

  @Test
  void whenTheStreamEndsTheCacheFailsClosedByDefault() {
    CachingKeyClient cache = cache(100, 300_000, 0);
    cache.onResync(HEARTBEAT_MILLIS);
    try (GeneratedKey g = generate("acct")) {
      unwrap(cache, "acct", g.wrapped());
      cache.onEnded(new IllegalStateException("agent gone"));
      assertEquals(0, cache.stats().entries(), "fail closed: the key material is dropped at once");
      agent.refuseWith("UNAVAILABLE");
      CompletionException e = assertThrows(CompletionException.class, () -> cache.unwrap("acct", g.wrapped(), "r").join());
      assertInstanceOf(BackendUnavailableException.class, e.getCause());
      agent.refuseWith(null);
    }
  }

  @Test
  void withAnOfflineGraceCachedKeysRideOutAnOutageThenStop() {
    CachingKeyClient cache = cache(100, 300_000, 30_000);
    cache.onResync(HEARTBEAT_MILLIS);
    try (GeneratedKey cached = generate("acct"); GeneratedKey uncached = generate("acct")) {
      unwrap(cache, "acct", cached.wrapped());
      cache.onEnded(new IllegalStateException("agent gone"));
      agent.refuseWith("UNAVAILABLE");
      advanceMillis(29_000);
      assertArrayEquals(cached.dek().copyBytes(), unwrap(cache, "acct", cached.wrapped()), "within the grace");
      CompletionException e = assertThrows(CompletionException.class,
          () -> cache.unwrap("acct", uncached.wrapped(), "r").join());
      assertInstanceOf(BackendUnavailableException.class, e.getCause(), "an uncached key is 503");
      advanceMillis(2_000);
      e = assertThrows(CompletionException.class, () -> cache.unwrap("acct", cached.wrapped(), "r").join());
      assertInstanceOf(BackendUnavailableException.class, e.getCause(), "after the grace");
      cache.expire();
      assertEquals(0, cache.stats().entries(), "past the grace the key material is dropped");
      agent.refuseWith(null);
    }
  }

  @Test
  void aSilentStreamStopsServingAfterThreeHeartbeats() {
    CachingKeyClient cache = cache(100, 300_000, 0);
    cache.onResync(HEARTBEAT_MILLIS);
    try (GeneratedKey g = generate("acct")) {
      unwrap(cache, "acct", g.wrapped());
      advanceMillis(2_500);
      cache.onHeartbeat();
      advanceMillis(2_900);
      unwrap(cache, "acct", g.wrapped());
      assertEquals(1, agent.unwrapped.get(), "served: heard 2.9 s ago");
      advanceMillis(200);
      unwrap(cache, "acct", g.wrapped());
      assertEquals(2, agent.unwrapped.get(), "not served: silent for more than three heartbeats");
      assertFalse(cache.streamHealthy());
    }
  }

  @Test
  void entriesExpireAfterTheirTtlAndTheOldestIsEvictedBeyondTheBound() {
    CachingKeyClient cache = cache(2, 60_000, 0);
    cache.onResync(100_000);
    try (GeneratedKey a = generate("a"); GeneratedKey b = generate("b"); GeneratedKey c = generate("c")) {
      unwrap(cache, "a", a.wrapped());
      advanceMillis(30_000);
      unwrap(cache, "b", b.wrapped());
      unwrap(cache, "c", c.wrapped());
      assertEquals(2, cache.stats().entries());
      assertEquals(1, cache.stats().evictions(), "a, least recently used, is evicted");
      advanceMillis(30_001);
      cache.expire();
      assertEquals(2, cache.stats().entries(), "b and c are 30 s old");
      advanceMillis(30_000);
      unwrap(cache, "b", b.wrapped());
      assertEquals(4, agent.unwrapped.get(), "b expired: unwrapped again");
    }
  }

  @Test
  void anUnwrapInFlightDuringAnInvalidationIsNotStored() {
    CompletableFuture<DataKey> gate = new CompletableFuture<>();
    KeyClient slow = new KeyClient() {
      @Override
      public CompletableFuture<GeneratedKey> generate(String account, String requestId) {
        throw new UnsupportedOperationException();
      }

      @Override
      public CompletableFuture<DataKey> unwrap(String account, WrappedKey wrapped, String requestId) {
        return gate;
      }

      @Override
      public CompletableFuture<io.cobalt.gateway.encryption.KeyStatus> keyStatus(String keyId, String requestId) {
        throw new UnsupportedOperationException();
      }
    };
    CachingKeyClient cache = new CachingKeyClient(slow, new KeyCacheConfig(10, 60_000, 0), now::get);
    cache.onResync(HEARTBEAT_MILLIS);
    WrappedKey w = WrappedKey.newBuilder().setKeyId("account/a").setKeyVersion(1)
        .setCiphertext(ByteString.copyFrom(new byte[60])).build();
    CompletableFuture<DataKey> inFlight = cache.unwrap("a", w, "r");
    cache.onKeyChanged("account/a", 1, "KEY_EVENT_DISABLED");
    gate.complete(DataKey.of(new byte[32]));
    inFlight.join().close();
    assertEquals(0, cache.stats().entries(), "a DEK fetched before the revocation must not be served after it");
  }

  @Test
  void theCallerOwnsItsCopyClosingItLeavesTheCachedKeyIntact() {
    CachingKeyClient cache = cache(10, 60_000, 0);
    cache.onResync(HEARTBEAT_MILLIS);
    try (GeneratedKey g = generate("acct")) {
      DataKey first = cache.unwrap("acct", g.wrapped(), "r").join();
      first.close();
      assertTrue(first.isDestroyed());
      assertArrayEquals(g.dek().copyBytes(), unwrap(cache, "acct", g.wrapped()));
      cache.close();
      assertEquals(0, cache.stats().entries());
    }
  }

  /** A fake event source: records each stream's listener; the test plays the agent. */
  private static final class FakeEventSource implements io.cobalt.gateway.encryption.KeyEventSource {
    final List<KeyEventListener> streams = new CopyOnWriteArrayList<>();
    final List<Boolean> cancelled = new CopyOnWriteArrayList<>();

    @Override
    public AutoCloseable subscribe(String name, KeyEventListener listener) {
      int i = streams.size();
      streams.add(listener);
      cancelled.add(false);
      return () -> cancelled.set(i, true);
    }

    KeyEventListener awaitStream(int n) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (streams.size() <= n && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertTrue(streams.size() > n, "no stream #" + n + " within 10 s");
      return streams.get(n);
    }
  }

  @Test
  void theSubscriptionResubscribesAfterTheStreamEndsAndIgnoresTheOldStream() throws Exception {
    CachingKeyClient cache = cache(10, 60_000, 0);
    FakeEventSource source = new FakeEventSource();
    ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1);
    try (KeyEventSubscription sub = new KeyEventSubscription(source, "test", cache, scheduler, now::get, new Random(1))) {
      KeyEventListener first = source.awaitStream(0);
      first.onResync(HEARTBEAT_MILLIS);
      assertTrue(cache.streamHealthy());
      first.onEnded(new IllegalStateException("reset"));
      assertFalse(cache.streamHealthy());
      KeyEventListener second = source.awaitStream(1);
      first.onResync(HEARTBEAT_MILLIS);
      assertFalse(cache.streamHealthy(), "the ended stream's callbacks are ignored");
      second.onResync(HEARTBEAT_MILLIS);
      assertTrue(cache.streamHealthy());
      assertEquals(2, sub.connects());
    } finally {
      scheduler.shutdownNow();
    }
    assertTrue(source.cancelled.get(1), "closing the subscription cancels its stream");
  }

  @Test
  void theWatchdogCutsASilentStreamAndResubscribes() throws Exception {
    CachingKeyClient cache = cache(10, 60_000, 0);
    FakeEventSource source = new FakeEventSource();
    ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1);
    try (KeyEventSubscription sub = new KeyEventSubscription(source, "test", cache, scheduler, now::get, new Random(2))) {
      source.awaitStream(0).onResync(HEARTBEAT_MILLIS);
      advanceMillis(Duration.ofSeconds(4).toMillis());
      source.awaitStream(1);
      assertTrue(source.cancelled.get(0), "the silent stream was cancelled");
      assertFalse(cache.streamHealthy());
    } finally {
      scheduler.shutdownNow();
    }
  }
}
