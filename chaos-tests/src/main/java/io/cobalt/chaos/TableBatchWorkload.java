package io.cobalt.chaos;

import com.azure.core.util.Context;
import com.azure.data.tables.TableClient;
import com.azure.data.tables.models.ListEntitiesOptions;
import com.azure.data.tables.models.TableEntity;
import com.azure.data.tables.models.TableServiceException;
import com.azure.data.tables.models.TableTransactionAction;
import com.azure.data.tables.models.TableTransactionActionType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Entity-group transactions under faults: one thread submits {@code $batch}es of {@value #SIZE}
 * Insert-or-Replace actions of new entities in PartitionKey {@value #PARTITION} (RowKeys
 * {@code <seq>-0 .. <seq>-2}, property {@code seq}), one try each (no SDK retries, as for registers:
 * a retried batch that answers an error may have committed on its first try). Each batch is one
 * WRITE in the {@link History} (key {@code batch-<seq>}): {@code ok}, {@code fail} (a 4xx other than
 * 408) or {@code info} (timeout, 5xx, connection error).
 *
 * <p>After healing, {@link #readBack} queries the partition and {@link #check} judges each batch:
 * its entities present must number 0 or {@value #SIZE} (else <em>partial</em>: the transaction was
 * not all-or-nothing); an acknowledged batch must have all (else <em>lost</em>); a refused one none
 * (else <em>unexpected</em>); an indeterminate one may have either.
 */
public final class TableBatchWorkload {
  static final String PARTITION = "batch";
  static final int SIZE = 3;
  static final String WORKLOAD = "batch";

  /** What the read-back found, batch by batch. {@code partial}, {@code lost} and {@code unexpected} must be empty. */
  public record Result(int submitted, int acknowledged, int failed, int indeterminate, int indeterminatePresent,
      List<Long> partial, List<Long> lost, List<Long> unexpected, boolean readBack) {}

  private final TableClient table;
  private final History history;
  private final Duration timeout;
  private final Map<Long, History.Outcome> outcomes = new ConcurrentHashMap<>(); // seq -> submit outcome
  private final AtomicBoolean running = new AtomicBoolean(true);
  private Thread thread;

  public TableBatchWorkload(TableClient table, History history, Duration timeout) {
    this.table = table;
    this.history = history;
    this.timeout = timeout;
  }

  public void start() {
    try {
      table.createTable();
    } catch (TableServiceException e) {
      if (e.getResponse().getStatusCode() != 409) {
        throw e;
      }
    }
    thread = new Thread(this::run, "batch-0");
    thread.setDaemon(true);
    thread.start();
  }

  public void stop() throws InterruptedException {
    running.set(false);
    if (thread != null) {
      thread.join(120_000);
    }
  }

  private void run() {
    long seq = 0;
    while (running.get()) {
      submit(seq++);
      pause(20);
    }
  }

  private void submit(long seq) {
    List<TableTransactionAction> actions = new ArrayList<>();
    for (int i = 0; i < SIZE; i++) {
      actions.add(new TableTransactionAction(TableTransactionActionType.UPSERT_REPLACE,
          new TableEntity(PARTITION, seq + "-" + i).addProperty("seq", seq)));
    }
    String key = "batch-" + seq;
    outcomes.put(seq, History.Outcome.INFO);
    long t0 = history.now();
    try {
      table.submitTransactionWithResponse(actions, timeout, Context.NONE);
      outcomes.put(seq, History.Outcome.OK);
      history.record(WORKLOAD, 0, History.Type.WRITE, key, Long.toString(seq), null, t0, History.Outcome.OK, null);
    } catch (RuntimeException e) {
      int status = e instanceof TableServiceException t && t.getResponse() != null ? t.getResponse().getStatusCode() : -1;
      History.Outcome o = RegisterWorkload.outcome(status);
      outcomes.put(seq, o);
      history.record(WORKLOAD, 0, History.Type.WRITE, key, Long.toString(seq), null, t0, o,
          status > 0 ? Integer.toString(status) : e.getClass().getSimpleName());
    }
  }

  /**
   * After healing and stopping: queries PartitionKey {@value #PARTITION} (every page), retrying the
   * whole query for at most {@code maxMillis}, and checks every batch. When no query succeeded,
   * {@link Result#readBack()} is false and only the outcomes are counted.
   */
  public Result readBack(long maxMillis) {
    long deadline = System.currentTimeMillis() + maxMillis;
    while (true) {
      try {
        Map<Long, Integer> present = new HashMap<>();
        for (TableEntity e : table.listEntities(new ListEntitiesOptions().setFilter("PartitionKey eq '" + PARTITION + "'"),
            timeout, Context.NONE)) {
          String row = e.getRowKey();
          int dash = row.indexOf('-');
          present.merge(Long.parseLong(dash < 0 ? row : row.substring(0, dash)), 1, Integer::sum);
        }
        return check(outcomes, present);
      } catch (RuntimeException e) {
        if (System.currentTimeMillis() >= deadline) {
          Result counts = check(outcomes, Map.of()); // the outcome counts only: nothing was read
          return new Result(counts.submitted(), counts.acknowledged(), counts.failed(), counts.indeterminate(), 0,
              List.of(), List.of(), List.of(), false);
        }
        pause(1_000);
      }
    }
  }

  /**
   * The checker: {@code outcomes} is each submitted batch's outcome by seq, {@code present} how many
   * of its entities the read-back found (absent: none). A batch found but never submitted counts as
   * unexpected.
   */
  static Result check(Map<Long, History.Outcome> outcomes, Map<Long, Integer> present) {
    int acknowledged = 0;
    int failed = 0;
    int indeterminate = 0;
    int indeterminatePresent = 0;
    List<Long> partial = new ArrayList<>();
    List<Long> lost = new ArrayList<>();
    List<Long> unexpected = new ArrayList<>();
    for (Map.Entry<Long, History.Outcome> e : new TreeMap<>(outcomes).entrySet()) {
      long seq = e.getKey();
      int n = present.getOrDefault(seq, 0);
      if (n != 0 && n != SIZE) {
        partial.add(seq);
      }
      switch (e.getValue()) {
        case OK -> {
          acknowledged++;
          if (n != SIZE) {
            lost.add(seq);
          }
        }
        case FAIL -> {
          failed++;
          if (n != 0) {
            unexpected.add(seq);
          }
        }
        case INFO -> {
          indeterminate++;
          if (n == SIZE) {
            indeterminatePresent++;
          }
        }
      }
    }
    present.keySet().stream().filter(seq -> !outcomes.containsKey(seq)).sorted().forEach(seq -> {
      unexpected.add(seq);
      if (present.get(seq) != SIZE) {
        partial.add(seq);
      }
    });
    partial.sort(null);
    unexpected.sort(null);
    return new Result(outcomes.size(), acknowledged, failed, indeterminate, indeterminatePresent, List.copyOf(partial),
        List.copyOf(lost), List.copyOf(unexpected), true);
  }

  /** The result as report fields. */
  public static Map<String, Object> fields(Result r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("submitted", r.submitted());
    m.put("acknowledged", r.acknowledged());
    m.put("failed", r.failed());
    m.put("indeterminate", r.indeterminate());
    m.put("indeterminatePresent", r.indeterminatePresent());
    m.put("partial", r.partial().size());
    m.put("partialBatches", r.partial().stream().limit(20).toList());
    m.put("lost", r.lost().size());
    m.put("lostBatches", r.lost().stream().limit(20).toList());
    m.put("unexpected", r.unexpected().size());
    m.put("unexpectedBatches", r.unexpected().stream().limit(20).toList());
    m.put("readBack", r.readBack());
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
