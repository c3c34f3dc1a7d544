package io.cobalt.gateway.encryption;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import io.cobalt.crypto.key.DataKey;
import io.cobalt.gateway.encryption.KeyRefusedException.Reason;
import io.cobalt.gateway.nodeclient.BackendUnavailableException;
import io.cobalt.proto.kms.v1.GenerateDataKeyRequest;
import io.cobalt.proto.kms.v1.GenerateDataKeyResponse;
import io.cobalt.proto.kms.v1.KeyAgentGrpc;
import io.cobalt.proto.kms.v1.UnwrapRequest;
import io.cobalt.proto.kms.v1.UnwrapResponse;
import io.cobalt.proto.kms.v1.WrappedKey;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link KeyAgentClient} against a scripted agent on a loopback gRPC server: the agent's refusal
 * (status + {@code cobalt-kms-code} trailer, as {@code KeyAgentRpcService.statusOf} sends it)
 * becomes the right {@link KeyRefusedException.Reason}; outages become retriable; nothing is cached.
 */
class KeyAgentClientTest {
  private static final Metadata.Key<String> CODE =
      Metadata.Key.of(KeyAgentClient.CODE_TRAILER, Metadata.ASCII_STRING_MARSHALLER);
  private static final WrappedKey WRAPPED = WrappedKey.newBuilder().setKeyId("account/acct").setKeyVersion(1)
      .setCiphertext(ByteString.copyFrom(new byte[60])).build();

  /** What the scripted agent answers next: null = succeed. */
  private static final AtomicReference<Status> answer = new AtomicReference<>();
  private static final AtomicReference<String> kind = new AtomicReference<>();
  private static final AtomicInteger unwraps = new AtomicInteger();
  private static Server server;
  private static KeyAgentClient client;

  @BeforeAll
  static void start() throws Exception {
    server = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
        .addService(new KeyAgentGrpc.KeyAgentImplBase() {
          @Override
          public void generateDataKey(GenerateDataKeyRequest request, StreamObserver<GenerateDataKeyResponse> obs) {
            if (!refuse(obs)) {
              obs.onNext(GenerateDataKeyResponse.newBuilder().setPlaintextKey(ByteString.copyFrom(new byte[32]))
                  .setWrapped(WRAPPED).build());
              obs.onCompleted();
            }
          }

          @Override
          public void unwrap(UnwrapRequest request, StreamObserver<UnwrapResponse> obs) {
            unwraps.incrementAndGet();
            if (!refuse(obs)) {
              byte[] key = new byte[32];
              key[0] = 7;
              obs.onNext(UnwrapResponse.newBuilder().setPlaintextKey(ByteString.copyFrom(key)).build());
              obs.onCompleted();
            }
          }
        })
        .build()
        .start();
    client = new KeyAgentClient(Grpc.newChannelBuilderForAddress("127.0.0.1", server.getPort(),
        InsecureChannelCredentials.create()).build());
  }

  private static boolean refuse(StreamObserver<?> obs) {
    Status s = answer.get();
    if (s == null) {
      return false;
    }
    Metadata trailers = new Metadata();
    if (kind.get() != null) {
      trailers.put(CODE, kind.get());
    }
    obs.onError(s.withDescription("scripted refusal").asRuntimeException(trailers));
    return true;
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (client != null) {
      client.close();
    }
    if (server != null) {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @BeforeEach
  void reset() {
    answer.set(null);
    kind.set(null);
  }

  private static Throwable unwrapFailure() {
    CompletionException e = assertThrows(CompletionException.class,
        () -> client.unwrap("acct", WRAPPED, "req-1").join());
    return e.getCause();
  }

  @ParameterizedTest(name = "{0} {1} -> {2}")
  @CsvSource({
      "FAILED_PRECONDITION, KEY_DISABLED, KEY_UNAVAILABLE",
      "FAILED_PRECONDITION, KEY_DESTROYED, KEY_UNAVAILABLE",
      "FAILED_PRECONDITION, KEY_DELETED, KEY_UNAVAILABLE",
      "FAILED_PRECONDITION, VERSION_RETIRED, KEY_UNAVAILABLE",
      "FAILED_PRECONDITION, UNKNOWN_KEY, KEY_UNAVAILABLE",
      "FAILED_PRECONDITION, UNKNOWN_KEY_VERSION, KEY_UNAVAILABLE",
      "PERMISSION_DENIED, PERMISSION_DENIED, ACCESS_DENIED",
      "INVALID_ARGUMENT, NOT_AUTHENTIC, NOT_AUTHENTIC",
      "FAILED_PRECONDITION, WRONG_KEY, NOT_AUTHENTIC",
      "INVALID_ARGUMENT, MALFORMED_WRAPPED_KEY, NOT_AUTHENTIC",
      "INVALID_ARGUMENT, INVALID_ACCOUNT, OTHER",
  })
  void mapsTheAgentsRefusalKindToAReason(Status.Code status, String agentKind, Reason expected) {
    answer.set(Status.fromCode(status));
    kind.set(agentKind);
    KeyRefusedException refused = assertInstanceOf(KeyRefusedException.class, unwrapFailure());
    assertEquals(expected, refused.reason());
    assertEquals(agentKind, refused.agentCode());

    CompletionException g = assertThrows(CompletionException.class, () -> client.generate("acct", "req-2").join());
    assertEquals(expected, assertInstanceOf(KeyRefusedException.class, g.getCause()).reason());
  }

  @ParameterizedTest(name = "{0} without a kind -> {1}")
  @CsvSource({"NOT_FOUND, KEY_UNAVAILABLE", "PERMISSION_DENIED, ACCESS_DENIED", "FAILED_PRECONDITION, OTHER"})
  void fallsBackOnTheStatusWhenTheAgentSendsNoKind(Status.Code status, Reason expected) {
    answer.set(Status.fromCode(status));
    KeyRefusedException refused = assertInstanceOf(KeyRefusedException.class, unwrapFailure());
    assertEquals(expected, refused.reason());
    assertNull(refused.agentCode());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"UNAVAILABLE, BACKEND_UNAVAILABLE", "UNAVAILABLE, KEYSTORE_UNAVAILABLE", "DEADLINE_EXCEEDED,",
      "RESOURCE_EXHAUSTED, LIMIT_EXCEEDED"})
  void agentOutagesAreRetriableNotRefusals(Status.Code status, String agentKind) {
    answer.set(Status.fromCode(status));
    kind.set(agentKind);
    assertInstanceOf(BackendUnavailableException.class, unwrapFailure());
  }

  @Test
  void everyUnwrapAsksTheAgentSoADisableIsSeenOnTheNextRequest() {
    int before = unwraps.get();
    try (DataKey k = client.unwrap("acct", WRAPPED, "req-3").join()) {
      byte[] expected = new byte[32];
      expected[0] = 7;
      assertArrayEquals(expected, k.copyBytes());
    }
    answer.set(Status.FAILED_PRECONDITION);
    kind.set("KEY_DISABLED");
    assertEquals(Reason.KEY_UNAVAILABLE, ((KeyRefusedException) unwrapFailure()).reason());
    answer.set(null);
    client.unwrap("acct", WRAPPED, "req-4").join().close();
    assertEquals(before + 3, unwraps.get(), "each request must reach the agent (no DEK cache)");
  }
}
