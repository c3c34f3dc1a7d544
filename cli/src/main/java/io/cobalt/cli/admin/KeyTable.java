package io.cobalt.cli.admin;

import io.cobalt.proto.kms.v1.GetKeyResponse;
import io.cobalt.proto.kms.v1.KeyVersionInfo;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Keys as readable, aligned text tables. */
final class KeyTable {
  private KeyTable() {}

  static void printList(PrintWriter out, List<GetKeyResponse> keys) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"KEY", "BACKEND", "PRIMARY", "VERSIONS", "MIN-DECRYPT", "ROTATION", "STATE"});
    for (GetKeyResponse k : keys) {
      rows.add(new String[] {k.getKeyId(), k.getBackend(), k.getPrimaryVersion() == 0 ? "-" : "v" + k.getPrimaryVersion(),
          String.valueOf(k.getVersionsCount()), "v" + k.getMinDecryptionVersion(), period(k.getRotationPeriodSeconds()),
          state(k)});
    }
    print(out, rows);
    if (keys.isEmpty()) {
      out.println("(no keys)");
    }
  }

  static void printKey(PrintWriter out, GetKeyResponse k) {
    List<String[]> head = new ArrayList<>();
    head.add(new String[] {"key:", k.getKeyId()});
    head.add(new String[] {"backend:", k.getBackend()});
    head.add(new String[] {"state:", state(k)});
    head.add(new String[] {"primary version:", k.getPrimaryVersion() == 0 ? "none (no data keys can be made)" : "v" + k.getPrimaryVersion()});
    head.add(new String[] {"min decryption version:", "v" + k.getMinDecryptionVersion()});
    head.add(new String[] {"rotation:", period(k.getRotationPeriodSeconds())
        + (k.getNextRotationEpochMillis() == 0 ? "" : ", next " + Instant.ofEpochMilli(k.getNextRotationEpochMillis()))});
    head.add(new String[] {"imported (BYOK):", k.getImported() ? "yes" : "no"});
    if (k.hasDeletion()) {
      head.add(new String[] {"deleted:", Instant.ofEpochMilli(k.getDeletion().getDeletedEpochMillis())
          + (k.getDeletion().getPurged() ? ", purged" : ", purge after "
          + Instant.ofEpochMilli(k.getDeletion().getPurgeAfterEpochMillis()))
          + (k.getDeletion().getPurgeProtection() ? " (purge protection)" : "")});
    }
    print(out, head);
    out.println();
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"VERSION", "STATE", "CREATED"});
    for (KeyVersionInfo v : k.getVersionsList()) {
      rows.add(new String[] {"v" + v.getVersion() + (v.getVersion() == k.getPrimaryVersion() ? " *" : ""), v.getState(),
          Instant.ofEpochMilli(v.getCreatedEpochMillis()).toString()});
    }
    print(out, rows);
  }

  private static String state(GetKeyResponse k) {
    if (!k.hasDeletion()) {
      return "active";
    }
    return k.getDeletion().getPurged() ? "purged" : "deleted";
  }

  static String period(long seconds) {
    if (seconds == 0) {
      return "off";
    }
    Duration d = Duration.ofSeconds(seconds);
    if (d.toDays() > 0 && d.toHours() % 24 == 0) {
      return d.toDays() + "d";
    }
    return d.toHours() + "h" + (d.toMinutesPart() == 0 ? "" : d.toMinutesPart() + "m");
  }

  private static void print(PrintWriter out, List<String[]> rows) {
    int[] width = new int[rows.get(0).length];
    for (String[] r : rows) {
      for (int i = 0; i < r.length; i++) {
        width[i] = Math.max(width[i], r[i].length());
      }
    }
    for (String[] r : rows) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < r.length; i++) {
        sb.append(r[i]);
        if (i < r.length - 1) {
          sb.append(" ".repeat(width[i] - r[i].length() + 2));
        }
      }
      out.println(sb.toString().stripTrailing());
    }
  }
}
