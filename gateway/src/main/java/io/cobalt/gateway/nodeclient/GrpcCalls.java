package io.cobalt.gateway.nodeclient;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * A unary gRPC call as a {@link CompletableFuture}, with gRPC statuses translated: UNAVAILABLE,
 * DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED and CANCELLED become
 * {@link BackendUnavailableException} (retriable); the rest keep their status, and the server's
 * stable failure kind if it sent one in a {@code cobalt-*-code} trailer, in a
 * {@link BackendCallException}.
 */
public final class GrpcCalls {
  private GrpcCalls() {}

  public static <R, T> CompletableFuture<T> unary(
      String what, java.util.function.Consumer<StreamObserver<R>> call, Function<R, T> map) {
    CompletableFuture<T> f = new CompletableFuture<>();
    call.accept(
        new StreamObserver<>() {
          @Override
          public void onNext(R value) {
            try {
              f.complete(map.apply(value));
            } catch (RuntimeException e) {
              f.completeExceptionally(e);
            }
          }

          @Override
          public void onError(Throwable t) {
            f.completeExceptionally(translate(what, t));
          }

          @Override
          public void onCompleted() {
            if (!f.isDone()) {
              f.completeExceptionally(new IllegalStateException(what + ": no response"));
            }
          }
        });
    return f;
  }

  static RuntimeException translate(String what, Throwable t) {
    Status status = Status.fromThrowable(t);
    return switch (status.getCode()) {
      case UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, CANCELLED ->
          new BackendUnavailableException(what + ": " + status.getCode() + " " + nullToEmpty(status.getDescription()));
      default -> new BackendCallException(
          what, status.getCode().name(), nullToEmpty(status.getDescription()), Status.trailersFromThrowable(t));
    };
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }

  /**
   * A backend answered with a non-retriable gRPC status (its name in {@link #status()}), and
   * possibly a domain failure kind in a trailer (read with {@link #trailer}).
   */
  public static final class BackendCallException extends RuntimeException {
    private final String status;
    private final Metadata trailers;

    BackendCallException(String what, String status, String description, Metadata trailers) {
      super(what + ": " + status + " " + description, null, false, false);
      this.status = status;
      this.trailers = trailers;
    }

    public String status() {
      return status;
    }

    /** The value of the ASCII trailer {@code name} (e.g. {@code cobalt-kms-code}), or null if absent. */
    public String trailer(String name) {
      return trailers == null ? null : trailers.get(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER));
    }
  }
}
