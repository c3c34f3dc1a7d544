package io.cobalt.gateway.blob;

import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureException;
import io.cobalt.gateway.http.AzureRequest;
import io.cobalt.gateway.http.HttpDates;
import io.cobalt.proto.node.v1.CommandResult;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.Condition;
import io.cobalt.proto.node.v1.LeaseAction;
import io.cobalt.proto.node.v1.LeaseBlob;
import io.cobalt.proto.node.v1.LeaseContainer;
import io.cobalt.proto.node.v1.LeaseRequest;
import io.cobalt.proto.node.v1.LeaseState;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerResponse;
import java.util.Locale;
import java.util.UUID;

/**
 * Lease Blob ({@code comp=lease}) and Lease Container ({@code restype=container&comp=lease}):
 * acquire, renew, change, release, break. The headers are checked here (400 for a bad action,
 * duration, break period or lease id); the decision is taken at the partition's apply step at the
 * request's time (ADR 0015), so replicas agree and concurrent lease operations are ordered.
 */
final class LeaseHandler {
  private final BlobServices services;

  LeaseHandler(BlobServices services) {
    this.services = services;
  }

  Future<Void> leaseBlob(AzureRequest r) {
    ResourceNames.requireBlobName(r.path().blob());
    Condition requested = ConditionalHeaders.of(r).toBuilder().clearLeaseId().build();
    LeaseRequest checked = request(r, requested);
    TagExpression ifTags = IndexTags.ifTags(r);
    IndexTags tags = new IndexTags(services);
    return services.requireContainer(r).compose(container -> tags.forWrite(r, container, ifTags, requested)
        .compose(condition -> {
      LeaseRequest request = checked.toBuilder().setCondition(condition).build();
      MetadataCommand command = MetadataCommand.newBuilder()
          .setPartition(services.blobPartition(container, r.path().blob()))
          .setRequestId(r.requestId())
          .setLeaseBlob(LeaseBlob.newBuilder()
              .setAccount(container.getAccount())
              .setContainerId(container.getContainerId())
              .setName(r.path().blob())
              .setRequest(request))
          .build();
      return services.metadata().submit(r.context(), command);
    })).map(result -> {
      if (result.getStatus() == CommandStatus.NOT_FOUND) {
        throw AzureError.BLOB_NOT_FOUND.exception();
      }
      respond(r, checked, result, result.getBlob().getEtag(), result.getBlob().getLastModifiedEpochMillis(),
          result.getBlob().getLease());
      return null;
    });
  }

  Future<Void> leaseContainer(AzureRequest r) {
    String account = r.path().account();
    String name = r.path().container();
    ResourceNames.requireContainerName(name);
    Condition condition = ConditionalHeaders.ofContainer(r).toBuilder().clearLeaseId().build();
    LeaseRequest request = request(r, condition);
    MetadataCommand command = MetadataCommand.newBuilder()
        .setPartition(services.metadata().placement().containerPartition(account, name))
        .setRequestId(r.requestId())
        .setLeaseContainer(LeaseContainer.newBuilder().setAccount(account).setName(name).setRequest(request))
        .build();
    return services.metadata().submit(r.context(), command).map(result -> {
      if (result.getStatus() == CommandStatus.NOT_FOUND) {
        throw AzureError.CONTAINER_NOT_FOUND.exception();
      }
      respond(r, request, result, result.getContainer().getEtag(),
          result.getContainer().getLastModifiedEpochMillis(), result.getContainer().getLease());
      return null;
    });
  }

  private static void respond(
      AzureRequest r, LeaseRequest request, CommandResult result, String etag, long lastModified, LeaseState lease) {
    CommandStatus status = result.getStatus();
    if (status == CommandStatus.CONDITION_NOT_MET || status == CommandStatus.TAGS_CHANGED) {
      throw AzureError.CONDITION_NOT_MET.exception();
    }
    if (status != CommandStatus.OK) {
      throw forLeaseOperation(status);
    }
    int code = switch (request.getAction()) {
      case LEASE_ACQUIRE -> 201;
      case LEASE_BREAK -> 202;
      default -> 200;
    };
    HttpServerResponse resp = r.response(code)
        .putHeader("ETag", etag)
        .putHeader("Last-Modified", HttpDates.rfc1123(lastModified))
        .putHeader("Content-Length", "0");
    switch (request.getAction()) {
      case LEASE_ACQUIRE, LEASE_RENEW, LEASE_CHANGE -> resp.putHeader("x-ms-lease-id", lease.getLeaseId());
      case LEASE_BREAK -> resp.putHeader("x-ms-lease-time", Long.toString(result.getLeaseTimeSeconds()));
      default -> { }
    }
    resp.end();
  }

