package io.cobalt.cli.admin;

import io.cobalt.proto.node.v1.HealStatus;
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
    out.println("CHUNKS");
    out.printf(Locale.ROOT, "%-10s %9s %7s %10s %9s %8s %9s %8s %8s %9s%n",
        "NODE", "STORED", "BACKLOG", "UNDER-REPL", "REPAIRED", "FAILED", "SCRUBBED", "CORRUPT", "GC-DEL", "AE-PASS");
    for (ClusterHealth.Member m : h.members()) {
      HealStatus c = m.heal();
      if (c == null) {
        out.printf(Locale.ROOT, "%-10s %9s%n", m.id(), "-");
      } else if (!c.getEnabled()) {
        out.printf(Locale.ROOT, "%-10s %9d %7d  healing off%n", m.id(), c.getChunksStored(), m.repairBacklog());
      } else {
        out.printf(Locale.ROOT, "%-10s %9d %7d %10d %9d %8d %9d %8d %8d %9s%n", m.id(), c.getChunksStored(),
            m.repairBacklog(), c.getAntiEntropyUnderReplicated(), c.getRepairsDone(), c.getRepairAttemptsFailed(),
            c.getScrubChunksScanned(), c.getScrubCorruptFound(), c.getGcChunksDeleted(),
            c.getAntiEntropyLastPassEpochMillis() == 0 ? "never" : "done");
      }
    }
    out.println();
    long reachable = h.members().stream().filter(ClusterHealth.Member::reachable).count();
    long underReplicatedChunks = h.underReplicatedChunks();
    out.printf(Locale.ROOT, "%d/%d members reachable, %d partitions, %d under-replicated, %d without a leader;"
            + " repair backlog %d; under-replicated chunks (last anti-entropy pass): %s%n",
        reachable, h.members().size(), h.partitions().size(), h.underReplicatedCount(), h.leaderlessCount(),
        h.repairBacklog(), underReplicatedChunks < 0 ? "unknown (no anti-entropy pass yet, or healing off)"
            : Long.toString(underReplicatedChunks));
    if (h.placementVersion() > 0) {
      out.printf(Locale.ROOT, "placement map version %d%s%n", h.placementVersion(), h.placementBehind().isEmpty() ? ""
          : " (older version on " + String.join(", ", h.placementBehind()) + ")");
    }
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
    j.append(",\"placementVersion\":").append(h.placementVersion());
    j.append(",\"placementBehind\":").append(array(h.placementBehind()));
    long underReplicatedChunks = h.underReplicatedChunks();
    j.append(",\"underReplicatedChunks\":").append(underReplicatedChunks < 0 ? "null" : Long.toString(underReplicatedChunks));
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
      j.append("\"repairBacklog\":").append(m.reachable() ? Long.toString(m.repairBacklog()) : "null").append(',');
      j.append("\"chunks\":").append(m.heal() == null ? "null" : chunks(m.heal()));
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

  private static String chunks(HealStatus c) {
    return "{\"healing\":" + c.getEnabled()
        + ",\"stored\":" + c.getChunksStored()
        + ",\"underReplicated\":" + c.getAntiEntropyUnderReplicated()
        + ",\"antiEntropyChecked\":" + c.getAntiEntropyChunksChecked()
        + ",\"antiEntropyLastPassEpochMillis\":" + c.getAntiEntropyLastPassEpochMillis()
        + ",\"repaired\":" + c.getRepairsDone()
        + ",\"repairAttemptsFailed\":" + c.getRepairAttemptsFailed()
        + ",\"repairsDropped\":" + c.getRepairsDropped()
        + ",\"scrubScanned\":" + c.getScrubChunksScanned()
        + ",\"scrubCorrupt\":" + c.getScrubCorruptFound()
        + ",\"scrubPasses\":" + c.getScrubPasses()
        + ",\"gcDeleted\":" + c.getGcChunksDeleted()
        + ",\"gcKept\":" + c.getGcChunksKept()
        + ",\"gcPasses\":" + c.getGcPasses() + "}";
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
