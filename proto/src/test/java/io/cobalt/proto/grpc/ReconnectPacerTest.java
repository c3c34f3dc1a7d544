package io.cobalt.proto.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cobalt.proto.node.v1.ChunkServiceGrpc;
import io.cobalt.proto.node.v1.HasChunksRequest;
import io.cobalt.proto.node.v1.HasChunksResponse;
import io.grpc.ConnectivityState;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A peer that was down long enough for gRPC's reconnect backoff to grow is used again within about
 * a period of the pacer once it is back, instead of after the rest of the backoff (which, after 20 s
 * down, is 4-8 s more; after two minutes, up to 120 s).
 */
class ReconnectPacerTest {
  @Test
  void aPeerBackFromALongOutageIsReachedAgainWithinAboutOnePeriod() throws Exception {
    Server server = start(0);
    int port = server.getPort();
    ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", port, InsecureChannelCredentials.create())
        .build();
    try (ReconnectPacer pacer = new ReconnectPacer(List.of(channel), 500, "test-reconnect")) {
      assertTrue(call(channel, 20), "the first connection (a loaded machine may take seconds)");
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      // Down for 20 s, as a killed node that restarts: the channel's backoff grows meanwhile (1, 1.6, 2.6,
      // 4.1, 6.6, 10.5 s ...), the pacer cutting it short every period (and failing to connect).
      long downUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (System.nanoTime() < downUntil) {
        assertThrows(StatusRuntimeException.class, () -> call(channel, 2));
        Thread.sleep(200);
      }
      server = start(port);
      long back = System.nanoTime();
      while (true) {
        try {
          call(channel, 2);
          break;
        } catch (StatusRuntimeException e) {
          assertTrue(System.nanoTime() - back < TimeUnit.SECONDS.toNanos(30), "never reconnected: " + e);
          Thread.sleep(50);
        }
      }
      long millis = (System.nanoTime() - back) / 1_000_000;
      assertTrue(millis < 3_000, "reached again " + millis + " ms after the peer was back (pacer period 500 ms)");
      assertEquals(ConnectivityState.READY, channel.getState(false));
      assertEquals(0, pacer.tick(), "a ready channel is left alone");
    } finally {
      channel.shutdownNow();
      server.shutdownNow();
    }
  }

  private static boolean call(ManagedChannel channel, int deadlineSeconds) {
    return ChunkServiceGrpc.newBlockingStub(channel).withDeadlineAfter(deadlineSeconds, TimeUnit.SECONDS)
        .hasChunks(HasChunksRequest.getDefaultInstance()) != null;
  }

  private static Server start(int port) throws IOException {
    return Grpc.newServerBuilderForPort(port, InsecureServerCredentials.create())
        .addService(new ChunkServiceGrpc.ChunkServiceImplBase() {
          @Override
          public void hasChunks(HasChunksRequest request, StreamObserver<HasChunksResponse> out) {
            out.onNext(HasChunksResponse.getDefaultInstance());
            out.onCompleted();
          }
        })
        .build().start();
  }
}
