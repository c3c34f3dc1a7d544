package io.cobalt.cli.admin.rewrap;

import com.google.protobuf.ByteString;
import io.cobalt.proto.kms.v1.WrappedKey;
import io.cobalt.proto.node.v1.CommandResult;
import io.cobalt.proto.node.v1.DekHolder;
import io.cobalt.proto.node.v1.DekSwap;
import io.cobalt.proto.node.v1.DekSwapOutcome;
import io.cobalt.proto.node.v1.DekSwaps;
import io.cobalt.proto.node.v1.QueryResult;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Rewraps every stored DEK of one key that is not on the key's primary version (ADR 0013).
 *
 * <p>Each partition is walked in pages ({@code DekScan}); for each wrapped DEK of the key under
 * another version the agent's {@code Rewrap} gives the same DEK under the primary version (the
 * plaintext never leaves the agent), and the page's replacements are submitted as one
 * {@code DekSwaps} command, which the node applies only to records that still hold exactly the old
 * bytes. A record changed meanwhile is read again (up to {@value #CHANGED_RETRIES} times) so that
 * a new version that kept an old DEK is not missed. Data is never read or re-encrypted.
 *
 * <p>At most {@code concurrency} partitions are walked at once, each on a thread of the job's own
 * pool (never an event loop). After every page the resume point is written to the state file;
 * a job started again with the same file continues after the last completed page. When every
 * partition is done the job reports the live-DEK census of the key to the agent.
 */
public final class RewrapJob {
  /** A swap that met a changed record is re-examined at most this many times. */
  static final int CHANGED_RETRIES = 3;
  public static final int DEFAULT_PAGE_SIZE = 500;
  public static final int DEFAULT_CONCURRENCY = 4;
  /** Swaps per command (the node takes up to 1000; names can be 4 KiB, so stay well under a message's limit). */
  static final int MAX_SWAPS_PER_COMMAND = 500;

  /** How the job reads and changes the partitions (a gRPC adapter, or a state machine in tests). Calls block. */
  public interface Partitions {
    int count();

    QueryResult scan(int partition, ByteString after, int maxResults) throws IOException;

    CommandResult swap(int partition, DekSwaps swaps) throws IOException;
  }

  /** How the job reaches the kms-agent. Calls block. */
  public interface Keys {
    /** The key's primary version (the one new DEKs and rewraps use). */
    int primaryVersion(String keyId) throws IOException;

    /** The same DEK wrapped under the primary version; {@link RefusedException} for a refusal of this DEK. */
    WrappedKey rewrap(String account, WrappedKey wrapped) throws RefusedException, IOException;

    void reportCensus(String keyId, long startedEpochMillis, Map<Integer, Long> liveDeks) throws IOException;
  }

  /** The agent refused to rewrap one DEK (its version disabled, retired, ...): counted as failed, the job goes on. */
  public static final class RefusedException extends Exception {
    private static final long serialVersionUID = 1L;
    private final String code;

    public RefusedException(String message, String code) {
      super(message, null, false, false);
      this.code = code;
    }

    public String code() {
      return code;
    }
  }

  /** @param stateFile where the resume point is kept; null: not resumable */
  /** @param censusOnly count live DEKs per version and report them, rewrap nothing */
  public record Options(String keyId, int concurrency, int pageSize, Path stateFile, boolean censusOnly) {
    public Options {
      Objects.requireNonNull(keyId, "keyId");
      if (concurrency < 1 || concurrency > 64) {
        throw new IllegalArgumentException("concurrency must be 1..64");
      }
      if (pageSize < 1 || pageSize > 1000) {
        throw new IllegalArgumentException("page size must be 1..1000");
      }
    }

    public Options(String keyId, int concurrency, int pageSize, Path stateFile) {
      this(keyId, concurrency, pageSize, stateFile, false);
    }

    public static Options of(String keyId, Path stateFile) {
      return new Options(keyId, DEFAULT_CONCURRENCY, DEFAULT_PAGE_SIZE, stateFile, false);
    }

    public Options withCensusOnly() {
      return new Options(keyId, concurrency, pageSize, stateFile, true);
    }
  }

  /** Running counts of wrapped DEKs of the key. scanned = rewrapped + alreadyCurrent + skippedChanged + failed. */
  public static final class Counts {
    final AtomicLong scanned = new AtomicLong();
    final AtomicLong rewrapped = new AtomicLong();
    final AtomicLong alreadyCurrent = new AtomicLong();
    final AtomicLong skippedChanged = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    final AtomicLong stale = new AtomicLong();

    void add(Counts o) {
      stale.addAndGet(o.stale.get());
      scanned.addAndGet(o.scanned.get());
      rewrapped.addAndGet(o.rewrapped.get());
      alreadyCurrent.addAndGet(o.alreadyCurrent.get());
      skippedChanged.addAndGet(o.skippedChanged.get());
      failed.addAndGet(o.failed.get());
    }

    Totals snapshot() {
      return new Totals(scanned.get(), rewrapped.get(), alreadyCurrent.get(), skippedChanged.get(), failed.get(),
          stale.get());
    }
  }

  /**
   * Counts of wrapped DEKs of the key (observations: a DEK read again after a change counts again).
   * scanned = rewrapped + alreadyCurrent + skippedChanged + failed + stale; stale: not on the
   * primary version and left as it is (census-only runs).
   */
  public record Totals(long scanned, long rewrapped, long alreadyCurrent, long skippedChanged, long failed,
      long stale) {}

  /** What the job has done so far: this run's counts, all runs' counts (from the state file), progress and rate. */
  public record Progress(Totals run, Totals cumulative, int partitionsDone, int partitions, double deksPerSecond) {
    @Override
    public String toString() {
      return String.format(java.util.Locale.ROOT,
          "partitions %d/%d  scanned %d  rewrapped %d  already current %d  skipped (changed) %d  failed %d"
              + "%s  %.1f DEKs/s",
          partitionsDone, partitions, cumulative.scanned(), cumulative.rewrapped(), cumulative.alreadyCurrent(),
          cumulative.skippedChanged(), cumulative.failed(),
          cumulative.stale() > 0 ? "  not rewrapped (census only) " + cumulative.stale() : "", deksPerSecond);
    }
  }

  /**
   * The end of a run. {@code complete}: every partition walked (then the census was reported).
   * {@code census}: live DEKs of the key per version as the walk left them.
   */
  public record Report(Progress progress, boolean complete, int primaryVersion, Map<Integer, Long> census,
      Duration elapsed, long censusStartedEpochMillis) {}

  private final Partitions partitions;
  private final Keys keys;
  private final Options options;
  private final Clock clock;
  private final Consumer<Progress> progressListener;
  private final Duration progressEvery;

  public RewrapJob(Partitions partitions, Keys keys, Options options, Clock clock, Consumer<Progress> progress,
      Duration progressEvery) {
    this.partitions = partitions;
    this.keys = keys;
    this.options = options;
    this.clock = clock;
    this.progressListener = progress;
    this.progressEvery = progressEvery;
  }

  /**
   * Runs to the end, or until a failure that is not a per-DEK refusal (a node or the agent
   * unreachable): then the completed work is in the state file and the exception propagates.
   */
  public Report run() throws IOException, InterruptedException {
    int count = partitions.count();
    long startNanos = System.nanoTime();
    RewrapState state = RewrapState.load(options.stateFile(), options.keyId(), count, clock.millis());
    int primary = keys.primaryVersion(options.keyId());
    if (primary <= 0) {
      throw new IOException(options.keyId() + " has no primary version (every version disabled or retired)");
    }
    Counts run = new Counts();
    AtomicInteger done = new AtomicInteger();
    for (int p = 0; p < count; p++) {
      if (state.isDone(p)) {
        done.incrementAndGet();
      }
    }
    AtomicInteger threadNo = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(options.concurrency(), r -> {
      Thread t = new Thread(r, "rewrap-" + threadNo.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "rewrap-progress");
      t.setDaemon(true);
      return t;
    });
    ticker.scheduleAtFixedRate(() -> progressListener.accept(progress(run, state, done.get(), count, startNanos)),
        progressEvery.toMillis(), progressEvery.toMillis(), TimeUnit.MILLISECONDS);
    try {
      List<Future<?>> walks = new ArrayList<>();
      for (int p = 0; p < count; p++) {
        if (state.isDone(p)) {
          continue;
        }
        int partition = p;
        walks.add(pool.submit(() -> {
          walk(partition, primary, state, run);
          done.incrementAndGet();
          return null;
        }));
      }
      IOException failure = null;
      for (Future<?> w : walks) {
        try {
          w.get();
        } catch (ExecutionException e) {
          if (failure == null) {
            failure = e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
          }
        }
      }
      if (failure != null) {
        throw failure;
      }
    } finally {
      ticker.shutdownNow();
      pool.shutdownNow();
    }
    Progress last = progress(run, state, done.get(), count, startNanos);
    progressListener.accept(last);
    boolean complete = state.complete();
    Map<Integer, Long> census = new TreeMap<>(state.census);
    if (complete) {
      keys.reportCensus(options.keyId(), state.startedEpochMillis, census);
    }
    return new Report(last, complete, primary, census, Duration.ofNanos(System.nanoTime() - startNanos),
        state.startedEpochMillis);
  }

  private Progress progress(Counts run, RewrapState state, int done, int count, long startNanos) {
    double seconds = Math.max(1e-3, (System.nanoTime() - startNanos) / 1e9);
    return new Progress(run.snapshot(), state.totals.snapshot(), done, count, run.rewrapped.get() / seconds);
  }

  /** One partition, page by page from its resume point. */
  private void walk(int partition, int primary, RewrapState state, Counts run) throws IOException {
    ByteString after = state.position(partition);
    while (true) {
      if (Thread.currentThread().isInterrupted()) {
        throw new IOException("rewrap of partition " + partition + " interrupted");
      }
      QueryResult page = partitions.scan(partition, after, options.pageSize());
      Counts pageCounts = new Counts();
      Map<Integer, Long> pageCensus = new HashMap<>();
      List<DekHolder> holders = page.getDekHoldersList();
      IOException abort = null;
      int handled = 0;
      List<DekSwap> swaps = new ArrayList<>();
      List<Integer> swapVersions = new ArrayList<>();
      List<Integer> oldVersions = new ArrayList<>();
      for (DekHolder h : holders) {
        try {
          examine(h, primary, swaps, swapVersions, oldVersions, pageCounts, pageCensus);
          handled++;
        } catch (IOException e) {
          abort = e;  // flush what is done, then stop
          break;
        }
      }
      List<DekHolder> changed = submit(partition, swaps, swapVersions, oldVersions, holders, pageCounts, pageCensus);
      for (int attempt = 0; attempt < CHANGED_RETRIES && !changed.isEmpty() && abort == null; attempt++) {
        changed = reexamine(partition, after, changed, primary, pageCounts, pageCensus);
      }
      for (DekHolder h : changed) {
        // Still changing after the retries: counted skipped; as it was read, for the census (conservative).
        for (WrappedKey k : h.getDeksList()) {
          if (k.getKeyId().equals(options.keyId())) {
            pageCensus.merge(k.getKeyVersion(), 1L, Long::sum);
          }
        }
      }
      run.add(pageCounts);
      boolean last = abort == null && !page.getTruncated();
      ByteString position = handled == 0 ? after : holders.get(handled - 1).getPosition();
      state.advance(partition, position, last, pageCounts, pageCensus);
      if (abort != null) {
        throw abort;
      }
      if (last) {
        return;
      }
      after = position;
    }
  }

  /** Rewraps the holder's DEKs of the key that are not on the primary version; adds their swaps. */
  private void examine(DekHolder h, int primary, List<DekSwap> swaps, List<Integer> swapVersions,
      List<Integer> oldVersions, Counts counts, Map<Integer, Long> census) throws IOException {
    for (int i = 0; i < h.getDeksCount(); i++) {
      WrappedKey k = h.getDeks(i);
      if (!k.getKeyId().equals(options.keyId())) {
        continue;
      }
      if (k.getKeyVersion() == primary) {
        counts.scanned.incrementAndGet();
        counts.alreadyCurrent.incrementAndGet();
        census.merge(k.getKeyVersion(), 1L, Long::sum);
        continue;
      }
      if (options.censusOnly()) {
        counts.scanned.incrementAndGet();
        counts.stale.incrementAndGet();
        census.merge(k.getKeyVersion(), 1L, Long::sum);
        continue;
      }
      WrappedKey replacement;
      try {
        replacement = keys.rewrap(h.getAccount(), k);
      } catch (RefusedException e) {
        counts.scanned.incrementAndGet();
        counts.failed.incrementAndGet();
        census.merge(k.getKeyVersion(), 1L, Long::sum);
        continue;
      }
      // Counted once its outcome is known: an abort here (agent gone) leaves it for the next run.
      counts.scanned.incrementAndGet();
      swaps.add(DekSwap.newBuilder().setKind(h.getKind()).setAccount(h.getAccount())
          .setContainerId(h.getContainerId()).setName(h.getName()).setBlockId(h.getBlockId())
          .setRecordId(h.getRecordId()).setIndex(i).setExpected(k).setReplacement(replacement).build());
      swapVersions.add(replacement.getKeyVersion());
      oldVersions.add(k.getKeyVersion());
    }
  }

  /** Submits the swaps; counts them; returns the holders (as scanned) whose swap met a changed record. */
  private List<DekHolder> submit(int partition, List<DekSwap> swaps, List<Integer> newVersions,
      List<Integer> oldVersions, List<DekHolder> scanned, Counts counts, Map<Integer, Long> census)
      throws IOException {
    List<DekHolder> changed = new ArrayList<>();
    if (swaps.isEmpty()) {
      return changed;
    }
    List<DekSwapOutcome> outcomes = new ArrayList<>();
    for (int from = 0; from < swaps.size(); from += MAX_SWAPS_PER_COMMAND) {
      List<DekSwap> batch = swaps.subList(from, Math.min(swaps.size(), from + MAX_SWAPS_PER_COMMAND));
      CommandResult r = partitions.swap(partition, DekSwaps.newBuilder().addAllSwaps(batch).build());
      if (r.getDekSwapOutcomesCount() != batch.size()) {
        throw new IOException("partition " + partition + " answered " + r.getDekSwapOutcomesCount()
            + " swap outcomes for " + batch.size() + " swaps (status " + r.getStatus() + ")");
      }
      outcomes.addAll(r.getDekSwapOutcomesList());
    }
    for (int i = 0; i < swaps.size(); i++) {
      if (outcomes.get(i) == DekSwapOutcome.DEK_SWAPPED) {
        counts.rewrapped.incrementAndGet();
        census.merge(newVersions.get(i), 1L, Long::sum);
      } else {
        counts.skippedChanged.incrementAndGet();
        DekSwap s = swaps.get(i);
        scanned.stream().filter(h -> sameRecord(h, s)).findFirst()
            .filter(h -> !changed.contains(h)).ifPresent(changed::add);
      }
    }
    return changed;
  }

  /**
   * Reads the page again and examines the current records with the identity of a changed one (a
   * new version of a blob may keep an old DEK from its committed blocks). Their DEKs that were
   * swapped before the change are already counted; the record's current DEKs are counted now.
   */
  private List<DekHolder> reexamine(int partition, ByteString after, List<DekHolder> changed, int primary,
      Counts counts, Map<Integer, Long> census) throws IOException {
    QueryResult page = partitions.scan(partition, after, options.pageSize());
    List<DekHolder> now = new ArrayList<>();
    for (DekHolder h : page.getDekHoldersList()) {
      if (changed.stream().anyMatch(c -> c.getPosition().equals(h.getPosition()))) {
        now.add(h);
      }
    }
    List<DekSwap> swaps = new ArrayList<>();
    List<Integer> newVersions = new ArrayList<>();
    List<Integer> oldVersions = new ArrayList<>();
    for (DekHolder h : now) {
      examine(h, primary, swaps, newVersions, oldVersions, counts, census);
    }
    return submit(partition, swaps, newVersions, oldVersions, now, counts, census);
  }

  private static boolean sameRecord(DekHolder h, DekSwap s) {
    return h.getKind() == s.getKind() && h.getAccount().equals(s.getAccount())
        && h.getContainerId().equals(s.getContainerId()) && h.getName().equals(s.getName())
        && h.getBlockId().equals(s.getBlockId()) && h.getRecordId().equals(s.getRecordId());
  }
}
