package io.cobalt.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cobalt.chaos.FaultSchedule.Kind;
import io.cobalt.chaos.History.Op;
import io.cobalt.chaos.History.Outcome;
import io.cobalt.chaos.History.Type;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KeyFaultCheckTest {
  private static final long S = 1_000_000_000L;

  private static Nemesis.Window window(Kind kind, long start, long effective, long lift, long end) {
    return new Nemesis.Window(new FaultSchedule.Fault(kind, FaultSchedule.KMS, 5_000, 1_000), start * S, end * S,
        effective * S, lift * S);
  }

  private static Op op(String workload, Type type, String value, double invoke, double complete, Outcome o, String error) {
    return new Op(0, workload, 0, type, "k", value, null, (long) (invoke * S), (long) (complete * S), o, error);
  }

  // Revocation 10..30 s (disabled at 11 s, enable sent at 29 s); outage 40..60 s (agent stopped at 41, back at 58);
  // rotation 70..75 s.
  private static final List<Nemesis.Window> WINDOWS = List.of(window(Kind.KEY_REVOKE, 10, 11, 29, 30),
      window(Kind.KMS_PAUSE, 40, 41, 58, 60), window(Kind.KEY_ROTATE, 70, 70, 75, 75));

  @Test
  void refusalsInsideTheirWindowsAreExpectedAndTheRightAnswers() {
    List<Op> ops = List.of(
        op("set", Type.READ, null, 12, 12.1, Outcome.OK, null), // within the 5 s bound: may still be served
        op("set", Type.READ, null, 17, 17.1, Outcome.FAIL, "403 KeyVaultEncryptionKeyNotFound"),
        op("register", Type.WRITE, "v", 20, 20.1, Outcome.FAIL, "403"),
        op("register", Type.READ, null, 21, 21.1, Outcome.OK, null), // absent key: no data key needed
        op("queue", Type.DELETE, "m", 22, 22.1, Outcome.OK, null),
        op("set", Type.READ, null, 33, 33.1, Outcome.FAIL, "403 KeyVaultEncryptionKeyNotFound"), // re-enable reaching it
        op("set", Type.WRITE, null, 47, 57, Outcome.INFO, "503 ServerBusy"),
        op("register", Type.READ, "v", 42, 42.1, Outcome.OK, null), // cached DEK before the stream was cut
        op("set", Type.WRITE, null, 71, 71.5, Outcome.OK, null),
        op("register", Type.CAS, "w", 72, 72.2, Outcome.FAIL, "412"));
    List<String> violations = new ArrayList<>();
    Map<String, Object> m = KeyFaultCheck.check(WINDOWS, ops, violations);
    assertEquals(List.of(), violations);
    assertEquals(2L, m.get("refused403DuringRevocations"));
    assertEquals(1L, m.get("serverBusy503DuringOutages"));
    assertEquals(2L, m.get("opsDuringRotations"));
    assertEquals(0L, m.get("failedDuringRotations"), "a 412 is an answer");
    assertEquals(1, m.get("revocations"));
    assertEquals(1, m.get("kmsOutages"));
  }

  @Test
  void dataServedUnderARevokedKeyOrDuringAnOutageAndStray403sAreViolations() {
    List<Op> ops = List.of(
        op("set", Type.READ, null, 17, 17.1, Outcome.OK, null), // served 6 s after the disable
        op("table", Type.READ, "v", 20, 20.2, Outcome.OK, null),
        op("queue", Type.ENQUEUE, "m", 50, 50.1, Outcome.OK, null), // acknowledged 9 s into the outage
        op("register", Type.WRITE, "v", 45, 45.1, Outcome.FAIL, "403"), // 403 during an outage: must be 503
        op("set", Type.WRITE, null, 72, 72.3, Outcome.FAIL, "500 InternalError"), // key error during rotation
        op("register", Type.READ, null, 90, 90.1, Outcome.FAIL, "403")); // nobody revoked anything
    List<String> violations = new ArrayList<>();
    Map<String, Object> m = KeyFaultCheck.check(WINDOWS, ops, violations);
    assertEquals(2L, m.get("servedWhileRevoked"));
    assertEquals(1L, m.get("servedDuringOutages"));
    assertEquals(1L, m.get("forbidden403DuringOutages"));
    assertEquals(1L, m.get("keyErrorsDuringRotations"));
    assertEquals(1L, m.get("forbidden403Elsewhere"));
    assertEquals(5, violations.size(), violations.toString());
    assertTrue(((List<?>) m.get("examples")).size() >= 5);
  }
}
