package io.cobalt.chaos;

import com.azure.core.http.policy.FixedDelayOptions;
import com.azure.core.http.policy.RetryOptions;
import com.azure.data.tables.TableClient;
import com.azure.data.tables.TableClientBuilder;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import com.azure.storage.queue.QueueClient;
import com.azure.storage.queue.QueueClientBuilder;
import io.cobalt.cli.role.ProcessCluster;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * One chaos run, shared by the CI smoke test and {@code cobalt chaos}: start a process cluster, run
 * the chosen workloads together while a {@link Nemesis} plays a seeded {@link FaultSchedule}, heal,
 * check every invariant, and write the report (JSON, HTML, history) into the report directory.
 */
public final class ChaosSuite {
  /** Workload names, as {@code --workloads} takes them. */
  public static final List<String> WORKLOADS = List.of("set", "register", "queue", "table", "batch");
  /** What a node restart takes on a busy 2-core machine (measured 10-18 s). */
  public static final long RESTART_ESTIMATE_MILLIS = 12_000;

  /** The placement grace of a run with {@code REMOVE_NODE} ({@code placement.replace-after}, seconds). */
  public static final int REPLACE_AFTER_SECONDS = 25;
  /** How long a {@code REMOVE_NODE} keeps its node down at most: the grace, then ~2-5 s per partition moved. */
  public static final long REMOVE_BOUND_MILLIS = 150_000;
  /**
   * The rebalancing interval of a run with {@code ADD_NODE} ({@code placement.rebalance-interval},
   * seconds; default 30): at most one partition voter moves per interval, so the joined node gets
   * its first voter within a run's minutes.
   */
  public static final int REBALANCE_INTERVAL_SECONDS = 10;
  /** Anti-entropy interval and scrubber pause of the chaos cluster's nodes (defaults: 10 min and 24 h). */
  public static final long ANTI_ENTROPY_MILLIS = 15_000;
  public static final long SCRUB_PAUSE_MILLIS = 30_000;

  /** The CI smoke run's fault phase ({@code ChaosSmokeIT}; {@code -Dcobalt.chaos.faultMillis} changes it). */
  public static final long SMOKE_FAULT_PHASE_MILLIS = 130_000;
  /**
   * The least fault time of the CI smoke run (issue 3 point 7: at least 2 minutes of faults in
   * total): its schedule holds faults at least this long, and the nemesis plays on past the phase
   * until they have been in force this long ({@code -Dcobalt.chaos.minFaultMillis} changes it).
   */
  public static final long SMOKE_MIN_FAULT_MILLIS = 120_000;

  /**
   * What to run. {@code faultMillis}: length of the fault phase. {@code extraFaults}: kinds beyond
   * the base menu ({@link FaultSchedule#EXTRA_KINDS}). {@code schedule}: play exactly these faults
   * instead of a generated schedule (null: generate from the seed). {@code minFaultMillis}: the
   * least total time faults are in force; a generated schedule holds at least this much and the
   * phase runs past {@code faultMillis} until it is reached (0: the phase alone decides).
   */
  public record Options(long seed, int nodes, int partitions, long faultMillis, Set<String> workloads, Path reportDir,
      Path workDir, Path jar, boolean keepData, Set<FaultSchedule.Kind> extraFaults, List<FaultSchedule.Fault> schedule,
      long minFaultMillis) {
    public Options(long seed, int nodes, int partitions, long faultMillis, Set<String> workloads, Path reportDir,
        Path workDir, Path jar, boolean keepData) {
      this(seed, nodes, partitions, faultMillis, workloads, reportDir, workDir, jar, keepData, Set.of(), null);
    }

    public Options(long seed, int nodes, int partitions, long faultMillis, Set<String> workloads, Path reportDir,
        Path workDir, Path jar, boolean keepData, Set<FaultSchedule.Kind> extraFaults,
        List<FaultSchedule.Fault> schedule) {
      this(seed, nodes, partitions, faultMillis, workloads, reportDir, workDir, jar, keepData, extraFaults, schedule, 0);
    }
  }

