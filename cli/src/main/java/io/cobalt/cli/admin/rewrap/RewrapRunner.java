package io.cobalt.cli.admin.rewrap;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Runs rewrap jobs automatically (ADR 0031 rule 5): after a rotation of a key (a job over that
 * key's DEKs) and after a change of an account's or scope's key source (a job over that owner's
 * DEKs). Jobs are queued in {@code queue} in the state directory (one per line, no duplicates,
 * written atomically before they are acknowledged), so a crash loses none; each job resumes from
 * its own state file ({@code job-<n>.state}). Jobs run one at a time on the caller's thread of
 * {@link #runPending}. A job that fails (a node or the agent unreachable) stays queued for the next
 * call; a job that completes is removed, with its state file, whether or not some DEKs were refused
 * (those are reported: rerun by hand after fixing the key).
 *
 * <p>The newest rotation it has seen is kept in {@code last-rotation}, so that rotations missed while
 * the event stream was down are queued by {@link #catchUp}.
 */
public final class RewrapRunner {
  /** A job: {@code key:<key id>} (rewrap the DEKs of the key) or {@code owner:<owner key id>}. */
  private static final Pattern SPEC = Pattern.compile("(key:(account/[a-z0-9]{3,24}(/scope/[A-Za-z0-9-]{3,63})?"
      + "|cmk/[A-Za-z0-9-]{1,127}))|(owner:account/[a-z0-9]{3,24}(/scope/[A-Za-z0-9-]{3,63})?)");
  public static final int MAX_QUEUED = 10_000;

  /** Runs one job to its end (or throws, leaving its state file to resume from). */
  @FunctionalInterface
  public interface Jobs {
    RewrapJob.Report run(RewrapJob.Options options) throws IOException, InterruptedException;
  }

  private final Path dir;
  private final Jobs jobs;
  private final Consumer<String> log;
  private final LinkedHashSet<String> queue = new LinkedHashSet<>();
  private long lastRotationEpochMillis;

  public RewrapRunner(Path stateDir, Jobs jobs, Consumer<String> log) throws IOException {
    this.dir = Objects.requireNonNull(stateDir);
    this.jobs = Objects.requireNonNull(jobs);
    this.log = Objects.requireNonNull(log);
    Files.createDirectories(dir);
    Path q = dir.resolve("queue");
    if (Files.exists(q)) {
      for (String line : Files.readAllLines(q, StandardCharsets.UTF_8)) {
        if (SPEC.matcher(line).matches()) {
          queue.add(line);
        }
      }
    }
    Path last = dir.resolve("last-rotation");
    if (Files.exists(last)) {
      lastRotationEpochMillis = Long.parseLong(Files.readString(last, StandardCharsets.UTF_8).strip());
    }
  }

  /**
   * A key event as {@code KeyEvents.Subscribe} delivers it: ROTATED queues a job over the key's DEKs
   * (and remembers the time), CHANGED on an account's or scope's key id queues a job over that owner's
   * DEKs (its key source may have changed). Other events are ignored. Durable when it returns.
   */
  public synchronized void onKeyEvent(String kind, String keyId, long epochMillis) throws IOException {
    if (kind.endsWith("ROTATED")) {
      enqueue("key:" + keyId);
      noteRotation(epochMillis);
    } else if (kind.endsWith("CHANGED") && keyId.startsWith("account/")) {
      enqueue("owner:" + keyId);
    }
  }

  /**
   * After a (re)subscription: queues a key job for every key whose newest version was created after
   * the newest rotation seen so far ({@code newestVersionCreated}: key id → creation time of its
   * newest version, from ListKeys), since its ROTATED event may have been missed.
   */
  public synchronized int catchUp(Map<String, Long> newestVersionCreated) throws IOException {
    int queued = 0;
    long newest = lastRotationEpochMillis;
    for (Map.Entry<String, Long> e : newestVersionCreated.entrySet()) {
      if (lastRotationEpochMillis > 0 && e.getValue() > lastRotationEpochMillis) {
        if (enqueue("key:" + e.getKey())) {
          queued++;
        }
      }
      newest = Math.max(newest, e.getValue());
    }
    noteRotation(newest);
    return queued;
  }

  public synchronized List<String> queued() {
    return List.copyOf(queue);
  }

  /**
   * Runs every queued job in order; returns how many completed. Stops at the first job that fails
   * (it stays queued, with its resume point) and rethrows its failure.
   */
  public int runPending(int concurrency, int pageSize) throws IOException, InterruptedException {
    int done = 0;
    while (true) {
      String spec;
      synchronized (this) {
        if (queue.isEmpty()) {
          return done;
        }
        spec = queue.iterator().next();
      }
      Path state = dir.resolve("job-" + spec.replaceAll("[^A-Za-z0-9-]", "_") + ".state");
      RewrapJob.Options options = spec.startsWith("key:")
          ? new RewrapJob.Options(spec.substring(4), concurrency, pageSize, state)
          : ownerOptions(spec.substring("owner:".length()), concurrency, pageSize, state);
      log.accept("rewrap " + spec + (Files.exists(state) ? ": resuming from " : ": starting (resume file ")
          + state.getFileName() + (Files.exists(state) ? " (" + resumePoint(state) + ")" : ")"));
      RewrapJob.Report r = jobs.run(options);
      if (!r.complete()) {
        throw new IOException("rewrap " + spec + " stopped before the end; it stays queued");
      }
      log.accept(String.format(java.util.Locale.ROOT, "rewrap %s: done in %.1f s: %s", spec,
          r.elapsed().toMillis() / 1000.0, r.progress()));
      if (r.progress().cumulative().failed() > 0) {
        log.accept("rewrap " + spec + ": " + r.progress().cumulative().failed() + " DEKs were refused by the agent"
            + " (their version disabled or retired?); run cobalt admin keys rewrap by hand after fixing the key");
      }
      // The resume file goes first: a crash between the two steps then re-runs the job from the
      // start (every DEK found already current), never leaves a finished job's resume point behind
      // for the next job of the same key to "resume" from and skip its partitions.
      Files.deleteIfExists(state);
      synchronized (this) {
        queue.remove(spec);
        saveQueue();
      }
      done++;
    }
  }

  /** What an earlier run of a job left in its resume file, for the log: partitions done and DEKs rewrapped. */
  private static String resumePoint(Path state) {
    java.util.Properties p = new java.util.Properties();
    try (java.io.InputStream in = Files.newInputStream(state)) {
      p.load(in);
    } catch (IOException | IllegalArgumentException e) {
      return "unreadable: " + e.getMessage();
    }
    long done = p.stringPropertyNames().stream().filter(n -> n.startsWith("partition.")
        && "done".equals(p.getProperty(n))).count();
    return done + "/" + p.getProperty("partitions", "?") + " partitions done, " + p.getProperty("rewrapped", "0")
        + " DEKs rewrapped before";
  }

  private static RewrapJob.Options ownerOptions(String owner, int concurrency, int pageSize, Path state) {
    String rest = owner.substring("account/".length());
    int s = rest.indexOf("/scope/");
    return RewrapJob.Options.ofOwner(s < 0 ? rest : rest.substring(0, s), s < 0 ? "" : rest.substring(s + 7),
        concurrency, pageSize, state);
  }

  private boolean enqueue(String spec) throws IOException {
    if (!SPEC.matcher(spec).matches()) {
      log.accept("ignoring a key event for " + spec + " (not a key or owner id this runner knows)");
      return false;
    }
    if (queue.contains(spec)) {
      return false;
    }
    if (queue.size() >= MAX_QUEUED) {
      throw new IOException("the rewrap queue holds its maximum of " + MAX_QUEUED + " jobs");
    }
    queue.add(spec);
    saveQueue();
    log.accept("rewrap " + spec + ": queued");
    return true;
  }

  private void noteRotation(long epochMillis) throws IOException {
    if (epochMillis > lastRotationEpochMillis) {
      lastRotationEpochMillis = epochMillis;
      replace(dir.resolve("last-rotation"), Long.toString(epochMillis) + "\n");
    }
  }

  private void saveQueue() throws IOException {
    replace(dir.resolve("queue"), queue.isEmpty() ? "" : String.join("\n", new ArrayList<>(queue)) + "\n");
  }

  private void replace(Path file, String content) throws IOException {
    Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
    try {
      Files.writeString(tmp, content, StandardCharsets.UTF_8);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