  /** The lease request of the headers; 400 MissingRequiredHeader / InvalidHeaderValue for bad ones. */
  static LeaseRequest request(AzureRequest r, Condition condition) {
    String actionHeader = r.header("x-ms-lease-action");
    if (actionHeader == null) {
      throw AzureError.MISSING_REQUIRED_HEADER.exception("HeaderName", "x-ms-lease-action");
    }
    LeaseAction action = switch (actionHeader.trim().toLowerCase(Locale.ROOT)) {
      case "acquire" -> LeaseAction.LEASE_ACQUIRE;
      case "renew" -> LeaseAction.LEASE_RENEW;
      case "change" -> LeaseAction.LEASE_CHANGE;
      case "release" -> LeaseAction.LEASE_RELEASE;
      case "break" -> LeaseAction.LEASE_BREAK;
      default -> throw AzureError.INVALID_HEADER_VALUE.exception("HeaderName", "x-ms-lease-action");
    };
    LeaseRequest.Builder b = LeaseRequest.newBuilder()
        .setAction(action)
        .setNowEpochMillis(r.received().toEpochMilli())
        .setCondition(condition);
    String leaseId = r.header("x-ms-lease-id");
    String proposed = r.header("x-ms-proposed-lease-id");
    switch (action) {
      case LEASE_ACQUIRE -> {
        b.setDurationSeconds(duration(r));
        b.setProposedLeaseId(proposed == null
            ? UUID.randomUUID().toString()
            : ConditionalHeaders.leaseId(proposed, "x-ms-proposed-lease-id"));
      }
      case LEASE_RENEW, LEASE_RELEASE -> b.setLeaseId(required(leaseId, "x-ms-lease-id"));
      case LEASE_CHANGE -> {
        b.setLeaseId(required(leaseId, "x-ms-lease-id"));
        b.setProposedLeaseId(required(proposed, "x-ms-proposed-lease-id"));
      }
      case LEASE_BREAK -> {
        String period = r.header("x-ms-lease-break-period");
        if (period != null) {
          b.setHasBreakPeriod(true).setBreakPeriodSeconds(seconds(period, "x-ms-lease-break-period", 0, 60));
        }
      }
      default -> throw new IllegalStateException();
    }
    return b.build();
  }

  private static String required(String value, String header) {
    if (value == null) {
      throw AzureError.MISSING_REQUIRED_HEADER.exception("HeaderName", header);
    }
    return ConditionalHeaders.leaseId(value, header);
  }

  private static long duration(AzureRequest r) {
    String v = r.header("x-ms-lease-duration");
    if (v == null) {
      throw AzureError.MISSING_REQUIRED_HEADER.exception("HeaderName", "x-ms-lease-duration");
    }
    if (v.trim().equals("-1")) {
      return -1;
    }
    return seconds(v, "x-ms-lease-duration", 15, 60);
  }

