package io.cobalt.gateway.encryption;

import io.cobalt.crypto.key.DataKey;
import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.gateway.nodeclient.GrpcCalls;
import io.cobalt.gateway.nodeclient.NodeChannels;
import io.cobalt.proto.grpc.ReconnectPacer;
import io.cobalt.proto.kms.v1.GenerateDataKeyRequest;
import io.cobalt.proto.kms.v1.GenerateDataKeyResponse;
import io.cobalt.proto.kms.v1.GetKeyRequest;
import io.cobalt.proto.kms.v1.GetKeyResponse;
import io.cobalt.proto.kms.v1.KeyVersionInfo;
import io.cobalt.proto.kms.v1.UnwrapResponse;
import io.cobalt.proto.kms.v1.KeyAgentGrpc;
import io.cobalt.proto.kms.v1.KeyEvent;
import io.cobalt.proto.kms.v1.KeyEventSubscribeRequest;
import io.cobalt.proto.kms.v1.KeyEventsGrpc;
import io.cobalt.proto.kms.v1.UnwrapRequest;
import io.cobalt.proto.kms.v1.WrappedKey;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@link KeyClient} over gRPC (mTLS) to the kms-agent, 10 s deadline per call. Plaintext key bytes
 * from the agent are turned into {@link DataKey}s and the protobuf copies are not kept. A refusal
 * (PERMISSION_DENIED, INVALID_ARGUMENT, FAILED_PRECONDITION, NOT_FOUND) becomes a
 * {@link KeyRefusedException} whose reason comes from the agent's {@code cobalt-kms-code} trailer;
 * UNAVAILABLE and DEADLINE_EXCEEDED become {@code BackendUnavailableException} (503, retriable).
 *
 * <p>Nothing is cached here; {@link CachingKeyClient} caches in front of this client, kept fresh by
 * the agent's key event stream ({@link #subscribe}, no deadline: it lives as long as the gateway).
 */
public final class KeyAgentClient implements KeyClient, KeyEventSource, AutoCloseable {
  public static final long DEADLINE_MILLIS = 10_000;
  /** The trailer in which the agent names its failure kind (KEY_DISABLED, NOT_AUTHENTIC, ...). */
  static final String CODE_TRAILER = "cobalt-kms-code";
  /** gRPC statuses by which the agent refuses (the rest are retriable or internal errors). */
  private static final Set<String> REFUSALS =
      Set.of("PERMISSION_DENIED", "INVALID_ARGUMENT", "FAILED_PRECONDITION", "NOT_FOUND");

  private final ManagedChannel channel;
  /** The agent back from a restart is used again within a second, not after gRPC's backoff (up to 120 s). */
  private final ReconnectPacer pacer;

  public KeyAgentClient(String host, int port, TlsMaterial tls) {
    this(NodeChannels.open(host, port, tls));
  }

  /** Over an open channel (tests: a plaintext loopback agent); closing this client shuts it down. */
  KeyAgentClient(ManagedChannel channel) {
    this.channel = channel;
    this.pacer = new ReconnectPacer(List.of(channel), ReconnectPacer.DEFAULT_PERIOD_MILLIS, "gateway-kms-reconnect");
  }

  @Override
  public CompletableFuture<GeneratedKey> generate(String account, String requestId) {
    GenerateDataKeyRequest request =
        GenerateDataKeyRequest.newBuilder().setAccount(account).setRequestId(requestId).build();
    return refusals(
        GrpcCalls.<GenerateDataKeyResponse, GeneratedKey>unary(
            "GenerateDataKey",
            obs -> stub().generateDataKey(request, obs),
            r -> new GeneratedKey(toKey(r.getPlaintextKey().toByteArray()), r.getWrapped())));
  }

  @Override
  public CompletableFuture<GeneratedKey> generate(String account, String keyId, String requestId) {
    GenerateDataKeyRequest request = GenerateDataKeyRequest.newBuilder()
        .setAccount(account).setKeyId(keyId == null ? "" : keyId).setRequestId(requestId).build();
    return refusals(
        GrpcCalls.<GenerateDataKeyResponse, GeneratedKey>unary(
            "GenerateDataKey",
            obs -> stub().generateDataKey(request, obs),
            r -> new GeneratedKey(toKey(r.getPlaintextKey().toByteArray()), r.getWrapped())));
  }

