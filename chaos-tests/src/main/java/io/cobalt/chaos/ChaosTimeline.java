package io.cobalt.chaos;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The report's HTML page: one self-contained file (inline CSS and SVG, no scripts, no external
 * assets) with the verdict, the invariants, the run's JSON, and a timeline of completed operations
 * per second (ok) and errors per second (fail or info), fault windows shaded and labelled.
 */
final class ChaosTimeline {
  private static final int WIDTH = 1100;
  private static final int HEIGHT = 320;
  private static final int LEFT = 50;
  private static final int RIGHT = 20;
  private static final int TOP = 40;
  private static final int BOTTOM = 40;

  private ChaosTimeline() {}

  static String page(Map<String, Object> fields, List<Nemesis.Window> windows, List<History.Op> ops) {
    StringBuilder b = new StringBuilder();
    Object violations = fields.get("violations");
    boolean passed = violations instanceof List<?> l && l.isEmpty();
    b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Cobalt chaos run, seed ")
        .append(esc(String.valueOf(fields.get("seed")))).append("</title>\n<style>")
        .append("body{font-family:sans-serif;margin:24px;color:#222}h1{font-size:20px}")
        .append(".pass{color:#176f2c}.fail{color:#b00020}table{border-collapse:collapse}")
        .append("td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;font-size:13px}")
        .append("pre{background:#f6f6f6;padding:8px;font-size:12px;overflow:auto;max-height:480px}")
        .append("</style></head><body>\n");
    b.append("<h1>Cobalt chaos run, seed ").append(esc(String.valueOf(fields.get("seed")))).append(": <span class=\"")
        .append(passed ? "pass\">every invariant held" : "fail\">invariants violated").append("</span></h1>\n");
    if (!passed && violations instanceof List<?> l) {
      b.append("<ul>");
      for (Object v : l) {
        b.append("<li class=\"fail\">").append(esc(String.valueOf(v))).append("</li>");
      }
      b.append("</ul>\n");
    }
    if (fields.get("invariants") instanceof Map<?, ?> inv) {
      b.append("<table><tr><th>invariant</th><th>value</th></tr>");
      inv.forEach((k, v) -> b.append("<tr><td>").append(esc(String.valueOf(k))).append("</td><td>")
          .append(esc(String.valueOf(v))).append("</td></tr>"));
      b.append("</table>\n");
    }
    table(b, "Corruptions: injected, detected, repaired, on a retired node", fields.get("corruptions"));
    table(b, "Time to restore the replication factor (node removed)", fields.get("replicationRestore"));
    table(b, "Node added: time to its first partition voter, voters at the end", fields.get("nodeJoins"));
    table(b, "Key faults: rotation, revocation, key service outage", fields.get("keyFaults"));
    b.append("<h2>Timeline</h2>\n").append(svg(windows, ops));
    b.append("<h2>Faults</h2>\n<table><tr><th>kind</th><th>node</th><th>from (s)</th><th>to (s)</th></tr>");
    for (Nemesis.Window w : windows) {
      b.append("<tr><td>").append(w.fault().kind()).append("</td><td>").append(esc(w.fault().node())).append("</td><td>")
          .append(String.format(Locale.ROOT, "%.1f", w.startNanos() / 1e9)).append("</td><td>")
          .append(String.format(Locale.ROOT, "%.1f", w.endNanos() / 1e9)).append("</td></tr>");
    }
    b.append("</table>\n<h2>Report (JSON)</h2>\n<pre>");
    StringBuilder json = new StringBuilder();
    ChaosReport.json(json, fields, "");
    b.append(esc(json.toString())).append("</pre>\n</body></html>\n");
    return b.toString();
  }

  /** A section as a table: a map as name/value rows, a list of maps as one row each; nothing if empty or absent. */
  static void table(StringBuilder b, String title, Object section) {
    if (section instanceof Map<?, ?> m && !m.isEmpty()) {
      b.append("<h2>").append(esc(title)).append("</h2>\n<table><tr><th>figure</th><th>value</th></tr>");
      m.forEach((k, v) -> b.append("<tr><td>").append(esc(String.valueOf(k))).append("</td><td>")
          .append(esc(String.valueOf(v))).append("</td></tr>"));
      b.append("</table>\n");
    } else if (section instanceof List<?> l && !l.isEmpty() && l.get(0) instanceof Map<?, ?> first) {
      b.append("<h2>").append(esc(title)).append("</h2>\n<table><tr>");
      first.keySet().forEach(k -> b.append("<th>").append(esc(String.valueOf(k))).append("</th>"));
      b.append("</tr>");
      for (Object row : l) {
        b.append("<tr>");
        ((Map<?, ?>) row).values().forEach(v -> b.append("<td>").append(esc(String.valueOf(v))).append("</td>"));
        b.append("</tr>");
      }
      b.append("</table>\n");
    }
  }

