package io.cobalt.node.partition;

import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.Condition;
import io.cobalt.proto.node.v1.LeaseRequest;
import io.cobalt.proto.node.v1.LeaseState;

/**
 * Azure's lease rules for blobs and containers (Lease Blob / Lease Container), decided at the apply
 * step at the time the gateway stamped into the command, never a clock read here (ADR 0015): every
 * replica reaches the same state.
 */
public final class Leases {
  /** Azure's lease states. */
  public enum Phase { AVAILABLE, LEASED, EXPIRED, BREAKING, BROKEN }

  /** The outcome of a lease operation: a refusal, or the new lease (null: none) and Break's lease time. */
  record Outcome(CommandStatus refused, LeaseState lease, long leaseTimeSeconds) {
    static Outcome refuse(CommandStatus s) {
      return new Outcome(s, null, 0);
    }
  }

  public static final long INFINITE = -1;
  public static final int MIN_DURATION_SECONDS = 15;
  public static final int MAX_DURATION_SECONDS = 60;
  public static final int MAX_BREAK_PERIOD_SECONDS = 60;
  /** Lease ids are GUIDs in Azure; the node only bounds them. */
  public static final int MAX_LEASE_ID_CHARS = 64;

  private Leases() {}

  /** The state of {@code lease} ({@code present} false: never leased, or released) at {@code now}. */
  public static Phase phase(boolean present, LeaseState lease, long now) {
    if (!present) {
      return Phase.AVAILABLE;
    }
    if (lease.getBreakAtEpochMillis() != 0) {
      return now < lease.getBreakAtEpochMillis() ? Phase.BREAKING : Phase.BROKEN;
    }
    if (lease.getDurationSeconds() == INFINITE || now < lease.getExpiresEpochMillis()) {
      return Phase.LEASED;
    }
    return Phase.EXPIRED;
  }

  /**
   * Whether a write may go ahead given the request's {@code x-ms-lease-id} (in {@code c}); null if
   * so. {@code required}: an active lease must be named (blob writes, Delete Container); otherwise a
   * lease id is only checked when given (Set Container Metadata / ACL).
   */
  static CommandStatus checkWrite(Condition c, boolean present, LeaseState lease, boolean required) {
    Phase phase = phase(present, lease, c.getNowEpochMillis());
    switch (phase) {
      case LEASED, BREAKING -> {
        if (!c.hasLeaseId()) {
          return required ? CommandStatus.LEASE_ID_MISSING : null;
        }
        return c.getLeaseId().equalsIgnoreCase(lease.getLeaseId()) ? null : CommandStatus.LEASE_ID_MISMATCH;
      }
      case AVAILABLE -> {
        return c.hasLeaseId() ? CommandStatus.LEASE_NOT_PRESENT : null;
      }
      default -> {
        return c.hasLeaseId() ? CommandStatus.LEASE_LOST : null;
      }
    }
  }

  /** Applies one lease operation to the current lease (Azure's lease state table). */
  static Outcome apply(boolean present, LeaseState lease, LeaseRequest req) {
    long now = req.getNowEpochMillis();
    Phase phase = phase(present, lease, now);
    boolean sameId = present && req.getLeaseId().equalsIgnoreCase(lease.getLeaseId());
    switch (req.getAction()) {
      case LEASE_ACQUIRE -> {
        if (phase == Phase.BREAKING) {
          return Outcome.refuse(CommandStatus.LEASE_IS_BREAKING_AND_CANNOT_BE_ACQUIRED);
        }
        if (phase == Phase.LEASED && !req.getProposedLeaseId().equalsIgnoreCase(lease.getLeaseId())) {
          return Outcome.refuse(CommandStatus.LEASE_ALREADY_PRESENT);
        }
        return ok(fresh(req.getProposedLeaseId(), req.getDurationSeconds(), now));
      }
      case LEASE_RENEW -> {
        if (phase == Phase.AVAILABLE) {
          return Outcome.refuse(CommandStatus.LEASE_NOT_PRESENT_WITH_LEASE_OPERATION);
        }
        if (!sameId) {
          return Outcome.refuse(CommandStatus.LEASE_ID_MISMATCH_WITH_LEASE_OPERATION);
        }
        if (phase == Phase.BREAKING || phase == Phase.BROKEN) {
          return Outcome.refuse(CommandStatus.LEASE_IS_BROKEN_AND_CANNOT_BE_RENEWED);
        }
        return ok(fresh(lease.getLeaseId(), lease.getDurationSeconds(), now));
      }
      case LEASE_CHANGE -> {
        if (phase == Phase.BREAKING) {
          return Outcome.refuse(CommandStatus.LEASE_IS_BREAKING_AND_CANNOT_BE_CHANGED);
        }
        if (phase != Phase.LEASED) {
          return Outcome.refuse(CommandStatus.LEASE_NOT_PRESENT_WITH_LEASE_OPERATION);
        }
        if (req.getProposedLeaseId().equalsIgnoreCase(lease.getLeaseId())) {
          return ok(lease); // changed already (a retried change): Azure answers 200
        }
        if (!sameId) {
          return Outcome.refuse(CommandStatus.LEASE_ID_MISMATCH_WITH_LEASE_OPERATION);
        }
        return ok(lease.toBuilder().setLeaseId(req.getProposedLeaseId()).build());
      }
      case LEASE_RELEASE -> {
        if (phase == Phase.AVAILABLE) {
          return Outcome.refuse(CommandStatus.LEASE_NOT_PRESENT_WITH_LEASE_OPERATION);
        }
        if (!sameId) {
          return Outcome.refuse(CommandStatus.LEASE_ID_MISMATCH_WITH_LEASE_OPERATION);
        }
        return new Outcome(null, null, 0);
      }
      case LEASE_BREAK -> {
        return breakLease(phase, lease, req, now);
      }
      default -> throw new InvalidRequestException("lease action is required");
    }
  }

