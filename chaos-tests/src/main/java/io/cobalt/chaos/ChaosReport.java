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
import java.util.TreeMap;

/**
 * The figures of one run, computed from the history, the fault windows and the checkers' results,
 * written as JSON (docs/chaos.md lists the fields) and as a self-contained HTML page with a timeline
 * ({@link ChaosTimeline}). The history itself goes beside them as JSON lines, one invoke and one
 * completion event per operation, for offline checkers.
 */
public final class ChaosReport {
  private final Map<String, Object> fields = new LinkedHashMap<>();
  private final List<Nemesis.Window> windows;
  private final List<History.Op> ops;

  private ChaosReport(List<Nemesis.Window> windows, List<History.Op> ops) {
    this.windows = windows;
    this.ops = ops;
  }

  /**
   * The common part: run parameters, seed and schedule, fault windows, operation counts, and
   * availability and latency inside and outside fault windows, overall and per workload. The
   * checkers' sections are added with {@link #put}.
   */
  public static ChaosReport of(Map<String, Object> run, FaultSchedule schedule, List<Nemesis.Window> windows,
      List<History.Op> ops) {
    ChaosReport r = new ChaosReport(windows, ops);
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
    Map<String, Long> byKind = new TreeMap<>();
    for (History.Op op : ops) {
      byKind.merge(op.workload() + "_" + op.type().name().toLowerCase(Locale.ROOT) + "_"
          + op.outcome().name().toLowerCase(Locale.ROOT), 1L, Long::sum);
    }
    counts.putAll(byKind);
    r.fields.put("ops", counts);

    r.fields.put("insideFaults", split(inside(ops, windows, true)));
    r.fields.put("outsideFaults", split(inside(ops, windows, false)));
    Map<String, Object> perWorkload = new LinkedHashMap<>();
    for (String name : ops.stream().map(History.Op::workload).distinct().sorted().toList()) {
      List<History.Op> mine = ops.stream().filter(op -> op.workload().equals(name)).toList();
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("ops", mine.size());
      m.put("insideFaults", split(inside(mine, windows, true)));
      m.put("outsideFaults", split(inside(mine, windows, false)));
      perWorkload.put(name, m);
    }
    r.fields.put("availabilityByWorkload", perWorkload);
    return r;
  }

  public ChaosReport put(String field, Object value) {
    fields.put(field, value);
    return this;
  }

  private static List<History.Op> inside(List<History.Op> ops, List<Nemesis.Window> windows, boolean inside) {
    List<History.Op> out = new ArrayList<>();
    for (History.Op op : ops) {
      boolean in = windows.stream().anyMatch(win -> op.invokeNanos() >= win.startNanos() && op.invokeNanos() < win.endNanos());
      if (in == inside) {
        out.add(op);
      }
    }
    return out;
  }

  private static boolean isWrite(History.Op op) {
    return op.type() == History.Type.WRITE || op.type() == History.Type.CAS || op.type() == History.Type.ENQUEUE;
  }

  /** Nanoseconds from {@code start} to the first OK write (any workload) invoked at or after it, or -1. */
  private static long firstAckAfter(List<History.Op> ops, long start) {
    return ops.stream()
        .filter(op -> isWrite(op) && op.outcome() == History.Outcome.OK && op.invokeNanos() >= start)
        .mapToLong(op -> op.completeNanos() - start).min().orElse(-1);
  }

  /**
   * Count, ok, availability and latency percentiles of ok operations. A CAS refused with 412 is a
   * correct answer, not an outage: availability counts it as available (any {@code fail} with a
   * 4xx status does), while timeouts, 5xx and connection errors are not.
   */
  private static Map<String, Object> split(List<History.Op> ops) {
    Map<String, Object> m = new LinkedHashMap<>();
    long ok = ops.stream().filter(op -> op.outcome() == History.Outcome.OK).count();
    long answered = ops.stream().filter(ChaosReport::answered).count();
    m.put("ops", ops.size());
    m.put("ok", ok);
    m.put("availability", ops.isEmpty() ? null : round((double) answered / ops.size()));
    long[] lat = ops.stream().filter(op -> op.outcome() == History.Outcome.OK).mapToLong(History.Op::latencyNanos)
        .sorted().toArray();
    m.put("p50Millis", percentileMillis(lat, 0.50));
    m.put("p99Millis", percentileMillis(lat, 0.99));
    m.put("maxMillis", lat.length == 0 ? null : round(lat[lat.length - 1] / 1e6));
    return m;
  }

  /** Ok, or a definite answer from the service (a 4xx status but 408). */
  static boolean answered(History.Op op) {
    if (op.outcome() == History.Outcome.OK) {
      return true;
    }
    if (op.error() == null || op.error().isEmpty() || !Character.isDigit(op.error().charAt(0))) {
      return false;
    }
    String digits = op.error().split(" ")[0];
    try {
      int status = Integer.parseInt(digits);
      return status >= 400 && status < 500 && status != 408;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static Double percentileMillis(long[] sorted, double q) {
    if (sorted.length == 0) {
      return null;
    }
    int i = (int) Math.ceil(q * sorted.length) - 1;
    return round(sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6);
  }

  static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }

  public Object get(String field) {
    return fields.get(field);
  }

  public Map<String, Object> fields() {
    return fields;
  }

  public void write(Path file) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    StringBuilder b = new StringBuilder();
    json(b, fields, "");
    Files.writeString(file, b.append('\n').toString(), StandardCharsets.UTF_8);
  }

  /** The HTML page: summary, invariants and the timeline (inline SVG, no external assets). */
  public void writeHtml(Path file) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    Files.writeString(file, ChaosTimeline.page(fields, windows, ops), StandardCharsets.UTF_8);
  }

  /**
   * The history as JSON lines: {@code {"index":i,"workload":w,"process":p,"type":"invoke|ok|fail|info",
   * "f":"write|read|cas|enqueue|dequeue|delete","key":k,"value":v,"expected":e,"time":ns}}.
   */
  public static void writeHistory(Path file, List<History.Op> ops) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
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
        StringBuilder b = new StringBuilder("{\"index\":").append(op.index()).append(",\"workload\":");
        quote(b, op.workload());
        b.append(",\"process\":").append(op.worker()).append(",\"type\":\"").append(type).append("\",\"f\":\"")
            .append(op.type().name().toLowerCase(Locale.ROOT)).append("\",\"key\":");
        quote(b, op.key());
        boolean showValue = op.type() != History.Type.READ || e[2] == 1; // a read's value is known on completion
        if (op.value() != null && showValue) {
          b.append(",\"value\":");
          quote(b, op.value());
        }
        if (op.expected() != null) {
          b.append(",\"expected\":");
          quote(b, op.expected());
        }
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
  static void json(StringBuilder b, Object v, String indent) {
    if (v == null) {
      b.append("null");
    } else if (v instanceof Map<?, ?> m) {
      if (m.isEmpty()) {
        b.append("{}");
        return;
      }
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

  static void quote(StringBuilder b, String s) {
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
