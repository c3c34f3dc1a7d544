package io.cobalt.kms.lifecycle;

import io.cobalt.kms.backend.DurableFile;
import io.cobalt.kms.keys.KeyOperationException;
import io.cobalt.kms.keys.KeyOperationException.Kind;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Which key versions may still wrap live DEKs (ADR 0013). The agent never sees the metadata, so it
 * combines what it knows itself with what a complete walk of the metadata (the rewrap job, or
 * {@code cobalt admin keys census}) reports:
 *
 * <ul>
 *   <li><b>census</b> of a key: live DEKs per version found by a walk that began at time T;
 *   <li><b>last generation minute</b> of each version: the minute in which the agent last wrapped a
 *       new DEK under it. Written durably before the first DEK of a new minute is wrapped (at most
 *       one small write per version per minute), so it survives restarts; a version never listed
 *       has never wrapped a DEK.
 * </ul>
 *
 * A version is <b>in use</b> if it ever wrapped a DEK and either no census exists, the census
 * counted DEKs under it, or it wrapped a DEK in or after the second the census walk began (the
 * walk may have missed that one). Generated counts since the census are kept in memory for the
 * operator's view only; the decision uses the durable minutes. One JSON file, replaced atomically.
 */
public final class DekCensus {
  public static final String FILE_NAME = "dek-census.json";
  private static final String FORMAT = "cobalt-dek-census/v1";
  private static final long MAX_FILE_BYTES = 64L * 1024 * 1024;
  static final int MAX_KEYS = 100_000;

  /** The last reported census of a key. */
  public record Census(long startedEpochMillis, long reportedEpochMillis, Map<Integer, Long> liveDeks) {
    public Census {
      liveDeks = Map.copyOf(liveDeks);
    }
  }

  /** One version as the operator sees it. */
  public record VersionView(int version, long censusDeks, long generatedSince, boolean inUse, String reason) {}

  private final Path file;
  private final Clock clock;
  private final Object writeLock = new Object();
  private volatile Map<String, Census> census;
  private volatile Map<String, Map<Integer, Long>> lastMinute;
  /** In memory: DEKs generated per key and version, with the time of each minute (for "since T" views). */
  private final Map<String, Map<Integer, Map<Long, AtomicLong>>> perMinute = new ConcurrentHashMap<>();

  private DekCensus(Path file, Clock clock, Map<String, Census> census, Map<String, Map<Integer, Long>> lastMinute) {
    this.file = file;
    this.clock = clock;
    this.census = census;
    this.lastMinute = lastMinute;
  }

  public static DekCensus open(Path file, Clock clock) throws IOException {
    Map<String, Census> census = new TreeMap<>();
    Map<String, Map<Integer, Long>> minutes = new TreeMap<>();
    if (Files.exists(file)) {
      if (Files.size(file) > MAX_FILE_BYTES) {
        throw new IOException(file + " is larger than " + MAX_FILE_BYTES + " bytes");
      }
      try {
        JsonObject root = new JsonObject(new String(Files.readAllBytes(file), StandardCharsets.UTF_8));
        if (!FORMAT.equals(root.getString("format"))) {
          throw new IOException(file + " is not a " + FORMAT + " file");
        }
        JsonObject keys = root.getJsonObject("keys", new JsonObject());
        for (String keyId : keys.fieldNames()) {
          JsonObject k = keys.getJsonObject(keyId);
          JsonObject c = k.getJsonObject("census");
          if (c != null) {
            Map<Integer, Long> counts = new TreeMap<>();
            JsonObject live = c.getJsonObject("liveDeks", new JsonObject());
            live.fieldNames().forEach(v -> counts.put(Integer.parseInt(v), live.getLong(v)));
            census.put(keyId, new Census(c.getLong("started"), c.getLong("reported"), counts));
          }
          JsonObject m = k.getJsonObject("lastGeneratedSecond", new JsonObject());
          Map<Integer, Long> versions = new TreeMap<>();
          m.fieldNames().forEach(v -> versions.put(Integer.parseInt(v), m.getLong(v)));
          minutes.put(keyId, versions);
        }
      } catch (DecodeException | ClassCastException | NumberFormatException | NullPointerException e) {
        throw new IOException(file + " is not a valid census file: " + e.getMessage());
      }
    }
    return new DekCensus(file, clock, census, minutes);
  }

  private static long secondOf(long epochMillis) {
    return Math.floorDiv(epochMillis, 1000L);
  }

  /**
   * Called before a new DEK is wrapped under {@code version} of {@code keyId}: records the minute
   * durably if it is a new one for the version. Refuses (KEYSTORE_UNAVAILABLE) if it cannot, so no
   * DEK exists that the census could not account for.
   */
  public void generating(String keyId, int version) throws KeyOperationException {
    long minute = secondOf(clock.millis());
    perMinute.computeIfAbsent(keyId, k -> new ConcurrentHashMap<>())
        .computeIfAbsent(version, v -> new ConcurrentHashMap<>())
        .computeIfAbsent(minute, m -> new AtomicLong()).incrementAndGet();
    Long known = lastMinute.getOrDefault(keyId, Map.of()).get(version);
    if (known != null && known >= minute) {
      return;
    }
    synchronized (writeLock) {
      Long again = lastMinute.getOrDefault(keyId, Map.of()).get(version);
      if (again != null && again >= minute) {
        return;
      }
      if (!lastMinute.containsKey(keyId) && lastMinute.size() >= MAX_KEYS) {
        throw new KeyOperationException(Kind.LIMIT_EXCEEDED, "census tracks at most " + MAX_KEYS + " keys");
      }
      Map<String, Map<Integer, Long>> next = new TreeMap<>(lastMinute);
      Map<Integer, Long> versions = new TreeMap<>(next.getOrDefault(keyId, Map.of()));
      versions.put(version, minute);
      // The in-memory counts (per second) are for the operator's view; keep a month of them.
      perMinute.getOrDefault(keyId, Map.of()).getOrDefault(version, Map.of()).keySet()
          .removeIf(m -> m < minute - 31L * 24 * 3600);
      next.put(keyId, versions);
      write(census, next);
      lastMinute = next;
    }
  }

