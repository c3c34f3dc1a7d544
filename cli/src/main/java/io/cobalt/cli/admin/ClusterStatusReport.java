package io.cobalt.cli.admin;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/** {@link ClusterHealth} as the operator reads it (two tables and a verdict) or as a script reads it (JSON). */
final class ClusterStatusReport {
  private ClusterStatusReport() {}

  static void printTable(ClusterHealth h, int exitCode, PrintWriter out) {
    out.println("MEMBERS");
    out.printf(Locale.ROOT, "%-10s %-21s %-11s %8s %6s %6s %6s  %s%n",
        "NODE", "ENDPOINT", "STATE", "UPTIME", "VOTER", "LEADER", "REPAIR", "ERROR");
    for (ClusterHealth.Member m : h.members()) {
      out.printf(Locale.ROOT, "%-10s %-21s %-11s %8s %6d %6d %6s  %s%n",
          m.id(), m.endpoint(), m.reachable() ? "up" : "UNREACHABLE",
          m.reachable() ? duration(m.uptimeMillis()) : "-", m.voterOf(), m.leaderOf(),
          m.reachable() ? Long.toString(m.repairBacklog()) : "-", m.error() == null ? "" : m.error());
    }
    out.println();
    out.println("PARTITIONS");
    out.printf(Locale.ROOT, "%4s %-10s %5s %8s %6s  %-16s %s%n",
        "P", "LEADER", "TERM", "COMMIT", "UP", "STATE", "PROBLEMS");
    for (ClusterHealth.Partition p : h.partitions()) {
      out.printf(Locale.ROOT, "%4d %-10s %5s %8d %6s  %-16s %s%n",
          p.partition(), p.leader().isEmpty() ? "-" : p.leader(), p.term() < 0 ? "-" : Long.toString(p.term()),
          p.commitIndex(), p.reachableVoters().size() + "/" + p.voters().size(), state(p),
          String.join("; ", p.problems()));
    }
    out.println();
    long reachable = h.members().stream().filter(ClusterHealth.Member::reachable).count();
    out.printf(Locale.ROOT, "%d/%d members reachable, %d partitions, %d under-replicated, %d without a leader;"
            + " repair backlog %d (no repair queue yet); under-replicated chunks: not tracked yet%n",
        reachable, h.members().size(), h.partitions().size(), h.underReplicatedCount(), h.leaderlessCount(),
        h.repairBacklog());
    out.println(h.healthy() ? "HEALTHY" : "DEGRADED (exit " + exitCode + ")");
  }

  private static String state(ClusterHealth.Partition p) {
    if (p.healthy()) {
      return "ok";
    }
    if (p.underReplicated() && p.leaderless()) {
      return "UNDER-REPL,NO-LDR";
    }
    return p.underReplicated() ? "UNDER-REPLICATED" : "NO-LEADER";
  }

  static String duration(long millis) {
    long s = millis / 1000;
    if (s < 60) {
      return s + "s";
    }
    if (s < 3600) {
      return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
    if (s < 86_400) {
      return String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60);
    }
    return String.format(Locale.ROOT, "%dd%02dh", s / 86_400, s % 86_400 / 3600);
  }

  static void printJson(ClusterHealth h, int exitCode, PrintWriter out) {
    StringBuilder j = new StringBuilder();
    j.append("{\"healthy\":").append(h.healthy()).append(",\"exitCode\":").append(exitCode);
    j.append(",\"repairBacklog\":").append(h.repairBacklog());
    j.append(",\"underReplicatedChunks\":null"); // not tracked yet: no repair queue
    j.append(",\"members\":[");
    for (int i = 0; i < h.members().size(); i++) {
      ClusterHealth.Member m = h.members().get(i);
      j.append(i == 0 ? "" : ",").append('{');
      field(j, "id", m.id()).append(',');
      field(j, "endpoint", m.endpoint()).append(',');
      j.append("\"reachable\":").append(m.reachable()).append(',');
      j.append("\"error\":").append(m.error() == null ? "null" : quote(m.error())).append(',');
      j.append("\"uptimeMillis\":").append(m.reachable() ? Long.toString(m.uptimeMillis()) : "null").append(',');
      j.append("\"voterOf\":").append(m.voterOf()).append(',');
      j.append("\"leaderOf\":").append(m.leaderOf()).append(',');
      j.append("\"repairBacklog\":").append(m.reachable() ? Long.toString(m.repairBacklog()) : "null");
      j.append('}');
    }
    j.append("],\"partitions\":[");
    for (int i = 0; i < h.partitions().size(); i++) {
      ClusterHealth.Partition p = h.partitions().get(i);
      j.append(i == 0 ? "" : ",").append('{');
      j.append("\"partition\":").append(p.partition()).append(',');
      j.append("\"leader\":").append(p.leader().isEmpty() ? "null" : quote(p.leader())).append(',');
      j.append("\"term\":").append(p.term() < 0 ? "null" : Long.toString(p.term())).append(',');
      j.append("\"commitIndex\":").append(p.commitIndex()).append(',');
      j.append("\"voters\":").append(array(p.voters())).append(',');
      j.append("\"reachableVoters\":").append(array(p.reachableVoters())).append(',');
      j.append("\"underReplicated\":").append(p.underReplicated()).append(',');
      j.append("\"leaderless\":").append(p.leaderless()).append(',');
      j.append("\"problems\":").append(array(p.problems()));
      j.append('}');
    }
    j.append("]}");
    out.println(j);
  }

  private static StringBuilder field(StringBuilder j, String name, String value) {
    return j.append(quote(name)).append(':').append(quote(value));
  }

  private static String array(List<String> values) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < values.size(); i++) {
      b.append(i == 0 ? "" : ",").append(quote(values.get(i)));
    }
    return b.append(']').toString();
  }

  static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) {
            b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }
}
