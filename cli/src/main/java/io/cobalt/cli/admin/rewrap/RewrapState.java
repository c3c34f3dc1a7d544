package io.cobalt.cli.admin.rewrap;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Base64;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The rewrap job's resume point: per partition, the walk position after which nothing remains to
 * do (or "done"), plus the running totals and census counts, in a properties file the operator
 * names. Written to a temporary file and moved over the old one atomically after every page, so a
 * crash leaves either the old or the new state, never a torn one.
 */
final class RewrapState {
  private final Path file;
  final String keyId;
  final int partitions;
  final long startedEpochMillis;
  private final Map<Integer, ByteString> positions = new TreeMap<>();
  private final Map<Integer, Boolean> done = new TreeMap<>();
  final RewrapJob.Counts totals;
  /** Live DEKs per key id and version, as the walk left them (ADR 0031: every key the walk met). */
  private final Map<String, Map<Integer, Long>> census;

  private RewrapState(Path file, String keyId, int partitions, long started, RewrapJob.Counts totals,
      Map<String, Map<Integer, Long>> census) {
    this.file = file;
    this.keyId = keyId;
    this.partitions = partitions;
    this.startedEpochMillis = started;
    this.totals = totals;
    this.census = census;
  }

  static RewrapState fresh(Path file, String keyId, int partitions, long started) {
    return new RewrapState(file, keyId, partitions, started, new RewrapJob.Counts(), new TreeMap<>());
  }

  /** The state in {@code file} if it exists and is for the same key and partition count, else a fresh one. */
  static RewrapState load(Path file, String keyId, int partitions, long now) throws IOException {
    if (file == null || !Files.exists(file)) {
      return fresh(file, keyId, partitions, now);
    }
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      p.load(in);
    }
    if (!keyId.equals(p.getProperty("key")) || partitions != Integer.parseInt(p.getProperty("partitions", "-1"))) {
      throw new IOException(file + " is the state of a rewrap of " + p.getProperty("key") + " over "
          + p.getProperty("partitions") + " partitions, not of " + keyId + " over " + partitions
          + ": name another --state file");
    }
    RewrapJob.Counts totals = new RewrapJob.Counts();
    totals.scanned.set(Long.parseLong(p.getProperty("scanned", "0")));
    totals.rewrapped.set(Long.parseLong(p.getProperty("rewrapped", "0")));
    totals.alreadyCurrent.set(Long.parseLong(p.getProperty("alreadyCurrent", "0")));
    totals.skippedChanged.set(Long.parseLong(p.getProperty("skippedChanged", "0")));
    totals.failed.set(Long.parseLong(p.getProperty("failed", "0")));
    totals.stale.set(Long.parseLong(p.getProperty("stale", "0")));
    Map<String, Map<Integer, Long>> census = new TreeMap<>();
    RewrapState s = new RewrapState(file, keyId, partitions, Long.parseLong(p.getProperty("started", "0")), totals,
        census);
    for (String name : p.stringPropertyNames()) {
      if (name.startsWith("partition.")) {
        int partition = Integer.parseInt(name.substring("partition.".length()));
        String v = p.getProperty(name);
        if (v.equals("done")) {
          s.done.put(partition, true);
        } else {
          s.positions.put(partition, ByteString.copyFrom(Base64.getDecoder().decode(v)));
        }
      } else if (name.startsWith("census.v") && !keyId.startsWith("owner:")) {
        // written before ADR 0031: the counts of the job's key
        census.computeIfAbsent(keyId, k -> new TreeMap<>())
            .put(Integer.parseInt(name.substring("census.v".length())), Long.parseLong(p.getProperty(name)));
      } else if (name.startsWith("census.key.")) {
        String rest = name.substring("census.key.".length());
        int hash = rest.lastIndexOf('#');
        Map<Integer, Long> versions = census.computeIfAbsent(rest.substring(0, hash), k -> new TreeMap<>());
        int version = Integer.parseInt(rest.substring(hash + 1));
        if (version > 0) {  // #0: a key met with no DEK left under it
          versions.put(version, Long.parseLong(p.getProperty(name)));
        }
      }
    }
    return s;
  }

  synchronized boolean isDone(int partition) {
    return done.getOrDefault(partition, false);
  }

  synchronized ByteString position(int partition) {
    return positions.getOrDefault(partition, ByteString.EMPTY);
  }

  /** Records that everything up to {@code position} in {@code partition} is handled, with its counts. */
  synchronized void advance(int partition, ByteString position, boolean partitionDone, RewrapJob.Counts page,
      Map<String, Map<Integer, Long>> pageCensus) throws IOException {
    totals.add(page);
    pageCensus.forEach((k, versions) -> {
      Map<Integer, Long> mine = census.computeIfAbsent(k, x -> new TreeMap<>());
      versions.forEach((v, n) -> mine.merge(v, n, Long::sum));
    });
    if (partitionDone) {
      done.put(partition, true);
      positions.remove(partition);
    } else {
      positions.put(partition, position);
    }
    save();
  }

  /** A copy of the census so far, per key id and version. */
  synchronized Map<String, Map<Integer, Long>> censusByKey() {
    Map<String, Map<Integer, Long>> copy = new TreeMap<>();
    census.forEach((k, v) -> copy.put(k, new TreeMap<>(v)));
    return copy;
  }

  synchronized boolean complete() {
    for (int p = 0; p < partitions; p++) {
      if (!isDone(p)) {
        return false;
      }
    }
    return true;
  }

  private void save() throws IOException {
    if (file == null) {
      return;
    }
    Properties p = new Properties();
    p.setProperty("key", keyId);
    p.setProperty("partitions", Integer.toString(partitions));
    p.setProperty("started", Long.toString(startedEpochMillis));
    p.setProperty("scanned", Long.toString(totals.scanned.get()));
    p.setProperty("rewrapped", Long.toString(totals.rewrapped.get()));
    p.setProperty("alreadyCurrent", Long.toString(totals.alreadyCurrent.get()));
    p.setProperty("skippedChanged", Long.toString(totals.skippedChanged.get()));
    p.setProperty("failed", Long.toString(totals.failed.get()));
    p.setProperty("stale", Long.toString(totals.stale.get()));
    done.forEach((partition, d) -> p.setProperty("partition." + partition, "done"));
    positions.forEach((partition, pos) ->
        p.setProperty("partition." + partition, Base64.getEncoder().encodeToString(pos.toByteArray())));
    census.forEach((k, versions) -> {
      p.setProperty("census.key." + k + "#0", "0");
      versions.forEach((v, n) -> p.setProperty("census.key." + k + "#" + v, Long.toString(n)));
    });
    Path dir = file.toAbsolutePath().getParent();
    Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
    try {
      try (OutputStream out = Files.newOutputStream(tmp)) {
        p.store(out, "cobalt admin keys rewrap: resume point (ADR 0013); delete to start over");
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