  /** Stores a complete walk's counts for {@code keyId} (versions not listed: 0). */
  public Census report(String keyId, long startedEpochMillis, Map<Integer, Long> liveDeks)
      throws KeyOperationException {
    long now = clock.millis();
    if (startedEpochMillis <= 0 || startedEpochMillis > now + 60_000) {
      throw new KeyOperationException(Kind.INVALID_ARGUMENT, "census start time must be in the past");
    }
    for (Map.Entry<Integer, Long> e : liveDeks.entrySet()) {
      if (e.getKey() < 1 || e.getValue() < 0) {
        throw new KeyOperationException(Kind.INVALID_ARGUMENT, "census versions start at 1 and counts at 0");
      }
    }
    synchronized (writeLock) {
      Census prior = census.get(keyId);
      if (prior != null && prior.startedEpochMillis() > startedEpochMillis) {
        return prior;  // an older walk reported late: the newer one stands
      }
      if (!census.containsKey(keyId) && census.size() >= MAX_KEYS) {
        throw new KeyOperationException(Kind.LIMIT_EXCEEDED, "census tracks at most " + MAX_KEYS + " keys");
      }
      Census c = new Census(startedEpochMillis, now, liveDeks);
      Map<String, Census> next = new TreeMap<>(census);
      next.put(keyId, c);
      write(next, lastMinute);
      census = next;
      return c;
    }
  }

  public Census census(String keyId) {
    return census.get(keyId);
  }

  /** The view of every version 1..{@code latestVersion} of {@code keyId}. */
  public List<VersionView> versions(String keyId, int latestVersion) {
    java.util.ArrayList<VersionView> out = new java.util.ArrayList<>();
    for (int v = 1; v <= latestVersion; v++) {
      out.add(view(keyId, v));
    }
    return out;
  }

  public VersionView view(String keyId, int version) {
    Census c = census.get(keyId);
    Long last = lastMinute.getOrDefault(keyId, Map.of()).get(version);
    long counted = c == null ? 0 : c.liveDeks().getOrDefault(version, 0L);
    long since = 0;
    Map<Long, AtomicLong> minutes = perMinute.getOrDefault(keyId, Map.of()).get(version);
    if (minutes != null) {
      long from = c == null ? Long.MIN_VALUE : secondOf(c.startedEpochMillis());
      for (Map.Entry<Long, AtomicLong> e : minutes.entrySet()) {
        if (e.getKey() >= from) {
          since += e.getValue().get();
        }
      }
    }
    if (last == null) {
      return new VersionView(version, counted, since, counted > 0,
          counted > 0 ? "census counted " + counted + " live DEKs" : "never wrapped a DEK");
    }
    if (c == null) {
      return new VersionView(version, 0, since, true,
          "wrapped DEKs and was never censused (run cobalt admin keys rewrap or census)");
    }
    if (counted > 0) {
      return new VersionView(version, counted, since, true, "still wraps " + counted + " live DEKs (census of "
          + java.time.Instant.ofEpochMilli(c.startedEpochMillis()) + ")"
          + (since > 0 ? " and " + since + " DEKs generated since" : ""));
    }
    if (last >= secondOf(c.startedEpochMillis())) {
      return new VersionView(version, 0, since, true, "wrapped new DEKs after the census walk began ("
          + java.time.Instant.ofEpochMilli(c.startedEpochMillis()) + "): run the census again");
    }
    return new VersionView(version, 0, since, false, "no live DEKs (census of "
        + java.time.Instant.ofEpochMilli(c.startedEpochMillis()) + ")");
  }

  private void write(Map<String, Census> census, Map<String, Map<Integer, Long>> minutes)
      throws KeyOperationException {
    JsonObject keys = new JsonObject();
    java.util.Set<String> ids = new java.util.TreeSet<>(census.keySet());
    ids.addAll(minutes.keySet());
    for (String id : ids) {
      JsonObject k = new JsonObject();
      Census c = census.get(id);
      if (c != null) {
        JsonObject live = new JsonObject();
        new TreeMap<>(c.liveDeks()).forEach((v, n) -> live.put(Integer.toString(v), n));
        k.put("census", new JsonObject().put("started", c.startedEpochMillis()).put("reported",
            c.reportedEpochMillis()).put("liveDeks", live));
      }
      JsonObject m = new JsonObject();
      minutes.getOrDefault(id, Map.of()).forEach((v, minute) -> m.put(Integer.toString(v), minute));
      k.put("lastGeneratedSecond", m);
      keys.put(id, k);
    }
    try {
      DurableFile.replace(file, new JsonObject().put("format", FORMAT).put("keys", keys).encodePrettily()
          .getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new KeyOperationException(Kind.KEYSTORE_UNAVAILABLE, "cannot write the DEK census: " + e.getMessage());
    }
  }
}
