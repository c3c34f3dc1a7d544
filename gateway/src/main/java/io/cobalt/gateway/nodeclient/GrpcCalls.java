package io.cobalt.gateway.nodeclient;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * A unary gRPC call as a {@link CompletableFuture}, with gRPC statuses translated: UNAVAILABLE,
 * DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED and ABORTED become {@link BackendUnavailableException}
 * (retriable); the rest keep their status in a plain exception.
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
      default -> new BackendCallException(what, status.getCode().name(), nullToEmpty(status.getDescription()));
    };
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }

  /** A backend answered with a non-retriable gRPC status (its name in {@link #status()}). */
  public static final class BackendCallException extends RuntimeException {
    private final String status;

    BackendCallException(String what, String status, String description) {
      super(what + ": " + status + " " + description, null, false, false);
      this.status = status;
    }

    public String status() {
      return status;
    }
  }
}
