package io.cobalt.chaos;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The figures of one run, computed from the history, the fault windows and the final reads, and
 * written as JSON (docs/chaos.md lists the fields). The history itself goes beside it as JSON
 * lines, one invoke and one completion event per operation, for offline checkers.
 */
public final class ChaosReport {
  private final Map<String, Object> fields = new LinkedHashMap<>();

  private ChaosReport() {}

  public static ChaosReport of(Map<String, Object> run, FaultSchedule schedule, List<Nemesis.Window> windows,
      List<History.Op> ops, SetFullWorkload workload, SetFullChecker.Result result) {
    ChaosReport r = new ChaosReport();
    r.fields.put("run", run);
    r.fields.put("seed", schedule.seed());
    r.fields.put("schedule", schedule.faults().stream().map(Object::toString).toList());

    List<Map<String, Object>> w = new ArrayList<>();
    long maxRecovery = -1;
    for (Nemesis.Window win : windows) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("kind", win.fault().kind().name());
      m.put("node", win.fault().node());
      m.put("startMillis", win.startNanos() / 1_000_000);
      m.put("endMillis", win.endNanos() / 1_000_000);
      long first = firstAckAfter(ops, win.startNanos());
      m.put("firstAckAfterStartMillis", first < 0 ? null : first / 1_000_000);
      if (win.fault().kind() != FaultSchedule.Kind.PAUSE_SHORT && first >= 0) {
        maxRecovery = Math.max(maxRecovery, first / 1_000_000);
      }
      w.add(m);
    }
    r.fields.put("faultWindows", w);
    r.fields.put("maxFirstAckAfterKillOrLongPauseMillis", maxRecovery < 0 ? null : maxRecovery);

    Map<String, Object> counts = new LinkedHashMap<>();
    counts.put("total", ops.size());
    for (History.Type t : History.Type.values()) {
      for (History.Outcome o : History.Outcome.values()) {
        counts.put(t.name().toLowerCase(Locale.ROOT) + "_" + o.name().toLowerCase(Locale.ROOT),
            ops.stream().filter(op -> op.type() == t && op.outcome() == o).count());
      }
    }
    r.fields.put("ops", counts);
    r.fields.put("acknowledged", result.acknowledged());
    r.fields.put("indeterminateWrites", result.indeterminate());
    r.fields.put("indeterminateWritesPresent", result.indeterminatePresent());
    r.fields.put("lost", result.lost().size());
    r.fields.put("lostKeys", result.lost());
    r.fields.put("corruptedReads", workload.corruptedReads() + result.corrupted().size());
    r.fields.put("corruptedKeys", result.corrupted());
    r.fields.put("staleReads", workload.staleReads());
    r.fields.put("unreadableInFinalReads", result.unreadable());

    List<History.Op> inside = new ArrayList<>();
    List<History.Op> outside = new ArrayList<>();
    for (History.Op op : ops) {
      boolean in = windows.stream().anyMatch(win -> op.invokeNanos() >= win.startNanos() && op.invokeNanos() < win.endNanos());
      (in ? inside : outside).add(op);
    }
    r.fields.put("insideFaults", split(inside));
    r.fields.put("outsideFaults", split(outside));
    return r;
  }

  /** Nanoseconds from {@code start} to the first OK write invoked at or after it, or -1. */
  private static long firstAckAfter(List<History.Op> ops, long start) {
    return ops.stream()
        .filter(op -> op.type() == History.Type.WRITE && op.outcome() == History.Outcome.OK && op.invokeNanos() >= start)
        .mapToLong(op -> op.completeNanos() - start).min().orElse(-1);
  }

  private static Map<String, Object> split(List<History.Op> ops) {
    Map<String, Object> m = new LinkedHashMap<>();
    long ok = ops.stream().filter(op -> op.outcome() == History.Outcome.OK).count();
    m.put("ops", ops.size());
    m.put("ok", ok);
    m.put("availability", ops.isEmpty() ? null : round((double) ok / ops.size()));
    long[] lat = ops.stream().filter(op -> op.outcome() == History.Outcome.OK).mapToLong(History.Op::latencyNanos)
        .sorted().toArray();
    m.put("p50Millis", percentileMillis(lat, 0.50));
    m.put("p99Millis", percentileMillis(lat, 0.99));
    m.put("maxMillis", lat.length == 0 ? null : round(lat[lat.length - 1] / 1e6));
    return m;
  }

  private static Double percentileMillis(long[] sorted, double q) {
    if (sorted.length == 0) {
      return null;
    }
    int i = (int) Math.ceil(q * sorted.length) - 1;
    return round(sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6);
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }

  public Object get(String field) {
    return fields.get(field);
  }

  public void write(Path file) throws IOException {
    Files.createDirectories(file.getParent());
    StringBuilder b = new StringBuilder();
    json(b, fields, "");
    Files.writeString(file, b.append('\n').toString(), StandardCharsets.UTF_8);
  }

  /** The history as JSON lines: {@code {"process":w,"type":"invoke|ok|fail|info","f":"write|read","value":key,"time":ns}}. */
  public static void writeHistory(Path file, List<History.Op> ops) throws IOException {
    Files.createDirectories(file.getParent());
    List<long[]> events = new ArrayList<>(); // {time, op index, 0=invoke / 1=completion}
    for (History.Op op : ops) {
      events.add(new long[] {op.invokeNanos(), op.index(), 0});
      events.add(new long[] {op.completeNanos(), op.index(), 1});
    }
    events.sort((a, c) -> a[0] != c[0] ? Long.compare(a[0], c[0]) : Long.compare(a[2], c[2]));
    try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (long[] e : events) {
        History.Op op = ops.get((int) e[1]);
        String type = e[2] == 0 ? "invoke" : op.outcome().name().toLowerCase(Locale.ROOT);
        StringBuilder b = new StringBuilder("{\"index\":").append(op.index()).append(",\"process\":").append(op.worker())
            .append(",\"type\":\"").append(type).append("\",\"f\":\"").append(op.type().name().toLowerCase(Locale.ROOT))
            .append("\",\"value\":");
        quote(b, op.key());
        b.append(",\"time\":").append(e[0]);
        if (e[2] == 1 && op.error() != null) {
          b.append(",\"error\":");
          quote(b, op.error());
        }
        w.write(b.append("}\n").toString());
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static void json(StringBuilder b, Object v, String indent) {
    if (v == null) {
      b.append("null");
    } else if (v instanceof Map<?, ?> m) {
      b.append("{\n");
      int i = 0;
      for (Map.Entry<String, Object> e : ((Map<String, Object>) m).entrySet()) {
        b.append(indent).append("  ");
        quote(b, e.getKey());
        b.append(": ");
        json(b, e.getValue(), indent + "  ");
        b.append(++i < m.size() ? ",\n" : "\n");
      }
      b.append(indent).append('}');
    } else if (v instanceof List<?> l) {
      b.append('[');
      for (int i = 0; i < l.size(); i++) {
        if (i > 0) {
          b.append(", ");
        }
        json(b, l.get(i), indent + "  ");
      }
      b.append(']');
    } else if (v instanceof Number || v instanceof Boolean) {
      b.append(v);
    } else {
      quote(b, v.toString());
    }
  }

  private static void quote(StringBuilder b, String s) {
    b.append('"');
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    b.append('"');
  }
}
