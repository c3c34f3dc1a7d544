package io.cobalt.kms.api;

import io.cobalt.kms.audit.KeyOperation;
import io.cobalt.kms.keys.CallerContext;
import io.cobalt.kms.keys.KeyOperationException;
import io.cobalt.kms.lifecycle.KeyChange;
import io.cobalt.kms.lifecycle.KeyChangeFeed;
import io.cobalt.kms.policy.CallerPolicy;
import io.cobalt.proto.kms.v1.KeyEvent;
import io.cobalt.proto.kms.v1.KeyEventKind;
import io.cobalt.proto.kms.v1.KeyEventSubscribeRequest;
import io.cobalt.proto.kms.v1.KeyEventsGrpc;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * gRPC adapter of the key change feed ({@code cobalt.kms.v1.KeyEvents}): each subscriber (a
 * gateway) gets RESYNC, then the changes of the keys it may GetKey, and a heartbeat every
 * {@code heartbeatMillis}. A stream never blocks the agent: a subscriber whose stream is not ready
 * (it does not read) when an event is due is cut off with RESOURCE_EXHAUSTED; it reconnects and
 * resyncs. {@link #close()} ends every stream with UNAVAILABLE (the agent is stopping).
 *
 * <p>Subscribing needs GetKey permission on some key; a denial is audited by the policy. An accepted
 * subscription is not audited (it is no key operation; what it announces was audited when it was done).
 */
public final class KeyEventsRpcService extends KeyEventsGrpc.KeyEventsImplBase implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KeyEventsRpcService.class);

  private final CallerPolicy policy;
  private final KeyChangeFeed feed;
  private final Clock clock;
  private final LongSupplier nanoTicker;
  private final long heartbeatMillis;
  private final Set<Subscription> subscriptions = ConcurrentHashMap.newKeySet();
  private final ScheduledFuture<?> heartbeats;

  public KeyEventsRpcService(CallerPolicy policy, KeyChangeFeed feed, ScheduledExecutorService scheduler,
      long heartbeatMillis, Clock clock, LongSupplier nanoTicker) {
    if (heartbeatMillis < 1) {
      throw new IllegalArgumentException("heartbeatMillis must be >= 1");
    }
    this.policy = policy;
    this.feed = feed;
    this.clock = clock;
    this.nanoTicker = nanoTicker;
    this.heartbeatMillis = heartbeatMillis;
    this.heartbeats = scheduler.scheduleAtFixedRate(this::heartbeat, heartbeatMillis, heartbeatMillis,
        TimeUnit.MILLISECONDS);
  }

  /** Streams open now. */
  public int subscribers() {
    return subscriptions.size();
  }

  @Override
  public void subscribe(KeyEventSubscribeRequest req, StreamObserver<KeyEvent> out) {
    CallerContext ctx = KeyAgentRpcService.contextOf("", nanoTicker);
    try {
      if (!policy.allows(ctx.caller(), KeyOperation.GET_KEY)) {
        policy.authorize(ctx, KeyOperation.GET_KEY, null, null, null);
      }
    } catch (KeyOperationException e) {
      out.onError(KeyAgentRpcService.statusOf(e, KeyOperation.GET_KEY));
      return;
    }
    ServerCallStreamObserver<KeyEvent> call = (ServerCallStreamObserver<KeyEvent>) out;
    Subscription s = new Subscription(call, ctx.caller(), req.getSubscriber());
    call.setOnCancelHandler(s::end);
    synchronized (s) {
      s.send(KeyEvent.newBuilder().setKind(KeyEventKind.KEY_EVENT_RESYNC).setSequence(feed.lastSequence())
          .setEpochMillis(clock.millis()).setHeartbeatMillis(heartbeatMillis).build());
      if (s.ended) {
        return;
      }
      if (!feed.add(s)) {
        s.fail(Status.RESOURCE_EXHAUSTED.withDescription("too many key event subscribers"));
        return;
      }
      subscriptions.add(s);
    }
    LOG.info("key event subscriber {} ({}) connected", abbreviated(ctx.caller()), safeName(req.getSubscriber()));
  }

  private void heartbeat() {
    try {
      KeyEvent beat = KeyEvent.newBuilder().setKind(KeyEventKind.KEY_EVENT_HEARTBEAT)
          .setSequence(feed.lastSequence()).setEpochMillis(clock.millis()).build();
      for (Subscription s : subscriptions) {
        s.deliver(beat);
      }
    } catch (RuntimeException e) {
      LOG.warn("key event heartbeat failed: {}", e.toString());
    }
  }

  static KeyEventKind kindOf(KeyChange.Kind kind) {
    return switch (kind) {
      case DISABLED -> KeyEventKind.KEY_EVENT_DISABLED;
      case ENABLED -> KeyEventKind.KEY_EVENT_ENABLED;
      case MIN_VERSION_CHANGED -> KeyEventKind.KEY_EVENT_MIN_VERSION_CHANGED;
      case DELETED -> KeyEventKind.KEY_EVENT_DELETED;
      case RECOVERED -> KeyEventKind.KEY_EVENT_RECOVERED;
      case PURGED -> KeyEventKind.KEY_EVENT_PURGED;
      case ROTATED -> KeyEventKind.KEY_EVENT_ROTATED;
      case DESTROYED -> KeyEventKind.KEY_EVENT_DESTROYED;
      case CHANGED -> KeyEventKind.KEY_EVENT_CHANGED;
    };
  }

  @Override
  public void close() {
    heartbeats.cancel(false);
    for (Subscription s : subscriptions) {
      s.fail(Status.UNAVAILABLE.withDescription("the kms-agent is stopping"));
    }
  }

  private static String abbreviated(String identity) {
    return identity == null ? "(none)" : identity.substring(0, Math.min(16, identity.length()));
  }

  /** The subscriber's self-chosen name, only printable ASCII and at most 64 characters, for the log. */
  private static String safeName(String name) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < name.length() && b.length() < 64; i++) {
      char c = name.charAt(i);
      b.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return b.toString();
  }

  /** One open stream. All sends are serialized on this object. */
  private final class Subscription implements Consumer<KeyChange> {
    private final ServerCallStreamObserver<KeyEvent> call;
    private final String caller;
    private final String name;
    private boolean ended;

    Subscription(ServerCallStreamObserver<KeyEvent> call, String caller, String name) {
      this.call = call;
      this.caller = caller;
      this.name = safeName(name);
    }

    @Override
    public void accept(KeyChange c) {
      if (!policy.allows(caller, KeyOperation.GET_KEY, c.keyId(), null)) {
        return;
      }
      deliver(KeyEvent.newBuilder().setSequence(c.sequence()).setKind(kindOf(c.kind())).setKeyId(c.keyId())
          .setKeyVersion(Math.max(0, c.version())).setEpochMillis(c.epochMillis()).build());
    }

    synchronized void deliver(KeyEvent e) {
      if (ended) {
        return;
      }
      if (!call.isReady()) {
        LOG.warn("key event subscriber {} ({}) does not read its stream; cut off", abbreviated(caller), name);
        fail(Status.RESOURCE_EXHAUSTED.withDescription("subscriber too slow; reconnect"));
        return;
      }
      send(e);
    }

    synchronized void send(KeyEvent e) {
      try {
        call.onNext(e);
      } catch (RuntimeException ex) {
        // cancelled meanwhile
        end();
      }
    }

    synchronized void fail(Status status) {
      if (ended) {
        return;
      }
      end();
      try {
        call.onError(status.asRuntimeException());
      } catch (RuntimeException ex) {
        // already cancelled
      }
    }

    synchronized void end() {
      if (!ended) {
        ended = true;
        feed.remove(this);
        subscriptions.remove(this);
        LOG.info("key event subscriber {} ({}) disconnected", abbreviated(caller), name);
      }
    }
  }
}
