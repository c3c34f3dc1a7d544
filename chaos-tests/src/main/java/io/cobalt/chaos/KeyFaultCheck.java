package io.cobalt.chaos;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What key faults may and may not do to the workloads (issue 4 points 4 and 7; docs/chaos.md):
 * <ul>
 *   <li><b>Rotation</b> ({@code KEY_ROTATE}): no operation invoked in the window fails because of
 *       keys (a 403 or a 500).
 *   <li><b>Revocation</b> ({@code KEY_REVOKE}): a 403 inside the window (or within
 *       {@link #BOUND_NANOS} after it, while the re-enable reaches the gateway) is an expected
 *       refusal, never lost data; no read returns data and no write is acknowledged when invoked at
 *       least {@link #BOUND_NANOS} after the disable was acknowledged and completed before the
 *       re-enable was sent (the 5 s revocation bound).
 *   <li><b>Key service outage</b> ({@code KMS_DOWN}, {@code KMS_PAUSE}): fail closed — never a 403
 *       (503 is the answer), and no data read or write acknowledged when invoked at least
 *       {@link #BOUND_NANOS} after the agent stopped and completed before it was back.
 *   <li>A 403 anywhere else is a violation (the workloads' credentials are valid throughout).
 * </ul>
 * Operations that open no sealed data (queue message deletes, reads of absent keys) are not judged.
 */
public final class KeyFaultCheck {
  /** The revocation bound (issue 4 point 4: 5 s on every gateway) and the fail-closed detection bound. */
  static final long BOUND_NANOS = 5_000_000_000L;

  private KeyFaultCheck() {}

  /** The report's {@code keyFaults} section and every violation found (appended to {@code violations}). */
  public static Map<String, Object> check(List<Nemesis.Window> windows, List<History.Op> ops, List<String> violations) {
    List<Nemesis.Window> rotations = of(windows, FaultSchedule.Kind.KEY_ROTATE);
    List<Nemesis.Window> revocations = of(windows, FaultSchedule.Kind.KEY_REVOKE);
    List<Nemesis.Window> outages = new ArrayList<>(of(windows, FaultSchedule.Kind.KMS_DOWN));
    outages.addAll(of(windows, FaultSchedule.Kind.KMS_PAUSE));

    long rotationOps = 0;
    long rotationFailed = 0;
    long rotationKeyErrors = 0;
    long revocationRefused = 0;
    long servedWhileRevoked = 0;
    long outage503 = 0;
    long outageOk = 0;
    long outage403 = 0;
    long servedDuringOutage = 0;
    long stray403 = 0;
    List<String> examples = new ArrayList<>();
    for (History.Op op : ops) {
      int status = status(op);
      boolean inRevocation = revocations.stream()
          .anyMatch(w -> op.invokeNanos() >= w.startNanos() && op.invokeNanos() < w.endNanos() + BOUND_NANOS);
      for (Nemesis.Window w : rotations) {
        if (inside(op, w)) {
          rotationOps++;
          if (!ChaosReport.answered(op)) {
            rotationFailed++;
          }
          if (status == 403 || status == 500) {
            rotationKeyErrors++;
            example(examples, "during rotation", op);
          }
        }
      }
      for (Nemesis.Window w : revocations) {
        if (inside(op, w) && status == 403) {
          revocationRefused++;
        }
        if (servesData(op) && op.invokeNanos() >= w.effectiveNanos() + BOUND_NANOS && op.completeNanos() <= w.liftNanos()) {
          servedWhileRevoked++;
          example(examples, "served while revoked", op);
        }
      }
      for (Nemesis.Window w : outages) {
        if (inside(op, w)) {
          outage503 += status == 503 ? 1 : 0;
          outageOk += op.outcome() == History.Outcome.OK ? 1 : 0;
          if (status == 403 && !inRevocation) {
            outage403++;
            example(examples, "403 during key service outage", op);
          }
        }
        if (servesData(op) && op.invokeNanos() >= w.effectiveNanos() + BOUND_NANOS && op.completeNanos() <= w.liftNanos()) {
          servedDuringOutage++;
          example(examples, "served during key service outage", op);
        }
      }
      if (status == 403 && !inRevocation && outages.stream().noneMatch(w -> inside(op, w))) {
        stray403++;
        example(examples, "403 outside any revocation", op);
      }
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("rotations", rotations.size());
    m.put("opsDuringRotations", rotationOps);
    m.put("failedDuringRotations", rotationFailed);
    m.put("keyErrorsDuringRotations", rotationKeyErrors);
    m.put("revocations", revocations.size());
    m.put("refused403DuringRevocations", revocationRefused);
    m.put("servedWhileRevoked", servedWhileRevoked);
    m.put("kmsOutages", outages.size());
    m.put("serverBusy503DuringOutages", outage503);
    m.put("okDuringOutages", outageOk);
    m.put("forbidden403DuringOutages", outage403);
    m.put("servedDuringOutages", servedDuringOutage);
    m.put("forbidden403Elsewhere", stray403);
    m.put("examples", examples);
    if (rotationKeyErrors > 0) {
      violations.add("key rotation: " + rotationKeyErrors + " requests failed with 403/500 during a rotation");
    }
    if (servedWhileRevoked > 0) {
      violations.add("key revocation: " + servedWhileRevoked + " reads or writes served more than 5 s into a revocation");
    }
    if (outage403 > 0) {
      violations.add("key service outage: " + outage403 + " requests answered 403 (must be 503)");
    }
    if (servedDuringOutage > 0) {
      violations.add("key service outage: " + servedDuringOutage + " reads or writes served more than 5 s into it"
          + " (fail closed)");
    }
    if (stray403 > 0) {
      violations.add(stray403 + " requests answered 403 outside any revocation");
    }
    return m;
  }

  private static List<Nemesis.Window> of(List<Nemesis.Window> windows, FaultSchedule.Kind kind) {
    return windows.stream().filter(w -> w.fault().kind() == kind).toList();
  }

  private static boolean inside(History.Op op, Nemesis.Window w) {
    return op.invokeNanos() >= w.startNanos() && op.invokeNanos() < w.endNanos();
  }

  /** An acknowledged operation that needed a data key: a write, a CAS, an enqueue, a receive, or a read that returned a value. */
  static boolean servesData(History.Op op) {
    if (op.outcome() != History.Outcome.OK) {
      return false;
    }
    return switch (op.type()) {
      case WRITE, CAS, ENQUEUE, DEQUEUE -> true;
      case READ -> op.value() != null || op.workload().equals("set");
      case DELETE -> false;
    };
  }

  /** The HTTP status an operation's error starts with, or -1. */
  static int status(History.Op op) {
    String e = op.error();
    if (op.outcome() == History.Outcome.OK || e == null || e.length() < 3 || !Character.isDigit(e.charAt(0))) {
      return -1;
    }
    try {
      return Integer.parseInt(e.split(" ")[0]);
    } catch (NumberFormatException x) {
      return -1;
    }
  }

  private static void example(List<String> examples, String what, History.Op op) {
    if (examples.size() < 20) {
      examples.add(what + ": " + op.workload() + " " + op.type() + " " + op.key() + " at " + op.invokeNanos() / 1_000_000
          + " ms: " + (op.error() == null ? "ok" : op.error()));
    }
  }
}
