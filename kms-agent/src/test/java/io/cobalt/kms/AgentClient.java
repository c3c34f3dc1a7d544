package io.cobalt.kms;

import static org.junit.jupiter.api.Assertions.assertThrows;

import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.kms.api.KeyAgentRpcService;
import io.cobalt.proto.kms.v1.KeyAdminGrpc;
import io.cobalt.proto.kms.v1.KeyAgentGrpc;
import io.cobalt.proto.kms.v1.KeyEventsGrpc;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.function.Executable;

/** A test caller of one agent with one identity: both services over one mTLS channel. */
final class AgentClient implements AutoCloseable {
  private final ManagedChannel channel;

  AgentClient(int port, TlsMaterial tls) {
    channel = Grpc.newChannelBuilderForAddress("127.0.0.1", port, TlsChannelCredentials.newBuilder()
        .keyManager(tls.keyManagers()).trustManager(tls.trustManagers()).build()).build();
  }

  KeyAgentGrpc.KeyAgentBlockingStub data() {
    return KeyAgentGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  KeyAdminGrpc.KeyAdminBlockingStub admin() {
    return KeyAdminGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  /** The key event stream (no deadline: it is long-lived). */
  KeyEventsGrpc.KeyEventsStub events() {
    return KeyEventsGrpc.newStub(channel);
  }

  /** The refusal of {@code call}: its status code and its stable kind ({@code cobalt-kms-code}). */
  static String refusal(Executable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
    Status.Code code = e.getStatus().getCode();
    return code + "/" + (e.getTrailers() == null ? null : e.getTrailers().get(KeyAgentRpcService.CODE_TRAILER));
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
