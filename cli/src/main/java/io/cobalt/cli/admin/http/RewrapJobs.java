package io.cobalt.cli.admin.http;

import io.cobalt.cli.admin.rewrap.RewrapJob;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rewrap jobs as resources (ADR 0033): each job has a record {@code <id>.json} and the rewrap
 * job's resume point {@code <id>.state} (ADR 0013) in the jobs directory. Jobs run one at a time on
 * the thread {@code admin-rewrap-jobs} (the rewrap job walks partitions on its own pool). A record
 * found {@code queued} or {@code running} when the server starts belongs to a job that a crash or a
 * stop interrupted: it is queued again and continues after its last completed page.
 *
 * <p>Statuses: {@code queued}, {@code running}, {@code succeeded} (every partition walked, nothing
 * failed, census reported to the agent), {@code failed} (with an error: {@code REWRAP_INCOMPLETE}
 * when DEKs were refused, {@code JOB_ABORTED} when a node or the agent failed; {@code POST
 * .../resume} continues such a job from its resume point).
 */
final class RewrapJobs implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RewrapJobs.class);
  static final Pattern ID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

  /** Refused: the job cannot be created, resumed or removed in its current state. */
  static final class JobException extends Exception {
    private static final long serialVersionUID = 1L;
    final AdminApiError error;

    JobException(AdminApiError error, String message) {
      super(message, null, false, false);
      this.error = error;
    }
  }

  private final Path dir;
  private final RewrapJob.Partitions partitions;
  private final RewrapJob.Keys keys;
  private final Clock clock;
  private final int maxJobs;
  private final Duration progressEvery;
  private final Map<String, JsonObject> records = new LinkedHashMap<>();
  private final ExecutorService runner = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "admin-rewrap-jobs");
    t.setDaemon(true);
    return t;
  });

  RewrapJobs(Path dir, RewrapJob.Partitions partitions, RewrapJob.Keys keys, Clock clock, int maxJobs,
      Duration progressEvery) throws IOException {
    this.dir = Files.createDirectories(dir);
    this.partitions = partitions;
    this.keys = keys;
    this.clock = clock;
    this.maxJobs = maxJobs;
    this.progressEvery = progressEvery;
    load();
  }

  /** Reads the records; queues again the jobs a crash or stop left unfinished. */
  private void load() throws IOException {
    List<JsonObject> found = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.json")) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        if (!ID.matcher(name.substring(0, name.length() - ".json".length())).matches()) {
          continue;
        }
        try {
          found.add(new JsonObject(Files.readString(f, StandardCharsets.UTF_8)));
        } catch (DecodeException e) {
          LOG.warn("ignoring unreadable job record {}", f.getFileName());
        }
      }
    }
    found.sort(Comparator.comparing(o -> o.getString("created", "")));
    for (JsonObject r : found) {
      records.put(r.getString("id"), r);
      String status = r.getString("status");
      if (("queued".equals(status) || "running".equals(status)) && partitions != null) {
        LOG.info("resuming rewrap job {} (found {})", r.getString("id"), status);
        r.put("resumed", r.getInteger("resumed", 0) + 1);
        queue(r);
      }
    }
  }

  /** Refuses as {@link #start} would for want of nodes or room for one more record. */
  synchronized void checkCanStart() throws JobException {
    if (partitions == null) {
      throw new JobException(AdminApiError.NOT_CONFIGURED, "rewrap jobs need the storage nodes: start the admin"
          + " server with --data DIR or --node ... --partitions N");
    }
    if (records.size() >= maxJobs) {
      throw new JobException(AdminApiError.TOO_MANY_JOBS, "there are " + records.size() + " job records (limit "
          + maxJobs + "); DELETE finished ones");
    }
  }

  /**
   * Queues a job over the DEKs of {@code keyId} (after a rotation), or, with {@code keyId} null,
   * over the DEKs of {@code account} ({@code scope} "" : its own, else that scope's) to the owner's
   * key source (after a switch, ADR 0031).
   */
  synchronized JsonObject start(String keyId, String account, String scope, boolean censusOnly, int concurrency,
      int pageSize) throws JobException {
    checkCanStart();
    try {
      new RewrapJob.Options(keyId, account, scope, concurrency, pageSize, null, censusOnly);
    } catch (IllegalArgumentException e) {
      throw new JobException(AdminApiError.INVALID_REQUEST, e.getMessage());
    }
    String id = UUID.randomUUID().toString();
    JsonObject r = new JsonObject().put("id", id).put("type", "rewrap");
    if (keyId != null) {
      r.put("key", keyId);
    } else {
      r.put("account", account).put("scope", scope == null || scope.isEmpty() ? null : scope);
    }
    r.put("censusOnly", censusOnly).put("concurrency", concurrency).put("pageSize", pageSize)
        .put("created", clock.instant().toString()).put("resumed", 0);
    records.put(id, r);
    queue(r);
    return r.copy();
  }

  synchronized JsonObject get(String id) throws JobException {
    return record(id).copy();
  }

  synchronized List<JsonObject> list() {
    return records.values().stream().map(JsonObject::copy).toList();
  }

  /** Continues a failed job from its resume point. */
  synchronized JsonObject resume(String id) throws JobException {
    JsonObject r = record(id);
    if (!"failed".equals(r.getString("status"))) {
      throw new JobException(AdminApiError.JOB_RUNNING, "only a failed job can be resumed; this one is "
          + r.getString("status"));
    }
    r.put("resumed", r.getInteger("resumed", 0) + 1).remove("error");
    queue(r);
    return r.copy();
  }

  /** Forgets a finished job: its record and resume point. */
  synchronized void remove(String id) throws JobException, IOException {
    JsonObject r = record(id);
    String status = r.getString("status");
    if ("queued".equals(status) || "running".equals(status)) {
      throw new JobException(AdminApiError.JOB_RUNNING, "the job is " + status);
    }
    records.remove(id);
    Files.deleteIfExists(dir.resolve(id + ".json"));
    Files.deleteIfExists(dir.resolve(id + ".state"));
  }

  private JsonObject record(String id) throws JobException {
    JsonObject r = ID.matcher(id).matches() ? records.get(id) : null;
    if (r == null) {
      throw new JobException(AdminApiError.JOB_NOT_FOUND, "no job " + id);
    }
    return r;
  }

  private void queue(JsonObject r) {
    r.put("status", "queued");
    save(r);
    String id = r.getString("id");
    runner.execute(() -> run(id));
  }

  private void run(String id) {
    RewrapJob.Options options;
    synchronized (this) {
      JsonObject r = records.get(id);
      if (r == null) {
        return;
      }
      r.put("status", "running").put("started", clock.instant().toString());
      save(r);
      options = new RewrapJob.Options(r.getString("key"), r.getString("account"), r.getString("scope"),
          r.getInteger("concurrency"), r.getInteger("pageSize"), dir.resolve(id + ".state"), r.getBoolean("censusOnly"));
    }
    try {
      RewrapJob job = new RewrapJob(partitions, keys, options, clock, p -> progress(id, p), progressEvery);
      RewrapJob.Report report = job.run();
      synchronized (this) {
        JsonObject r = records.get(id);
        JsonObject census = new JsonObject();
        report.census().forEach((v, n) -> census.put(Integer.toString(v), n));
        JsonObject perKey = new JsonObject();
        report.censusByKey().forEach((k, versions) -> {
          JsonObject o = new JsonObject();
          versions.forEach((v, n) -> o.put(Integer.toString(v), n));
          perKey.put(k, o);
        });
        r.put("progress", progressJson(report.progress())).put("finished", clock.instant().toString())
            .put("report", new JsonObject().put("complete", report.complete())
                .put("targetKey", report.targetKeyId())
                .put("primaryVersion", report.primaryVersion()).put("liveDeksPerVersion", census)
                .put("liveDeksPerKey", perKey)
                .put("censusReported", report.complete()).put("elapsedMillis", report.elapsed().toMillis()));
        long failed = report.progress().cumulative().failed();
        if (report.complete() && failed == 0) {
          r.put("status", "succeeded");
        } else {
          r.put("status", "failed").put("error", new JsonObject().put("code", "REWRAP_INCOMPLETE")
              .put("message", failed + " DEKs could not be rewrapped (their version refused: see the agent's audit"
                  + " log); start a new job after fixing"));
        }
        save(r);
      }
      LOG.info("rewrap job {} finished: {}", id, report.progress());
    } catch (InterruptedException e) {
      // Stopped with the server: the record stays "running" and the job resumes at the next start.
      LOG.info("rewrap job {} interrupted; it resumes when the admin server starts again", id);
      Thread.currentThread().interrupt();
    } catch (IOException | RuntimeException e) {
      if (Thread.currentThread().isInterrupted() || runner.isShutdown()) {
        LOG.info("rewrap job {} stopped with the server; it resumes when the admin server starts again", id);
        return;
      }
      LOG.warn("rewrap job {} stopped: {}", id, e.getMessage());
      synchronized (this) {
        JsonObject r = records.get(id);
        r.put("status", "failed").put("finished", clock.instant().toString())
            .put("error", new JsonObject().put("code", "JOB_ABORTED").put("message", String.valueOf(e.getMessage())));
        save(r);
      }
    }
  }

  private synchronized void progress(String id, RewrapJob.Progress p) {
    JsonObject r = records.get(id);
    if (r != null && "running".equals(r.getString("status"))) {
      r.put("progress", progressJson(p));
      save(r);
    }
  }

  static JsonObject progressJson(RewrapJob.Progress p) {
    RewrapJob.Totals t = p.cumulative();
    return new JsonObject().put("partitionsDone", p.partitionsDone()).put("partitions", p.partitions())
        .put("scanned", t.scanned()).put("rewrapped", t.rewrapped()).put("alreadyCurrent", t.alreadyCurrent())
        .put("skippedChanged", t.skippedChanged()).put("failed", t.failed()).put("notRewrapped", t.stale())
        .put("rewrappedThisRun", p.run().rewrapped())
        .put("deksPerSecond", Math.round(p.deksPerSecond() * 10) / 10.0);
  }

  /** Atomically replaces the record file; a failure is logged (the job goes on; the record is served from memory). */
  private void save(JsonObject r) {
    Path file = dir.resolve(r.getString("id") + ".json");
    try {
      Path tmp = Files.createTempFile(dir, r.getString("id"), ".tmp");
      try {
        Files.writeString(tmp, r.encodePrettily(), StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      LOG.warn("cannot write job record {}: {}", file.getFileName(), e.getMessage());
    }
  }

  @Override
  public void close() {
    runner.shutdownNow();
    try {
      runner.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
