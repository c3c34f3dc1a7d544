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
 * Moves stored DEKs to their owner's current key source (ADR 0013, ADR 0031): either every DEK
 * wrapped under one key ({@code --key}), or every DEK of one account or encryption scope
 * ({@code --account [--scope]}). A DEK's owner is its record's account and encryption scope; its
 * target is that owner's key source as the agent reports it (a customer key's pinned or newest
 * version, else the owner's own key's newest version) — so after a rotation DEKs move to the new
 * version, and after a switch of key source they move to the other key. A DEK already on its
 * target is left alone.
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

  /** Where an owner's DEKs go: a key id and version (0 = none usable now; its DEKs are then refused one by one). */
  public record Target(String keyId, int version) {}

  /** How the job reaches the kms-agent. Calls block. */
  public interface Keys {
    /** The key's primary version (the one new DEKs and rewraps use). */
    int primaryVersion(String keyId) throws IOException;

    /** The same DEK wrapped under the primary version; {@link RefusedException} for a refusal of this DEK. */
    WrappedKey rewrap(String account, WrappedKey wrapped) throws RefusedException, IOException;

    /**
     * The current target of the DEKs of {@code ownerKeyId} ({@code account/<a>[/scope/<s>]}): its key
     * source (ADR 0031). Without key sources: the owner's own key at its primary version.
     */
    default Target target(String ownerKeyId) throws IOException {
      return new Target(ownerKeyId, primaryVersion(ownerKeyId));
    }

    /** The same DEK wrapped under {@code ownerKeyId}'s current key source (possibly another key). */
    default WrappedKey rewrap(String account, WrappedKey wrapped, String ownerKeyId) throws RefusedException, IOException {
      return rewrap(account, wrapped);
    }

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

  /**
   * @param keyId the DEKs wrapped under this key (null: select by owner instead)
   * @param account with {@code keyId} null: the DEKs of this account ({@code scope} null or ""
   *     for the account's own, else that scope's)
   * @param stateFile where the resume point is kept; null: not resumable
   * @param censusOnly count live DEKs per version and report them, rewrap nothing
   */
  public record Options(String keyId, String account, String scope, int concurrency, int pageSize, Path stateFile,
      boolean censusOnly) {
    public Options {
      scope = scope == null ? "" : scope;
      if ((keyId == null) == (account == null)) {
        throw new IllegalArgumentException("name a key or an account, not both");
      }
      if (concurrency < 1 || concurrency > 64) {
        throw new IllegalArgumentException("concurrency must be 1..64");
      }
      if (pageSize < 1 || pageSize > 1000) {
        throw new IllegalArgumentException("page size must be 1..1000");
      }
    }

    public Options(String keyId, int concurrency, int pageSize, Path stateFile, boolean censusOnly) {
      this(keyId, null, null, concurrency, pageSize, stateFile, censusOnly);
    }

    public Options(String keyId, int concurrency, int pageSize, Path stateFile) {
      this(keyId, concurrency, pageSize, stateFile, false);
    }

    public static Options of(String keyId, Path stateFile) {
      return new Options(keyId, DEFAULT_CONCURRENCY, DEFAULT_PAGE_SIZE, stateFile, false);
    }

    /** Every DEK of {@code account} ({@code scope} "": its own; else that scope's) to the owner's key source. */
    public static Options ofOwner(String account, String scope, int concurrency, int pageSize, Path stateFile) {
      return new Options(null, account, scope, concurrency, pageSize, stateFile, false);
    }

    public Options withCensusOnly() {
      return new Options(keyId, account, scope, concurrency, pageSize, stateFile, true);
    }

    /** The owner key id in owner mode, else null. */
    public String ownerKeyId() {
      return account == null ? null : "account/" + account + (scope.isEmpty() ? "" : "/scope/" + scope);
    }

    /** What the job is about, as its state file records it. */
    public String label() {
      return keyId != null ? keyId : "owner:" + ownerKeyId();
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
   * {@code census}: live DEKs per version, as the walk left them, of the key ({@code --key}) or of
   * the owner's target key (owner mode); {@code censusByKey}: of every key the walk counted.
   * {@code primaryVersion}: the target version (key mode: the key's primary; owner mode: the
   * owner's target's) when the job began; {@code targetKeyId}: owner mode's target key.
   */
  public record Report(Progress progress, boolean complete, int primaryVersion, Map<Integer, Long> census,
      Duration elapsed, long censusStartedEpochMillis, String targetKeyId, Map<String, Map<Integer, Long>> censusByKey) {}

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
    RewrapState state = RewrapState.load(options.stateFile(), options.label(), count, clock.millis());
    int primary;
    String targetKey;
    if (options.keyId() != null) {
      targetKey = options.keyId();
      primary = keys.primaryVersion(options.keyId());
      if (primary <= 0) {
        throw new IOException(options.keyId() + " has no primary version (every version disabled or retired)");
      }
    } else {
      Target t = target(options.ownerKeyId());
      targetKey = t.keyId();
      primary = t.version();
      if (primary <= 0) {
        throw new IOException(options.ownerKeyId() + "'s key source " + t.keyId()
            + " has no usable version (disabled, retired or deleted)");
      }
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
    Map<String, Map<Integer, Long>> byKey = state.censusByKey();
    Map<Integer, Long> census = new TreeMap<>(byKey.getOrDefault(targetKey, Map.of()));
    if (complete) {
      if (options.keyId() != null) {
        keys.reportCensus(options.keyId(), state.startedEpochMillis, census);
      } else {
        // A complete walk counted every DEK of every key it met (whoever owns them): report them all,
        // including the owner's former keys, now at zero, so that they can be disabled.
        for (Map.Entry<String, Map<Integer, Long>> e : byKey.entrySet()) {
          keys.reportCensus(e.getKey(), state.startedEpochMillis, e.getValue());
        }
      }
    }
    return new Report(last, complete, primary, census, Duration.ofNanos(System.nanoTime() - startNanos),
        state.startedEpochMillis, targetKey, byKey);
  }

  private final Map<String, Target> targets = new java.util.concurrent.ConcurrentHashMap<>();

  /** The owner's target, asked once per run (a rotation during the run is caught by the next one). */
  private Target target(String owner) throws IOException {
    Target t = targets.get(owner);
    if (t == null) {
      t = keys.target(owner);
      targets.put(owner, t);
    }
    return t;
  }

  private static String ownerOf(DekHolder h) {
    return "account/" + h.getAccount() + (h.getEncryptionScope().isEmpty() ? "" : "/scope/" + h.getEncryptionScope());
  }

  private static boolean customerProvided(WrappedKey k) {
    return k.getKeyId().equals("cpk") || !k.getCpkKeySha256().isEmpty();
  }

  private boolean selected(DekHolder h, WrappedKey k) {
    if (customerProvided(k)) {
      return false;
    }
    if (options.keyId() != null) {
      return k.getKeyId().equals(options.keyId());
    }
    return h.getAccount().equals(options.account()) && h.getEncryptionScope().equals(options.scope());
  }

  private static void count(Map<String, Map<Integer, Long>> census, String keyId, int version) {
    census.computeIfAbsent(keyId, k -> new TreeMap<>()).merge(version, 1L, Long::sum);
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
      Map<String, Map<Integer, Long>> pageCensus = new HashMap<>();
      List<DekHolder> holders = page.getDekHoldersList();
      IOException abort = null;
      int handled = 0;
      List<DekSwap> swaps = new ArrayList<>();
      List<WrappedKey> swapVersions = new ArrayList<>();
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
          if (!customerProvided(k)) {
            count(pageCensus, k.getKeyId(), k.getKeyVersion());
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

  /**
   * Rewraps the holder's selected DEKs that are not on their owner's target; adds their swaps.
   * Every DEK of the holder (selected or not; not customer-provided) is counted for the census.
   */
  private void examine(DekHolder h, int primary, List<DekSwap> swaps, List<WrappedKey> swapVersions,
      List<Integer> oldVersions, Counts counts, Map<String, Map<Integer, Long>> census) throws IOException {
    for (int i = 0; i < h.getDeksCount(); i++) {
      WrappedKey k = h.getDeks(i);
      if (!selected(h, k)) {
        if (!customerProvided(k)) {
          count(census, k.getKeyId(), k.getKeyVersion());
        }
        continue;
      }
      census.computeIfAbsent(k.getKeyId(), x -> new TreeMap<>());  // a key the DEKs leave is reported, at zero
      String owner = ownerOf(h);
      Target t = target(owner);
      if (k.getKeyId().equals(t.keyId()) && k.getKeyVersion() == t.version()) {
        counts.scanned.incrementAndGet();
        counts.alreadyCurrent.incrementAndGet();
        count(census, k.getKeyId(), k.getKeyVersion());
        continue;
      }
      if (options.censusOnly()) {
        counts.scanned.incrementAndGet();
        counts.stale.incrementAndGet();
        count(census, k.getKeyId(), k.getKeyVersion());
        continue;
      }
      WrappedKey replacement;
      try {
        replacement = keys.rewrap(h.getAccount(), k, owner);
      } catch (RefusedException e) {
        counts.scanned.incrementAndGet();
        counts.failed.incrementAndGet();
        count(census, k.getKeyId(), k.getKeyVersion());
        continue;
      }
      // Counted once its outcome is known: an abort here (agent gone) leaves it for the next run.
      counts.scanned.incrementAndGet();
      swaps.add(DekSwap.newBuilder().setKind(h.getKind()).setAccount(h.getAccount())
          .setContainerId(h.getContainerId()).setName(h.getName()).setBlockId(h.getBlockId())
          .setRecordId(h.getRecordId()).setIndex(i).setExpected(k).setReplacement(replacement).build());
      swapVersions.add(replacement);
      oldVersions.add(k.getKeyVersion());
    }
  }

  /** Submits the swaps; counts them; returns the holders (as scanned) whose swap met a changed record. */
  private List<DekHolder> submit(int partition, List<DekSwap> swaps, List<WrappedKey> newVersions,
      List<Integer> oldVersions, List<DekHolder> scanned, Counts counts, Map<String, Map<Integer, Long>> census)
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
        count(census, newVersions.get(i).getKeyId(), newVersions.get(i).getKeyVersion());
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
      Counts counts, Map<String, Map<Integer, Long>> census) throws IOException {
    QueryResult page = partitions.scan(partition, after, options.pageSize());
    List<DekHolder> now = new ArrayList<>();
    for (DekHolder h : page.getDekHoldersList()) {
      if (changed.stream().anyMatch(c -> c.getPosition().equals(h.getPosition()))) {
        now.add(h);
      }
    }
    List<DekSwap> swaps = new ArrayList<>();
    List<WrappedKey> newVersions = new ArrayList<>();
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