  private static Outcome breakLease(Phase phase, LeaseState lease, LeaseRequest req, long now) {
    switch (phase) {
      case AVAILABLE -> {
        return Outcome.refuse(CommandStatus.LEASE_NOT_PRESENT_WITH_LEASE_OPERATION);
      }
      case BROKEN -> {
        return new Outcome(null, lease, 0);
      }
      case EXPIRED -> {
        return new Outcome(null, lease.toBuilder().setBreakAtEpochMillis(now).build(), 0);
      }
      case LEASED -> {
        long breakAt;
        if (lease.getDurationSeconds() == INFINITE) {
          // An infinite lease breaks at once unless a period is given.
          breakAt = now + (req.getHasBreakPeriod() ? req.getBreakPeriodSeconds() * 1000 : 0);
        } else {
          // A fixed lease breaks when it would expire, or after the period if that is sooner.
          breakAt = lease.getExpiresEpochMillis();
          if (req.getHasBreakPeriod()) {
            breakAt = Math.min(breakAt, now + req.getBreakPeriodSeconds() * 1000);
          }
        }
        return broken(lease, Math.max(breakAt, now), now);
      }
      case BREAKING -> {
        long breakAt = lease.getBreakAtEpochMillis();
        if (req.getHasBreakPeriod()) {
          breakAt = Math.min(breakAt, now + req.getBreakPeriodSeconds() * 1000);
        }
        return broken(lease, breakAt, now);
      }
      default -> throw new IllegalStateException("lease phase " + phase);
    }
  }

  private static Outcome broken(LeaseState lease, long breakAt, long now) {
    // break_at_epoch_millis 0 means "not broken": a break at time 0 is stored as 1 ms.
    long at = Math.max(breakAt, 1);
    return new Outcome(null, lease.toBuilder().setBreakAtEpochMillis(at).build(), Math.max(0, (at - now + 999) / 1000));
  }

  private static LeaseState fresh(String id, long durationSeconds, long now) {
    LeaseState.Builder b = LeaseState.newBuilder().setLeaseId(id).setDurationSeconds(durationSeconds);
    if (durationSeconds != INFINITE) {
      b.setExpiresEpochMillis(now + durationSeconds * 1000);
    }
    return b.build();
  }

  private static Outcome ok(LeaseState lease) {
    return new Outcome(null, lease, 0);
  }

  /** Checks a lease request's shape (before it enters the log). */
  static void validate(LeaseRequest req) {
    switch (req.getAction()) {
      case LEASE_ACQUIRE -> {
        checkId("proposed_lease_id", req.getProposedLeaseId());
        long d = req.getDurationSeconds();
        if (d != INFINITE && (d < MIN_DURATION_SECONDS || d > MAX_DURATION_SECONDS)) {
          throw new InvalidRequestException("lease duration must be -1 or 15..60 seconds");
        }
      }
      case LEASE_RENEW, LEASE_RELEASE -> checkId("lease_id", req.getLeaseId());
      case LEASE_CHANGE -> {
        checkId("lease_id", req.getLeaseId());
        checkId("proposed_lease_id", req.getProposedLeaseId());
      }
      case LEASE_BREAK -> {
        if (req.getHasBreakPeriod()
            && (req.getBreakPeriodSeconds() < 0 || req.getBreakPeriodSeconds() > MAX_BREAK_PERIOD_SECONDS)) {
          throw new InvalidRequestException("break period must be 0..60 seconds");
        }
      }
      default -> throw new InvalidRequestException("lease action is required");
    }
    if (req.getNowEpochMillis() <= 0) {
      throw new InvalidRequestException("lease request without a time");
    }
  }

  private static void checkId(String what, String id) {
    if (id.isEmpty() || id.length() > MAX_LEASE_ID_CHARS) {
      throw new InvalidRequestException(what + " must be 1.." + MAX_LEASE_ID_CHARS + " characters");
    }
  }
}