  private static long seconds(String v, String header, int min, int max) {
    try {
      long s = Long.parseLong(v.trim());
      if (s >= min && s <= max) {
        return s;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw AzureError.INVALID_HEADER_VALUE.exception("HeaderName", header);
  }

  /** Azure's 409 for a refused lease operation. */
  static AzureException forLeaseOperation(CommandStatus s) {
    return switch (s) {
      case LEASE_ALREADY_PRESENT -> AzureError.LEASE_ALREADY_PRESENT.exception();
      case LEASE_NOT_PRESENT_WITH_LEASE_OPERATION -> AzureError.LEASE_NOT_PRESENT_WITH_LEASE_OPERATION.exception();
      case LEASE_ID_MISMATCH_WITH_LEASE_OPERATION -> AzureError.LEASE_ID_MISMATCH_WITH_LEASE_OPERATION.exception();
      case LEASE_IS_BROKEN_AND_CANNOT_BE_RENEWED -> AzureError.LEASE_IS_BROKEN_AND_CANNOT_BE_RENEWED.exception();
      case LEASE_IS_BREAKING_AND_CANNOT_BE_ACQUIRED -> AzureError.LEASE_IS_BREAKING_AND_CANNOT_BE_ACQUIRED.exception();
      case LEASE_IS_BREAKING_AND_CANNOT_BE_CHANGED -> AzureError.LEASE_IS_BREAKING_AND_CANNOT_BE_CHANGED.exception();
      default -> throw new IllegalStateException("lease command answered " + s);
    };
  }

  /** Azure's 412 for a write refused by a lease, or null if {@code s} is not a lease status. */
  static AzureException forWrite(CommandStatus s, boolean container) {
    return switch (s) {
      case LEASE_ID_MISSING -> AzureError.LEASE_ID_MISSING.exception();
      case LEASE_ID_MISMATCH -> container
          ? AzureError.LEASE_ID_MISMATCH_WITH_CONTAINER_OPERATION.exception()
          : AzureError.LEASE_ID_MISMATCH_WITH_BLOB_OPERATION.exception();
      case LEASE_NOT_PRESENT -> container
          ? AzureError.LEASE_NOT_PRESENT_WITH_CONTAINER_OPERATION.exception()
          : AzureError.LEASE_NOT_PRESENT_WITH_BLOB_OPERATION.exception();
      case LEASE_LOST -> AzureError.LEASE_LOST.exception();
      default -> null;
    };
  }

  /**
   * A read that names a lease ({@code x-ms-lease-id}) goes ahead only while that lease is active
   * (leased or breaking), else Azure's 412; reads without one are never refused by a lease.
   */
  static void requireReadLease(Condition c, boolean present, LeaseState lease, boolean container) {
    if (!c.hasLeaseId()) {
      return;
    }
    View v = view(present, lease, c.getNowEpochMillis());
    CommandStatus s;
    if (v.status().equals("locked")) {
      s = c.getLeaseId().equalsIgnoreCase(lease.getLeaseId()) ? null : CommandStatus.LEASE_ID_MISMATCH;
    } else {
      s = present ? CommandStatus.LEASE_LOST : CommandStatus.LEASE_NOT_PRESENT;
    }
    if (s != null) {
      throw forWrite(s, container);
    }
  }

  /**
   * Put Block's lease check, made here against the record read (Put Block's command carries no
   * condition, so it is not linearizable with lease changes; the Put Block List that commits the
   * blocks is checked at the apply step): the rules of the node's {@code Leases.checkWrite}.
   */
  static void requireWriteLease(String leaseId, io.cobalt.proto.node.v1.BlobRecord blob, long now) {
    boolean present = blob != null && blob.hasLease();
    LeaseState lease = present ? blob.getLease() : LeaseState.getDefaultInstance();
    View v = view(present, lease, now);
    CommandStatus s = null;
    if (v.status().equals("locked")) {
      if (leaseId == null) {
        s = CommandStatus.LEASE_ID_MISSING;
      } else if (!leaseId.equalsIgnoreCase(lease.getLeaseId())) {
        s = CommandStatus.LEASE_ID_MISMATCH;
      }
    } else if (leaseId != null) {
      s = present ? CommandStatus.LEASE_LOST : CommandStatus.LEASE_NOT_PRESENT;
    }
    if (s != null) {
      throw forWrite(s, false);
    }
  }

  /** x-ms-lease-state, -status and (when leased) -duration of a blob or container at {@code now}. */
  static void putHeaders(MultiMap h, boolean present, LeaseState lease, long now) {
    View v = view(present, lease, now);
    h.set("x-ms-lease-state", v.state());
    h.set("x-ms-lease-status", v.status());
    if (v.duration() != null) {
      h.set("x-ms-lease-duration", v.duration());
    }
  }

  /** The same as listing XML elements (LeaseStatus, LeaseState, LeaseDuration). */
  static void appendXml(StringBuilder xml, boolean present, LeaseState lease, long now) {
    View v = view(present, lease, now);
    io.cobalt.gateway.http.Xml.element(xml, "LeaseStatus", v.status());
    io.cobalt.gateway.http.Xml.element(xml, "LeaseState", v.state());
    if (v.duration() != null) {
      io.cobalt.gateway.http.Xml.element(xml, "LeaseDuration", v.duration());
    }
  }

  private record View(String state, String status, String duration) {}

  /** The node's lease phases (node.partition.Leases, same rule) as Azure shows them. */
  private static View view(boolean present, LeaseState lease, long now) {
    if (!present) {
      return new View("available", "unlocked", null);
    }
    if (lease.getBreakAtEpochMillis() != 0) {
      return now < lease.getBreakAtEpochMillis()
          ? new View("breaking", "locked", null)
          : new View("broken", "unlocked", null);
    }
    if (lease.getDurationSeconds() == -1) {
      return new View("leased", "locked", "infinite");
    }
    return now < lease.getExpiresEpochMillis()
        ? new View("leased", "locked", "fixed")
        : new View("expired", "unlocked", null);
  }
}
