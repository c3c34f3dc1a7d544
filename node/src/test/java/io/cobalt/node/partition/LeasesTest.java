package io.cobalt.node.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.Condition;
import io.cobalt.proto.node.v1.LeaseAction;
import io.cobalt.proto.node.v1.LeaseRequest;
import io.cobalt.proto.node.v1.LeaseState;
import org.junit.jupiter.api.Test;

/** Azure's lease state table, decided only from the stamped time (no clock). */
class LeasesTest {
  static final long T0 = 1_700_000_000_000L;
  static final String A = "aaaaaaaa-0000-0000-0000-000000000000";
  static final String B = "bbbbbbbb-0000-0000-0000-000000000000";

  static LeaseRequest.Builder req(LeaseAction action, long now) {
    return LeaseRequest.newBuilder().setAction(action).setNowEpochMillis(now);
  }

  static LeaseState acquired(long duration) {
    Leases.Outcome o = Leases.apply(false, LeaseState.getDefaultInstance(),
        req(LeaseAction.LEASE_ACQUIRE, T0).setProposedLeaseId(A).setDurationSeconds(duration).build());
    assertNull(o.refused());
    return o.lease();
  }

  @Test
  void fixedLeaseIsLeasedUntilItsDurationThenExpired() {
    LeaseState l = acquired(15);
    assertEquals(Leases.Phase.LEASED, Leases.phase(true, l, T0 + 14_999));
    assertEquals(Leases.Phase.EXPIRED, Leases.phase(true, l, T0 + 15_000));
    assertEquals(Leases.Phase.LEASED, Leases.phase(true, acquired(-1), Long.MAX_VALUE));
  }

  @Test
  void breakingLeaseRefusesAcquireChangeAndRenewThenBreaks() {
    LeaseState l = acquired(-1);
    Leases.Outcome broke = Leases.apply(true, l,
        req(LeaseAction.LEASE_BREAK, T0 + 1000).setHasBreakPeriod(true).setBreakPeriodSeconds(10).build());
    assertEquals(10, broke.leaseTimeSeconds());
    LeaseState breaking = broke.lease();
    long during = T0 + 5000;
    assertEquals(CommandStatus.LEASE_IS_BREAKING_AND_CANNOT_BE_ACQUIRED, Leases.apply(true, breaking,
        req(LeaseAction.LEASE_ACQUIRE, during).setProposedLeaseId(B).setDurationSeconds(-1).build()).refused());
    assertEquals(CommandStatus.LEASE_IS_BREAKING_AND_CANNOT_BE_CHANGED, Leases.apply(true, breaking,
        req(LeaseAction.LEASE_CHANGE, during).setLeaseId(A).setProposedLeaseId(B).build()).refused());
    assertEquals(CommandStatus.LEASE_IS_BROKEN_AND_CANNOT_BE_RENEWED, Leases.apply(true, breaking,
        req(LeaseAction.LEASE_RENEW, during).setLeaseId(A).build()).refused());
    assertEquals(Leases.Phase.BREAKING, Leases.phase(true, breaking, T0 + 10_999));
    assertEquals(Leases.Phase.BROKEN, Leases.phase(true, breaking, T0 + 11_000));
    assertNull(Leases.apply(true, breaking,
        req(LeaseAction.LEASE_ACQUIRE, T0 + 11_000).setProposedLeaseId(B).setDurationSeconds(-1).build()).refused());
  }

  @Test
  void writesNeedTheActiveLeasesIdOnly() {
    LeaseState l = acquired(15);
    Condition none = Condition.newBuilder().setNowEpochMillis(T0 + 1000).build();
    Condition withA = none.toBuilder().setLeaseId(A).build();
    Condition withB = none.toBuilder().setLeaseId(B).build();
    assertEquals(CommandStatus.LEASE_ID_MISSING, Leases.checkWrite(none, true, l, true));
    assertNull(Leases.checkWrite(none, true, l, false), "container metadata: the lease id is optional");
    assertEquals(CommandStatus.LEASE_ID_MISMATCH, Leases.checkWrite(withB, true, l, true));
    assertNull(Leases.checkWrite(withA, true, l, true));
    assertEquals(CommandStatus.LEASE_NOT_PRESENT, Leases.checkWrite(withA, false, LeaseState.getDefaultInstance(), true));
    Condition later = withA.toBuilder().setNowEpochMillis(T0 + 20_000).build();
    assertEquals(CommandStatus.LEASE_LOST, Leases.checkWrite(later, true, l, true));
    assertNull(Leases.checkWrite(later.toBuilder().clearLeaseId().build(), true, l, true));
  }

  @Test
  void malformedLeaseRequestsNeverEnterTheLog() {
    assertThrows(InvalidRequestException.class, () -> Leases.validate(
        req(LeaseAction.LEASE_ACQUIRE, T0).setProposedLeaseId(A).setDurationSeconds(14).build()));
    assertThrows(InvalidRequestException.class, () -> Leases.validate(
        req(LeaseAction.LEASE_BREAK, T0).setHasBreakPeriod(true).setBreakPeriodSeconds(61).build()));
    assertThrows(InvalidRequestException.class, () -> Leases.validate(req(LeaseAction.LEASE_RENEW, T0).build()));
    assertThrows(InvalidRequestException.class, () -> Leases.validate(
        req(LeaseAction.LEASE_ACTION_UNSPECIFIED, T0).build()));
    assertThrows(InvalidRequestException.class, () -> Leases.validate(
        req(LeaseAction.LEASE_ACQUIRE, 0).setProposedLeaseId(A).setDurationSeconds(-1).build()));
  }
}
