package io.cobalt.node.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.cobalt.proto.node.v1.ChunkServiceGrpc;
import io.cobalt.proto.node.v1.PutChunkRequest;
import io.cobalt.proto.node.v1.PutChunkResponse;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.Status;
import org.junit.jupiter.api.Test;

class InFlightCallLimitTest {
  private final InFlightCallLimit limit = new InFlightCallLimit(2);
  private final ServerCallHandler<PutChunkRequest, PutChunkResponse> handler =
      (call, headers) -> new ServerCall.Listener<>() {};

  @Test
  void refusesCallsBeyondTheLimitWithResourceExhausted() {
    limit.interceptCall(new RecordingCall(), new Metadata(), handler);
    limit.interceptCall(new RecordingCall(), new Metadata(), handler);
    RecordingCall third = new RecordingCall();
    limit.interceptCall(third, new Metadata(), handler);
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, third.closedWith.getCode());
  }

  @Test
  void completedAndCancelledCallsGiveTheirPermitBackOnce() {
    ServerCall.Listener<PutChunkRequest> first = limit.interceptCall(new RecordingCall(), new Metadata(), handler);
    ServerCall.Listener<PutChunkRequest> second = limit.interceptCall(new RecordingCall(), new Metadata(), handler);
    assertEquals(0, limit.available());
    first.onComplete();
    first.onCancel();
    assertEquals(1, limit.available());
    second.onCancel();
    assertEquals(2, limit.available());

    RecordingCall admitted = new RecordingCall();
    limit.interceptCall(admitted, new Metadata(), handler);
    assertNull(admitted.closedWith);
  }

  private static final class RecordingCall extends ServerCall<PutChunkRequest, PutChunkResponse> {
    Status closedWith;

    @Override
    public void request(int numMessages) {}

    @Override
    public void sendHeaders(Metadata headers) {}

    @Override
    public void sendMessage(PutChunkResponse message) {}

    @Override
    public void close(Status status, Metadata trailers) {
      closedWith = status;
    }

    @Override
    public boolean isCancelled() {
      return false;
    }

    @Override
    public MethodDescriptor<PutChunkRequest, PutChunkResponse> getMethodDescriptor() {
      return ChunkServiceGrpc.getPutChunkMethod();
    }
  }
}