  /** Per-second ok operations and errors by completion time; fault windows as shaded bands. */
  static String svg(List<Nemesis.Window> windows, List<History.Op> ops) {
    long endNanos = 1;
    for (History.Op op : ops) {
      endNanos = Math.max(endNanos, op.completeNanos());
    }
    for (Nemesis.Window w : windows) {
      endNanos = Math.max(endNanos, w.endNanos());
    }
    int seconds = (int) (endNanos / 1_000_000_000L) + 1;
    int[] ok = new int[seconds];
    int[] err = new int[seconds];
    for (History.Op op : ops) {
      int s = (int) Math.max(0, op.completeNanos() / 1_000_000_000L);
      if (op.outcome() == History.Outcome.OK) {
        ok[s]++;
      } else {
        err[s]++;
      }
    }
    int max = 1;
    for (int i = 0; i < seconds; i++) {
      max = Math.max(max, Math.max(ok[i], err[i]));
    }
    double plotW = WIDTH - LEFT - RIGHT;
    double plotH = HEIGHT - TOP - BOTTOM;
    double xs = plotW / seconds;
    double ys = plotH / max;
    StringBuilder b = new StringBuilder();
    b.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(WIDTH).append("\" height=\"").append(HEIGHT)
        .append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(HEIGHT).append("\" font-size=\"11\">\n");
    for (Nemesis.Window w : windows) {
      double x0 = LEFT + w.startNanos() / 1e9 * xs;
      double x1 = LEFT + w.endNanos() / 1e9 * xs;
      String color = switch (w.fault().kind().name()) {
        case "KILL" -> "#f4b6b6";
        case "PAUSE_LONG" -> "#f7d9a8";
        case "PAUSE_SHORT" -> "#f9ecc4";
        case "REMOVE_NODE" -> "#e0a0a0";
        case "ADD_NODE" -> "#b8e0b8";
        case "KEY_ROTATE", "KEY_REVOKE", "KMS_DOWN", "KMS_PAUSE" -> "#d4c4ee";
        default -> "#c9d7f2"; // partitions and faults added later
      };
      b.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
          + "<title>%s %s %.1f-%.1f s</title></rect>%n", x0, TOP, Math.max(1, x1 - x0), plotH, color,
          w.fault().kind(), esc(w.fault().node()), w.startNanos() / 1e9, w.endNanos() / 1e9));
      b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" transform=\"rotate(-30 %.1f %d)\">%s %s</text>%n",
          x0, TOP - 4, x0, TOP - 4, label(w.fault().kind().name()), esc(w.fault().node())));
    }
    b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444\"/>%n", LEFT,
        TOP + plotH, LEFT + plotW, TOP + plotH));
    b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%.1f\" stroke=\"#444\"/>%n", LEFT, TOP,
        LEFT, TOP + plotH));
    int step = Math.max(1, seconds / 20);
    step = step <= 5 ? 5 : step <= 10 ? 10 : step <= 30 ? 30 : 60 * Math.max(1, step / 60);
    for (int s = 0; s <= seconds; s += step) {
      b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%d</text>%n", LEFT + s * xs,
          TOP + plotH + 14, s));
    }
    b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">seconds since the workload began</text>%n",
        LEFT + plotW / 2, HEIGHT - 6));
    for (int i = 0; i <= 4; i++) {
      int v = max * i / 4;
      b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%d</text>%n", LEFT - 4,
          TOP + plotH - v * ys + 4, v));
    }
    b.append(polyline(ok, xs, ys, plotH, "#1f6fb2")).append(polyline(err, xs, ys, plotH, "#c62828"));
    b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"14\" fill=\"#1f6fb2\">ok operations/s</text>"
        + "<text x=\"%d\" y=\"14\" fill=\"#c62828\">errors/s (fail or info)</text>"
        + "<text x=\"%d\" y=\"14\">shaded: fault (red kill, dark red node removed, orange/yellow"
        + " long/short pause, violet key faults, blue other)</text>%n",
        LEFT, LEFT + 130, LEFT + 300));
    return b.append("</svg>\n").toString();
  }

  private static String label(String kind) {
    return switch (kind) {
      case "KILL" -> "kill";
      case "PAUSE_LONG" -> "pause";
      case "PAUSE_SHORT" -> "p";
      default -> kind.toLowerCase(Locale.ROOT);
    };
  }

  private static String polyline(int[] perSecond, double xs, double ys, double plotH, String color) {
    StringBuilder b = new StringBuilder("<polyline fill=\"none\" stroke=\"").append(color)
        .append("\" stroke-width=\"1.5\" points=\"");
    for (int i = 0; i < perSecond.length; i++) {
      b.append(String.format(Locale.ROOT, "%.1f,%.1f ", LEFT + (i + 0.5) * xs, TOP + plotH - perSecond[i] * ys));
    }
    return b.append("\"/>\n").toString();
  }

  static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