  @Override
  public CompletableFuture<DataKey> unwrap(String account, WrappedKey wrapped, String requestId) {
    UnwrapRequest request =
        UnwrapRequest.newBuilder().setAccount(account).setWrapped(wrapped).setRequestId(requestId).build();
    return refusals(
        GrpcCalls.<UnwrapResponse, DataKey>unary(
            "Unwrap", obs -> stub().unwrap(request, obs), r -> toKey(r.getPlaintextKey().toByteArray())));
  }

  @Override
  public CompletableFuture<KeyStatus> keyStatus(String keyId, String requestId) {
    GetKeyRequest request = GetKeyRequest.newBuilder().setKeyId(keyId).setRequestId(requestId).build();
    return refusals(
        GrpcCalls.<GetKeyResponse, KeyStatus>unary("GetKey", obs -> stub().getKey(request, obs), r -> {
          Map<Integer, String> states = new HashMap<>();
          for (KeyVersionInfo v : r.getVersionsList()) {
            states.put(v.getVersion(), v.getState());
          }
          return new KeyStatus(r.getKeyId(), states, r.getMinDecryptionVersion(), r.hasDeletion(),
              r.getSourceKeyId(), r.getSourcePinnedVersion());
        }));
  }

  @Override
  public AutoCloseable subscribe(String subscriberName, KeyEventListener listener) {
    AtomicReference<ClientCallStreamObserver<KeyEventSubscribeRequest>> call = new AtomicReference<>();
    KeyEventsGrpc.newStub(channel).subscribe(
        KeyEventSubscribeRequest.newBuilder().setSubscriber(subscriberName).build(),
        new ClientResponseObserver<KeyEventSubscribeRequest, KeyEvent>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<KeyEventSubscribeRequest> requestStream) {
            call.set(requestStream);
          }

          @Override
          public void onNext(KeyEvent e) {
            switch (e.getKind()) {
              case KEY_EVENT_RESYNC -> listener.onResync(e.getHeartbeatMillis());
              case KEY_EVENT_HEARTBEAT -> listener.onHeartbeat();
              // Any other kind, known or not, is a change of the named key: drop what is cached of it.
              default -> listener.onKeyChanged(e.getKeyId(), e.getKeyVersion(), e.getKind().name());
            }
          }

          @Override
          public void onError(Throwable t) {
            io.grpc.Status st = io.grpc.Status.fromThrowable(t);
            listener.onEnded(new IllegalStateException("KeyEvents.Subscribe: " + st.getCode()
                + (st.getDescription() == null ? "" : " " + st.getDescription())));
          }

          @Override
          public void onCompleted() {
            listener.onEnded(null);
          }
        });
    return () -> {
      ClientCallStreamObserver<KeyEventSubscribeRequest> c = call.get();
      if (c != null) {
        c.cancel("the gateway closed its key event stream", null);
      }
    };
  }

  private static DataKey toKey(byte[] bytes) {
    try {
      return DataKey.of(bytes);
    } finally {
      Arrays.fill(bytes, (byte) 0);
    }
  }

  private static <T> CompletableFuture<T> refusals(CompletableFuture<T> f) {
    return f.handle(
            (v, e) -> {
              if (e == null) {
                return v;
              }
              Throwable c = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
              if (c instanceof GrpcCalls.BackendCallException b && REFUSALS.contains(b.status())) {
                throw KeyRefusedException.fromAgent(b.status(), b.trailer(CODE_TRAILER), b.getMessage());
              }
              throw c instanceof RuntimeException re ? re : new CompletionException(c);
            });
  }

  private KeyAgentGrpc.KeyAgentStub stub() {
    return KeyAgentGrpc.newStub(channel).withDeadlineAfter(DEADLINE_MILLIS, TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    pacer.close();
    channel.shutdown();
    try {
      if (!channel.awaitTermination(2, TimeUnit.SECONDS)) {
        channel.shutdownNow();
      }
    } catch (InterruptedException e) {
      channel.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
