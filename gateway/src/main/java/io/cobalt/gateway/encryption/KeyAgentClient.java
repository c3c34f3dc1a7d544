package io.cobalt.gateway.encryption;

import io.cobalt.crypto.key.DataKey;
import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.gateway.nodeclient.GrpcCalls;
import io.cobalt.gateway.nodeclient.NodeChannels;
import io.cobalt.proto.kms.v1.GenerateDataKeyRequest;
import io.cobalt.proto.kms.v1.GenerateDataKeyResponse;
import io.cobalt.proto.kms.v1.UnwrapResponse;
import io.cobalt.proto.kms.v1.KeyAgentGrpc;
import io.cobalt.proto.kms.v1.UnwrapRequest;
import io.cobalt.proto.kms.v1.WrappedKey;
import io.grpc.ManagedChannel;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * {@link KeyClient} over gRPC (mTLS) to the kms-agent, 10 s deadline per call. Plaintext key bytes
 * from the agent are turned into {@link DataKey}s and the protobuf copies are not kept. A refusal
 * (PERMISSION_DENIED, INVALID_ARGUMENT, FAILED_PRECONDITION, NOT_FOUND) becomes a
 * {@link KeyRefusedException} whose reason comes from the agent's {@code cobalt-kms-code} trailer;
 * UNAVAILABLE and DEADLINE_EXCEEDED become {@code BackendUnavailableException} (503, retriable).
 *
 * <p>Nothing is cached: every request unwraps through the agent, so a key disabled in the agent is
 * refused on the very next request.
 */
public final class KeyAgentClient implements KeyClient, AutoCloseable {
  public static final long DEADLINE_MILLIS = 10_000;
  /** The trailer in which the agent names its failure kind (KEY_DISABLED, NOT_AUTHENTIC, ...). */
  static final String CODE_TRAILER = "cobalt-kms-code";
  /** gRPC statuses by which the agent refuses (the rest are retriable or internal errors). */
  private static final Set<String> REFUSALS =
      Set.of("PERMISSION_DENIED", "INVALID_ARGUMENT", "FAILED_PRECONDITION", "NOT_FOUND");

  private final ManagedChannel channel;

  public KeyAgentClient(String host, int port, TlsMaterial tls) {
    this(NodeChannels.open(host, port, tls));
  }

  /** Over an open channel (tests: a plaintext loopback agent); closing this client shuts it down. */
  KeyAgentClient(ManagedChannel channel) {
    this.channel = channel;
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
  public CompletableFuture<DataKey> unwrap(String account, WrappedKey wrapped, String requestId) {
    UnwrapRequest request =
        UnwrapRequest.newBuilder().setAccount(account).setWrapped(wrapped).setRequestId(requestId).build();
    return refusals(
        GrpcCalls.<UnwrapResponse, DataKey>unary(
            "Unwrap", obs -> stub().unwrap(request, obs), r -> toKey(r.getPlaintextKey().toByteArray())));
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
