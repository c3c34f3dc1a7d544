package io.cobalt.chaos;

import com.azure.core.util.Context;
import com.azure.storage.queue.QueueClient;
import com.azure.storage.queue.models.QueueMessageItem;
import com.azure.storage.queue.models.QueueStorageException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A queue under faults: producers enqueue unique messages ({@code q-<worker>-<seq>}), consumers get
 * up to 8 at a time (visibility timeout {@value #VISIBILITY_SECONDS} s) and delete each. After the
 * faults, {@link #drain} gets and deletes until the queue stays empty past a visibility timeout.
 *
 * <p>Delivery is at least once: a message whose delete failed (or whose consumer was slower than its
 * visibility) comes back, so duplicates are counted, not failed. What must be 0: <em>lost</em>
 * (an acknowledged enqueue never received) and <em>unexpected</em> (a received body nobody sent).
 */
public final class QueueWorkload {
  static final int VISIBILITY_SECONDS = 10;

  /** What the run and the drain saw. */
  public record Result(int enqueued, int acknowledged, int indeterminate, int received, int distinctReceived,
      int duplicates, List<String> lost, List<String> unexpected, boolean drained) {}

  private final QueueClient queue;
  private final History history;
  private final Duration timeout;
  private final Map<String, History.Outcome> sent = new ConcurrentHashMap<>(); // body -> enqueue outcome
  private final Map<String, AtomicInteger> receivedCount = new ConcurrentHashMap<>();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final List<Thread> threads = new ArrayList<>();

  public QueueWorkload(QueueClient queue, History history, Duration timeout) {
    this.queue = queue;
    this.history = history;
    this.timeout = timeout;
  }

  public void start(int producers, int consumers) {
    queue.createIfNotExists();
    for (int w = 0; w < producers; w++) {
      int worker = w;
      thread("queue-producer-" + w, () -> produce(worker));
    }
    for (int w = 0; w < consumers; w++) {
      int worker = 100 + w;
      thread("queue-consumer-" + w, () -> {
        while (running.get()) {
          if (consume(worker) == 0) {
            pause(200);
          }
        }
      });
    }
  }

  private void thread(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    threads.add(t);
    t.start();
  }

  public void stop() throws InterruptedException {
    running.set(false);
    for (Thread t : threads) {
      t.join(120_000);
    }
  }

  private void produce(int worker) {
    long seq = 0;
    while (running.get()) {
      String body = "q-" + worker + "-" + seq++;
      sent.put(body, History.Outcome.INFO);
      long t0 = history.now();
      try {
        queue.sendMessageWithResponse(body, null, null, timeout, Context.NONE);
        sent.put(body, History.Outcome.OK);
        history.record("queue", worker, History.Type.ENQUEUE, body, body, null, t0, History.Outcome.OK, null);
      } catch (RuntimeException e) {
        int status = e instanceof QueueStorageException q ? q.getStatusCode() : -1;
        History.Outcome o = RegisterWorkload.outcome(status);
        sent.put(body, o);
        history.record("queue", worker, History.Type.ENQUEUE, body, body, null, t0, o,
            status > 0 ? Integer.toString(status) : e.getClass().getSimpleName());
      }
      pause(20);
    }
  }

  /** One get of up to 8 messages and a delete of each; the number received. */
  private int consume(int worker) {
    long t0 = history.now();
    List<QueueMessageItem> got = new ArrayList<>();
    try {
      for (QueueMessageItem m : queue.receiveMessages(8, Duration.ofSeconds(VISIBILITY_SECONDS), timeout, Context.NONE)) {
        got.add(m);
      }
    } catch (RuntimeException e) {
      history.record("queue", worker, History.Type.DEQUEUE, "queue", null, null, t0, History.Outcome.FAIL,
          e instanceof QueueStorageException q ? Integer.toString(q.getStatusCode()) : e.getClass().getSimpleName());
      return 0;
    }
    for (QueueMessageItem m : got) {
      String body = m.getBody().toString();
      receivedCount.computeIfAbsent(body, b -> new AtomicInteger()).incrementAndGet();
      history.record("queue", worker, History.Type.DEQUEUE, body, body, null, t0, History.Outcome.OK, null);
    }
    for (QueueMessageItem m : got) {
      long t1 = history.now();
      String body = m.getBody().toString();
      try {
        queue.deleteMessageWithResponse(m.getMessageId(), m.getPopReceipt(), timeout, Context.NONE);
        history.record("queue", worker, History.Type.DELETE, body, body, null, t1, History.Outcome.OK, null);
      } catch (RuntimeException e) {
        int status = e instanceof QueueStorageException q ? q.getStatusCode() : -1;
        history.record("queue", worker, History.Type.DELETE, body, body, null, t1, RegisterWorkload.outcome(status),
            status > 0 ? Integer.toString(status) : e.getClass().getSimpleName());
      }
    }
    return got.size();
  }

  /**
   * After the faults are healed and the workload stopped: gets and deletes until nothing came for
   * longer than a visibility timeout (so messages received but not deleted came back), at most
   * {@code maxMillis}; then compares what was sent with what was received.
   */
  public Result drain(long maxMillis) {
    long deadline = System.currentTimeMillis() + maxMillis;
    long quietSince = System.currentTimeMillis();
    boolean drained = false;
    while (System.currentTimeMillis() < deadline) {
      if (consume(200) > 0) {
        quietSince = System.currentTimeMillis();
      } else if (System.currentTimeMillis() - quietSince > (VISIBILITY_SECONDS + 3) * 1000L) {
        drained = true;
        break;
      } else {
        pause(500);
      }
    }
    int acknowledged = 0;
    int indeterminate = 0;
    List<String> lost = new ArrayList<>();
    for (Map.Entry<String, History.Outcome> e : sent.entrySet()) {
      if (e.getValue() == History.Outcome.OK) {
        acknowledged++;
        if (!receivedCount.containsKey(e.getKey())) {
          lost.add(e.getKey());
        }
      } else if (e.getValue() == History.Outcome.INFO) {
        indeterminate++;
      }
    }
    Set<String> unexpected = new HashSet<>();
    int received = 0;
    for (Map.Entry<String, AtomicInteger> e : receivedCount.entrySet()) {
      received += e.getValue().get();
      History.Outcome o = sent.get(e.getKey());
      if (o == null || o == History.Outcome.FAIL) {
        unexpected.add(e.getKey());
      }
    }
    lost.sort(null);
    return new Result(sent.size(), acknowledged, indeterminate, received, receivedCount.size(),
        received - receivedCount.size(), lost, unexpected.stream().sorted().toList(), drained);
  }

  /** The result as report fields. */
  public static Map<String, Object> fields(Result r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("enqueued", r.enqueued());
    m.put("acknowledged", r.acknowledged());
    m.put("indeterminate", r.indeterminate());
    m.put("received", r.received());
    m.put("distinctReceived", r.distinctReceived());
    m.put("duplicates", r.duplicates());
    m.put("lost", r.lost().size());
    m.put("lostMessages", r.lost().stream().limit(20).toList());
    m.put("unexpected", r.unexpected().size());
    m.put("unexpectedMessages", r.unexpected().stream().limit(20).toList());
    m.put("drained", r.drained());
    return m;
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