  /** The schedule a run plays: the given one, or one generated from the seed for the options. */
  static FaultSchedule schedule(Options o) {
    List<String> nodes = new ArrayList<>();
    for (int i = 1; i <= o.nodes(); i++) {
      nodes.add(ProcessCluster.nodeName(i));
    }
    return o.schedule() != null ? new FaultSchedule(o.seed(), List.copyOf(o.schedule()))
        : FaultSchedule.generate(o.seed(), nodes, o.faultMillis(), RESTART_ESTIMATE_MILLIS, o.extraFaults(),
            REMOVE_BOUND_MILLIS, o.minFaultMillis());
  }

  /** The report and every invariant that failed (empty: the run passed). */
  public record Outcome(ChaosReport report, List<String> violations, Path json, Path html) {
    public boolean passed() {
      return violations.isEmpty();
    }
  }

  private ChaosSuite() {}

  public static Outcome run(Options o, PrintStream out) throws Exception {
    out.println("chaos seed " + o.seed() + " (replay: -Dcobalt.seed=" + o.seed() + " or cobalt chaos --seed " + o.seed() + ")");
    List<String> nodes = new ArrayList<>();
    for (int i = 1; i <= o.nodes(); i++) {
      nodes.add(ProcessCluster.nodeName(i));
    }
    FaultSchedule schedule = schedule(o);
    out.println("chaos schedule (" + schedule.faults().size() + " faults, " + schedule.heldMillis() + " ms held"
        + (o.minFaultMillis() > 0 ? ", at least " + o.minFaultMillis() + " ms in force" : "") + "): ");
    schedule.faults().forEach(f -> out.println("  " + f));
    out.println("chaos workloads: " + o.workloads());

    Path dir = Files.createTempDirectory(Files.createDirectories(o.workDir()), "run-");
    Outcome outcome;
    try (ProcessCluster cluster = ProcessCluster.init(dir, o.jar(), o.nodes(), o.partitions())) {
      configure(cluster, nodes, schedule, out);
      long t0 = System.nanoTime();
      cluster.startAll();
      long startMillis = (System.nanoTime() - t0) / 1_000_000;
      out.printf("chaos: %d nodes, kms-agent and gateway ready in %d ms (logs in %s)%n", o.nodes(), startMillis,
          dir.resolve("logs"));
      outcome = runWorkloads(o, cluster, schedule, startMillis, out);
    }
    if (outcome.passed() && !o.keepData()) {
      // Passed: keep the logs, drop the nodes' data (a few hundred MB per run).
      try (Stream<Path> files = Files.walk(dir.resolve("nodes"))) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    return outcome;
  }

  /**
   * The chaos cluster's settings beyond {@code cobalt init}'s: healing loops that run within a
   * run's minutes (anti-entropy every 15 s, a scrub pass every 30 s, so injected corruptions are
   * found and repaired), a short placement grace when a node is to be removed, and the operator's
   * {@code admin} certificate granted key management at the kms-agent when keys are to be faulted.
   */
  static void configure(ProcessCluster cluster, List<String> nodes, FaultSchedule schedule, PrintStream out)
      throws IOException {
    boolean remove = schedule.faults().stream().anyMatch(f -> f.kind() == FaultSchedule.Kind.REMOVE_NODE);
    boolean keys = schedule.faults().stream().anyMatch(f -> f.kind().isKeyFault());
    boolean add = schedule.faults().stream().anyMatch(f -> f.kind() == FaultSchedule.Kind.ADD_NODE);
    for (String n : nodes) {
      StringBuilder b = new StringBuilder("\n# chaos suite (ChaosSuite.configure)\n")
          .append("heal.anti.entropy.interval.millis=").append(ANTI_ENTROPY_MILLIS).append('\n')
          .append("heal.scrub.pause.millis=").append(SCRUB_PAUSE_MILLIS).append('\n');
      if (remove) {
        b.append("placement.replace-after=").append(REPLACE_AFTER_SECONDS).append('\n');
      }
      if (add) {
        b.append("placement.rebalance-interval=").append(REBALANCE_INTERVAL_SECONDS).append('\n');
      }
      Files.writeString(cluster.dir().resolve(n + ".properties"), b.toString(), StandardOpenOption.APPEND);
    }
    if (keys) {
      Files.writeString(cluster.dir().resolve(FaultSchedule.KMS + ".properties"),
          "\n# chaos suite: key faults rotate and revoke through the admin API\nadmin.callers=admin\n",
          StandardOpenOption.APPEND);
    }
    out.printf("chaos: anti-entropy every %d ms, scrub pause %d ms%s%s%s%n", ANTI_ENTROPY_MILLIS, SCRUB_PAUSE_MILLIS,
        remove ? ", placement.replace-after " + REPLACE_AFTER_SECONDS + " s" : "",
        add ? ", placement.rebalance-interval " + REBALANCE_INTERVAL_SECONDS + " s" : "",
        keys ? ", admin certificate granted key management" : "");
  }

  private static Outcome runWorkloads(Options o, ProcessCluster cluster, FaultSchedule schedule, long startMillis,
      PrintStream out) throws Exception {
    List<String> nodeNames = new ArrayList<>();
    for (int i = 1; i <= o.nodes(); i++) {
      nodeNames.add(ProcessCluster.nodeName(i));
    }
    try (ClusterProbe probe = new ClusterProbe(cluster, nodeNames);
        KeyNemesis keys = schedule.faults().stream().anyMatch(f -> f.kind().isKeyFault())
            ? new KeyNemesis(cluster, account(cluster.connectionString())) : null) {
      return runWorkloads(o, cluster, schedule, startMillis, out, probe, keys, nodeNames);
    }
  }

  static String account(String connectionString) {
    for (String part : connectionString.split(";")) {
      if (part.startsWith("AccountName=")) {
        return part.substring("AccountName=".length());
      }
    }
    throw new IllegalArgumentException("no AccountName in the connection string");
  }

  private static Outcome runWorkloads(Options o, ProcessCluster cluster, FaultSchedule schedule, long startMillis,
      PrintStream out, ClusterProbe probe, KeyNemesis keyNemesis, List<String> nodeNames) throws Exception {
    String cs = cluster.connectionString();
    Duration timeout = Duration.ofSeconds(10);
    // Set-full and the queue may retry (a retried PUT of a unique blob, a duplicate message: both are
    // checked for); registers must not (RegisterWorkload says why).
    BlobServiceClient retrying = new BlobServiceClientBuilder().connectionString(cs)
        .retryOptions(new RequestRetryOptions(RetryPolicyType.EXPONENTIAL, 3, Duration.ofSeconds(8),
            Duration.ofMillis(200), Duration.ofSeconds(1), null))
        .buildClient();
    BlobServiceClient once = new BlobServiceClientBuilder().connectionString(cs)
        .retryOptions(new RequestRetryOptions(RetryPolicyType.FIXED, 1, timeout, Duration.ofMillis(1),
            Duration.ofMillis(1), null))
        .buildClient();

    History history = new History(System.nanoTime());
    Nemesis nemesis = new Nemesis(cluster, history, out, new Nemesis.Extras(probe, keyNemesis, o.partitions(),
        Math.min(3, o.nodes()), 90_000, ANTI_ENTROPY_MILLIS));
    // The nodes' healing counters count per process: sample them every few seconds (and the
    // nemesis just before it stops a node).
    probe.startSampling(3_000);
    SetFullWorkload setFull = null;
    List<RegisterWorkload> registers = new ArrayList<>();
    QueueWorkload queue = null;
    TableBatchWorkload batch = null;
    BlobContainerClient setContainer = null;
    if (o.workloads().contains("set")) {
      setContainer = retrying.createBlobContainerIfNotExists("set-full");
      setFull = new SetFullWorkload(setContainer, history, o.seed(), 1, 64 * 1024);
      setFull.start(2);
    }
    if (o.workloads().contains("register")) {
      RegisterWorkload w = new RegisterWorkload("register",
          RegisterWorkload.blobs(once.getBlobContainerClient("registers"), timeout), history, o.seed(), 3);
      w.start(3);
      registers.add(w);
    }
    if (o.workloads().contains("table")) {
      TableClient table = new TableClientBuilder().connectionString(cs).tableName("registers")
          .retryOptions(new RetryOptions(new FixedDelayOptions(0, Duration.ofMillis(1)))).buildClient();
      RegisterWorkload w = new RegisterWorkload("table", RegisterWorkload.tables(table, timeout), history, o.seed(), 3);
      w.start(3);
      registers.add(w);
    }
    if (o.workloads().contains("queue")) {
      QueueClient q = new QueueClientBuilder().connectionString(cs).queueName("chaos")
          .retryOptions(new RequestRetryOptions(RetryPolicyType.EXPONENTIAL, 3, Duration.ofSeconds(8),
              Duration.ofMillis(200), Duration.ofSeconds(1), null))
          .buildClient();
      queue = new QueueWorkload(q, history, timeout);
      queue.start(1, 1);
    }
    if (o.workloads().contains("batch")) {
      // One try per batch (no SDK retries), as for the registers: outcomes stay honest.
      TableClient table = new TableClientBuilder().connectionString(cs).tableName("batches")
          .retryOptions(new RetryOptions(new FixedDelayOptions(0, Duration.ofMillis(1)))).buildClient();
      batch = new TableBatchWorkload(table, history, timeout);
      batch.start();
    }
    try {
      Thread.sleep(3_000);
      nemesis.play(schedule, history.now() + o.faultMillis() * 1_000_000, RESTART_ESTIMATE_MILLIS, o.minFaultMillis());
      Thread.sleep(5_000); // healed: let the cluster settle under load
    } finally {
      if (setFull != null) {
        setFull.stop();
      }
      for (RegisterWorkload w : registers) {
        w.stop();
      }
      if (queue != null) {
        queue.stop();
      }
      if (batch != null) {
        batch.stop();
      }
    }
    long runMillis = history.now() / 1_000_000;
    out.printf("chaos: workloads stopped after %.1f s; checking%n", runMillis / 1e3);
    // Injected corruptions: give the scrubber and the repair queue a bounded while to finish.
    Map<String, Object> corruptions = corruptions(nemesis, probe, cluster, nodeNames);
    for (long until = System.nanoTime() + 40_000_000_000L;
        !nemesis.corruptions().isEmpty() && !CorruptionTally.allSettled(corruptions) && System.nanoTime() < until; ) {
      Thread.sleep(3_000);
      corruptions = corruptions(nemesis, probe, cluster, nodeNames);
    }
    probe.stopSampling();
    probe.sample(Duration.ofSeconds(2));
    corruptions = corruptions(nemesis, probe, cluster, nodeNames);

    List<String> violations = new ArrayList<>();
    Map<String, Object> invariants = new LinkedHashMap<>();
    Map<String, Object> sections = new LinkedHashMap<>();
    long corrupted = 0;
    long lost = 0;
    long stale = 0;

    if (setFull != null) {
      SetFullChecker.Result r = SetFullChecker.check(setContainer, setFull);
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("acknowledged", r.acknowledged());
      m.put("indeterminateWrites", r.indeterminate());
      m.put("indeterminateWritesPresent", r.indeterminatePresent());
      m.put("lost", r.lost().size());
      m.put("lostKeys", r.lost());
      m.put("corruptedReads", setFull.corruptedReads() + r.corrupted().size());
      m.put("corruptedKeys", r.corrupted());
      m.put("staleReads", setFull.staleReads());
      m.put("unreadableInFinalReads", r.unreadable());
      sections.put("setFull", m);
      lost += r.lost().size();
      corrupted += setFull.corruptedReads() + r.corrupted().size();
      stale += setFull.staleReads();
      if (!r.unreadable().isEmpty()) {
        violations.add("set-full: " + r.unreadable().size() + " blobs unreadable after healing: " + r.unreadable());
      }
      if (r.acknowledged() == 0) {
        violations.add("set-full: no write was acknowledged at all");
      }
    }

    LinearizabilityChecker checker = LinearizabilityChecker.withDefaultBudget();
    List<String> nonLinearizable = new ArrayList<>();
    List<String> unknown = new ArrayList<>();
    for (RegisterWorkload w : registers) {
      w.finalReads();
      List<History.Op> mine = history.ops().stream().filter(op -> op.workload().equals(w.name())).toList();
      long t = System.nanoTime();
      Map<String, LinearizabilityChecker.Result> results = checker.checkAll(mine);
      Map<String, Object> m = new LinkedHashMap<>();
      long acked = mine.stream().filter(op -> op.type() != History.Type.READ && op.outcome() == History.Outcome.OK).count();
      m.put("ops", mine.size());
      m.put("acknowledgedWrites", acked);
      m.put("indeterminateWrites",
          mine.stream().filter(op -> op.type() != History.Type.READ && op.outcome() == History.Outcome.INFO).count());
      m.put("casRefused", mine.stream().filter(op -> op.type() == History.Type.CAS && op.outcome() == History.Outcome.FAIL).count());
      long reads = mine.stream().filter(op -> op.type() == History.Type.READ && op.outcome() == History.Outcome.OK).count();
      m.put("okReads", reads);
      long foreign = RegisterWorkload.readsOfUnwrittenValues(mine);
      m.put("readsOfValuesNeverWritten", foreign);
      corrupted += foreign;
      Map<String, Object> keys = new LinkedHashMap<>();
      results.forEach((k, r) -> {
        Map<String, Object> km = new LinkedHashMap<>();
        km.put("verdict", r.verdict().name());
        km.put("operations", r.operations());
        km.put("configurations", r.configurations());
        if (r.explanation() != null) {
          km.put("explanation", r.explanation());
        }
        keys.put(k, km);
        if (r.verdict() == LinearizabilityChecker.Verdict.NOT_LINEARIZABLE) {
          nonLinearizable.add(w.name() + "/" + k);
        } else if (r.verdict() == LinearizabilityChecker.Verdict.UNKNOWN) {
          unknown.add(w.name() + "/" + k);
        }
      });
      m.put("keys", keys);
      m.put("checkMillis", (System.nanoTime() - t) / 1_000_000);
      sections.put(w.name(), m);
      if (acked == 0) {
        violations.add(w.name() + ": no write was acknowledged at all");
      }
    }

    if (queue != null) {
      QueueWorkload.Result r = queue.drain(90_000);
      sections.put("queue", QueueWorkload.fields(r));
      invariants.put("queueLost", r.lost().size());
      invariants.put("queueUnexpected", r.unexpected().size());
      invariants.put("queueDuplicates", r.duplicates());
      if (!r.lost().isEmpty()) {
        violations.add("queue: " + r.lost().size() + " acknowledged messages never received, e.g. "
            + r.lost().stream().limit(5).toList());
      }
      if (!r.unexpected().isEmpty()) {
        violations.add("queue: " + r.unexpected().size() + " unexpected messages received, e.g. "
            + r.unexpected().stream().limit(5).toList());
      }
      if (!r.drained()) {
        violations.add("queue: not drained within 90 s after healing");
      }
      if (r.acknowledged() == 0) {
        violations.add("queue: no enqueue was acknowledged at all");
      }
    }

    if (batch != null) {
      TableBatchWorkload.Result r = batch.readBack(90_000);
      sections.put("batch", TableBatchWorkload.fields(r));
      invariants.put("batchPartial", r.partial().size());
      invariants.put("batchLost", r.lost().size());
      invariants.put("batchUnexpected", r.unexpected().size());
      if (!r.readBack()) {
        violations.add("batch: the partition could not be read back within 90 s after healing");
      }
      if (!r.partial().isEmpty()) {
        violations.add("batch: " + r.partial().size() + " batches partly applied (not all-or-nothing), e.g. "
            + r.partial().stream().limit(5).toList());
      }
      if (!r.lost().isEmpty()) {
        violations.add("batch: " + r.lost().size() + " acknowledged batches not (fully) present, e.g. "
            + r.lost().stream().limit(5).toList());
      }
      if (!r.unexpected().isEmpty()) {
        violations.add("batch: " + r.unexpected().size() + " refused or unsent batches present, e.g. "
            + r.unexpected().stream().limit(5).toList());
      }
      if (r.acknowledged() == 0) {
        violations.add("batch: no batch was acknowledged at all");
      }
    }

    invariants.put("lostAcknowledgedWrites", lost);
    invariants.put("staleReads", stale);
    invariants.put("corruptedReads", corrupted);
    invariants.put("nonLinearizableKeys", nonLinearizable);
    invariants.put("unknownKeys", unknown);
    if (lost > 0) {
      violations.add("set-full: " + lost + " acknowledged blobs lost");
    }
    if (stale > 0) {
      violations.add("set-full: " + stale + " acknowledged blobs read as missing during the run");
    }
    if (corrupted > 0) {
      violations.add(corrupted + " corrupted reads (bytes or values never written)");
    }
    if (!nonLinearizable.isEmpty()) {
      violations.add("not linearizable: " + nonLinearizable);
    }
    if (!unknown.isEmpty()) {
      violations.add("linearizability unknown (search budget exceeded): " + unknown);
    }
    if (nemesis.windows().isEmpty()) {
      violations.add("no fault was injected");
    }
    List<String> keyViolations = new ArrayList<>();
    Map<String, Object> keyFaults = KeyFaultCheck.check(nemesis.windows(), history.ops(), keyViolations);
    violations.addAll(keyViolations);
    invariants.put("keyFaultViolations", keyViolations.size());

    List<History.Op> ops = history.ops();
    Map<String, Object> run = new LinkedHashMap<>();
    run.put("nodes", o.nodes());
    run.put("partitions", o.partitions());
    run.put("replicationFactor", 3);
    run.put("writeQuorum", 2);
    run.put("workloads", List.copyOf(o.workloads()));
    run.put("setFullWorkers", 2);
    run.put("registerWorkersPerWorkload", 3);
    run.put("registerKeysPerWorkload", 3);
    run.put("queueProducers", 1);
    run.put("queueConsumers", 1);
    run.put("batchWorkers", 1);
    run.put("batchSize", TableBatchWorkload.SIZE);
    run.put("blobBytes", "1..65536");
    run.put("clusterStartMillis", startMillis);
    run.put("workloadMillis", runMillis);
    run.put("plannedFaultMillis", o.faultMillis());
    run.put("minFaultMillis", o.minFaultMillis());
    run.put("faultMillis", nemesis.windows().stream().mapToLong(w -> (w.endNanos() - w.startNanos()) / 1_000_000).sum());
    run.put("jvm", System.getProperty("java.version"));
    run.put("cpus", Runtime.getRuntime().availableProcessors());
    ChaosReport report = ChaosReport.of(run, schedule, nemesis.windows(), ops);
    long acknowledged = ops.stream().filter(op -> op.type() != History.Type.READ && op.type() != History.Type.DEQUEUE
        && op.type() != History.Type.DELETE && op.outcome() == History.Outcome.OK).count();
    report.put("acknowledgedWrites", acknowledged);
    report.put("invariants", invariants);
    report.put("violations", violations);
    report.put("corruptions", corruptions);
    report.put("replicationRestore", restores(nemesis.restores()));
    if (!nemesis.joins().isEmpty()) {
      // Rebalancing goes on during the checks (a move per interval): the voters a joined node holds
      // "at the end" are those of the newest map after them, not after the workloads stopped.
      probe.sample(Duration.ofSeconds(2));
    }
    report.put("nodeJoins", joins(nemesis.joins(), probe.newestPlacement()));
    report.put("keyFaults", keyFaults);
    sections.forEach(report::put);

    Files.createDirectories(o.reportDir());
    Path json = o.reportDir().resolve("chaos-report.json");
    Path html = o.reportDir().resolve("chaos-report.html");
    report.write(json);
    report.writeHtml(html);
    ChaosReport.writeHistory(o.reportDir().resolve("chaos-history.jsonl"), ops);
    out.printf("chaos: seed %d, %d ops, %d acknowledged writes, %d lost, %d stale, %d corrupted reads, "
        + "non-linearizable keys %s, unknown keys %s, %d ms of faults%n", o.seed(), ops.size(), acknowledged, lost, stale,
        corrupted, nonLinearizable, unknown, (long) run.get("faultMillis"));
    if (queue != null) {
      out.println("chaos: queue " + invariants.get("queueLost") + " lost, " + invariants.get("queueUnexpected")
          + " unexpected, " + invariants.get("queueDuplicates") + " duplicates");
    }
    if (batch != null) {
      out.println("chaos: batch " + sections.get("batch"));
    }
    out.println("chaos: inside faults " + report.get("insideFaults") + ", outside " + report.get("outsideFaults"));
    if (!nemesis.corruptions().isEmpty()) {
      out.printf("chaos: corruptions %s injected, %s detected, %s repaired, %s on a retired node %s (not repairable"
          + " there, by design), %s unrepaired%n", corruptions.get("injected"), corruptions.get("detected"),
          corruptions.get("repaired"), corruptions.get("onRetiredNode"), corruptions.get("retiredNodes"),
          corruptions.get("unrepairedCount"));
    }
    out.println("chaos: corruptions " + corruptions);
    if (!nemesis.restores().isEmpty()) {
      out.println("chaos: replication restore " + report.get("replicationRestore"));
    }
    if (!nemesis.joins().isEmpty()) {
      out.println("chaos: node joins " + report.get("nodeJoins"));
    }
    if (keyFaults.get("rotations") instanceof Integer n && n + (int) keyFaults.get("revocations")
        + (int) keyFaults.get("kmsOutages") > 0) {
      out.println("chaos: key faults " + keyFaults);
    }
    out.println("chaos report: " + json + " and " + html);
    out.println(violations.isEmpty() ? "chaos: PASSED, every invariant held" : "chaos: FAILED: " + violations);
    return new Outcome(report, List.copyOf(violations), json, html);
  }

  private static Map<String, Object> corruptions(Nemesis nemesis, ClusterProbe probe, ProcessCluster cluster,
      List<String> nodes) {
    return CorruptionTally.tally(nemesis.corruptions(), nodes, (node, offset) -> logSince(cluster, node, offset),
        probe.tally().totals(), probe.retiredNodes());
  }

  /** A node's log from {@code offset} on ("" if unreadable). */
  static String logSince(ProcessCluster cluster, String node, long offset) {
    try {
      byte[] all = Files.readAllBytes(cluster.dir().resolve("logs/" + node + ".log"));
      int from = (int) Math.min(Math.max(0, offset), all.length);
      return new String(all, from, all.length - from, java.nio.charset.StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  /**
   * The report's {@code nodeJoins}: per {@code ADD_NODE}, the time from the new node's start to its
   * ready line and to its first partition voter (null: not within the bound), and how many partition
   * voters it holds in {@code finalMap}, the newest placement map at the end of the run.
   */
  static List<Map<String, Object>> joins(List<Nemesis.NodeJoin> joins, io.cobalt.proto.node.v1.PlacementMap finalMap) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Nemesis.NodeJoin j : joins) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("node", j.node());
      m.put("startedAtMillis", j.startedAtMillis());
      m.put("readySeconds", ChaosReport.round(j.readyMillis() / 1e3));
      m.put("firstVoterSeconds", j.firstVoterMillis() == null ? null : ChaosReport.round(j.firstVoterMillis() / 1e3));
      m.put("firstVoterPartitions", j.partitionsAtFirstVoter());
      m.put("placementVersionBefore", j.placementVersionBefore());
      m.put("placementVersionAtFirstVoter", j.firstVoterMillis() == null ? null : j.placementVersionAtFirstVoter());
      m.put("rebalanceIntervalSeconds", REBALANCE_INTERVAL_SECONDS);
      List<Integer> atEnd = Nemesis.votersOn(finalMap, j.node());
      m.put("votersAtEnd", atEnd.size());
      m.put("partitionsAtEnd", atEnd);
      m.put("placementVersionAtEnd", finalMap.getVersion());
      out.add(m);
    }
    return out;
  }

  static List<Map<String, Object>> restores(List<Nemesis.RfRestore> restores) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Nemesis.RfRestore r : restores) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("node", r.node());
      m.put("killedAtMillis", r.killAtMillis());
      m.put("replaceAfterSeconds", REPLACE_AFTER_SECONDS);
      m.put("partitionsRestoredSeconds", r.partitionsRestoredMillis() == null ? null
          : ChaosReport.round(r.partitionsRestoredMillis() / 1e3));
      m.put("placementVersionBefore", r.placementVersionBefore());
      m.put("placementVersionAfter", r.placementVersionAfter());
      m.put("underReplicatedAtBound", r.underReplicatedAtBound());
      m.put("chunksRestoredAfterReturnSeconds", r.chunksRestoredAfterReturnMillis() == null ? null
          : ChaosReport.round(r.chunksRestoredAfterReturnMillis() / 1e3));
      out.add(m);
    }
    return out;
  }
}
