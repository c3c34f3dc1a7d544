package io.cobalt.node.consensus;

import java.io.IOException;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs the placement controller's blocking admin calls (Ratis group add and info,
 * {@code setConfiguration}, leadership transfer) with a bound on each (ADR 0037). The Ratis client
 * retries a call under its retry policy, which in a ChaosOpsIT run kept one {@code setConfiguration}
 * going for 105 s; here the caller gets an {@link IOException} once the bound has passed, the call
 * is interrupted, and the controller's round goes on.
 *
 * <p>Each call runs on a daemon thread of a small pool (threads end when idle). A call that ignores
 * its interruption keeps its thread until it ends by itself; at most {@link #MAX_THREADS} such
 * threads exist, and a call beyond them fails at once instead of queueing behind the stuck ones.
 */
final class BoundedCalls {
  static final int MAX_THREADS = 4;

  /** The call did not finish within the bound. */
  static final class CallTimeoutException extends IOException {
    private static final long serialVersionUID = 1L;

    CallTimeoutException(String message) {
      super(message);
    }
  }

  private static final AtomicInteger THREADS = new AtomicInteger();

  private final long timeoutMillis;
  private final ThreadPoolExecutor pool;

  BoundedCalls(long timeoutMillis) {
    if (timeoutMillis <= 0) {
      throw new IllegalArgumentException("timeoutMillis must be positive: " + timeoutMillis);
    }
    this.timeoutMillis = timeoutMillis;
    this.pool = new ThreadPoolExecutor(0, MAX_THREADS, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
      Thread t = new Thread(r, "placement-admin-call-" + THREADS.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  long timeoutMillis() {
    return timeoutMillis;
  }

  /**
   * {@code call}'s result, or an {@link IOException} naming {@code what} if it failed or did not
   * finish within the bound ({@link CallTimeoutException}). {@code what} goes into the message:
   * node and group ids only, nothing secret.
   */
  <T> T call(String what, Callable<T> call) throws IOException, InterruptedException {
    Future<T> f;
    try {
      f = pool.submit(call);
    } catch (RejectedExecutionException e) {
      throw new IOException(what + ": not started, " + MAX_THREADS + " earlier admin calls are still stuck");
    }
    try {
      return f.get(timeoutMillis, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      f.cancel(true);
      throw new CallTimeoutException(what + " did not finish within " + timeoutMillis + " ms");
    } catch (InterruptedException e) {
      f.cancel(true);
      throw e;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      if (cause instanceof InterruptedException ie) {
        throw new IOException(what + " was interrupted", ie);
      }
      throw new IOException(what + " failed: " + cause, cause);
    }
  }
}
