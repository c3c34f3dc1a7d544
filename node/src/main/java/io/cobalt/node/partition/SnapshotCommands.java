package io.cobalt.node.partition;

import io.cobalt.node.storage.MetadataStore;
import io.cobalt.node.storage.Page;
import io.cobalt.node.storage.StateChange;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.CommandResult;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.DeleteBlob;
import io.cobalt.proto.node.v1.DeleteSnapshots;
import io.cobalt.proto.node.v1.ListBlobs;
import io.cobalt.proto.node.v1.QueryResult;
import io.cobalt.proto.node.v1.SnapshotBlob;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Blob snapshots at the apply step (ADR 0022): Snapshot Blob copies the blob's current record
 * (manifest, object id, wrapped DEKs: no data is copied) under the snapshot time the gateway chose;
 * Delete Blob removes one snapshot, all of them, or refuses a blob that has some; List Blobs can
 * show them. Deterministic like the rest of the state machine: the time comes in the command.
 */
final class SnapshotCommands {
  /**
   * Snapshots one blob may have. Azure documents no limit but answers 409 SnapshotCountExceeded
   * past an internal one; a bound keeps listing pages and apply steps bounded here.
   */
  static final int MAX_SNAPSHOTS_PER_BLOB = 1000;
  /** Taken snapshot times skipped (one 100 ns tick each) before a snapshot is refused. */
  static final int MAX_TIME_BUMPS = 1000;

  /** Azure's snapshot time: ISO-8601 UTC with exactly 7 fractional digits. */
  private static final Pattern FORMAT = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{7}Z");
  private static final DateTimeFormatter PRINTER =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSSS'Z'").withZone(ZoneOffset.UTC);

  private final MetadataStore store;

  SnapshotCommands(MetadataStore store) {
    this.store = store;
  }

  /** Whether {@code s} is a snapshot time as Azure writes it (and as this store keys it). */
  static boolean isSnapshotTime(String s) {
    if (s.length() != 28 || !FORMAT.matcher(s).matches()) {
      return false;
    }
    try {
      return PRINTER.format(Instant.parse(s)).equals(s);
    } catch (DateTimeParseException e) {
      return false;
    }
  }

  static void checkSnapshotTime(String s) {
    if (!isSnapshotTime(s)) {
      throw new InvalidRequestException("snapshot must be a UTC time with 7 fractional digits");
    }
  }

  static void validate(SnapshotBlob cmd) {
    checkSnapshotTime(cmd.getSnapshot());
    if (!cmd.getSetMetadata() && cmd.getMetadataCount() > 0) {
      throw new InvalidRequestException("snapshot metadata given without set_metadata");
    }
  }

  static void validate(DeleteBlob cmd) {
    if (cmd.getDeleteSnapshots() == DeleteSnapshots.UNRECOGNIZED) {
      throw new InvalidRequestException("unknown delete_snapshots");
    }
    if (!cmd.getSnapshot().isEmpty()) {
      checkSnapshotTime(cmd.getSnapshot());
      if (cmd.getDeleteSnapshots() != DeleteSnapshots.DELETE_SNAPSHOTS_UNSPECIFIED) {
        throw new InvalidRequestException("delete_snapshots applies to the base blob, not to one snapshot");
      }
    }
  }

  /**
   * Snapshot Blob: the blob must exist and meet the conditions (a lease id, if given, must be the
   * active lease's; none is needed). The copy has no lease (a snapshot cannot be leased).
   */
  Outcome snapshot(int partition, SnapshotBlob cmd) {
    Optional<BlobRecord> blob = store.blob(partition, cmd.getAccount(), cmd.getContainerId(), cmd.getName());
    if (blob.isEmpty()) {
      return new Outcome(StateChange.NONE, status(CommandStatus.NOT_FOUND));
    }
    CommandStatus refused = Conditions.check(cmd.getCondition(), blob);
    if (refused == null) {
      refused = Leases.checkWrite(cmd.getCondition(), blob.get().hasLease(), blob.get().getLease(), false);
    }
    if (refused != null) {
      return new Outcome(StateChange.NONE, status(refused));
    }
    List<BlobRecord> existing = store.snapshots(
        partition, cmd.getAccount(), cmd.getContainerId(), cmd.getName(), MAX_SNAPSHOTS_PER_BLOB);
    if (existing.size() >= MAX_SNAPSHOTS_PER_BLOB) {
      return new Outcome(StateChange.NONE, status(CommandStatus.SNAPSHOT_COUNT_EXCEEDED));
    }
    String time = freeTime(partition, cmd);
    if (time == null) {
      return new Outcome(StateChange.NONE, status(CommandStatus.SNAPSHOT_COUNT_EXCEEDED));
    }
    BlobRecord.Builder copy = blob.get().toBuilder().clearLease().setSnapshot(time);
    if (cmd.getSetMetadata()) {
      copy.clearMetadata().putAllMetadata(cmd.getMetadataMap());
    }
    BlobRecord snapshot = copy.build();
    return new Outcome(new StateChange.PutSnapshot(snapshot), status(CommandStatus.OK).setBlob(snapshot));
  }

  /** The command's time, or the first later 100 ns tick that no snapshot of the blob has. */
  private String freeTime(int partition, SnapshotBlob cmd) {
    Instant t = Instant.parse(cmd.getSnapshot());
    for (int i = 0; i <= MAX_TIME_BUMPS; i++) {
      String s = PRINTER.format(t);
      if (store.snapshot(partition, cmd.getAccount(), cmd.getContainerId(), cmd.getName(), s).isEmpty()) {
        return s;
      }
      t = t.plus(100, ChronoUnit.NANOS);
    }
    return null;
  }

  /**
   * Delete Blob's snapshot rules: with {@code snapshot}, that snapshot only (NOT_FOUND if it is not
   * there); else, once the base blob met its conditions ({@code previous}), INCLUDE removes it and
   * every snapshot, ONLY the snapshots, and no option refuses a blob that has snapshots.
   */
  Outcome deleteSnapshot(int partition, DeleteBlob cmd) {
    Optional<BlobRecord> snapshot =
        store.snapshot(partition, cmd.getAccount(), cmd.getContainerId(), cmd.getName(), cmd.getSnapshot());
    if (snapshot.isEmpty()) {
      return new Outcome(StateChange.NONE, status(CommandStatus.NOT_FOUND));
    }
    return new Outcome(
        new StateChange.RemoveSnapshot(cmd.getAccount(), cmd.getContainerId(), cmd.getName(), cmd.getSnapshot()),
        status(CommandStatus.OK).setBlob(snapshot.get()));
  }

  /** The change deleting the base blob {@code previous} makes, or null with SNAPSHOTS_PRESENT. */
  StateChange deleteBase(int partition, DeleteBlob cmd) {
    boolean any = !store.snapshots(partition, cmd.getAccount(), cmd.getContainerId(), cmd.getName(), 1).isEmpty();
    StateChange removeBlob = new StateChange.RemoveBlob(cmd.getAccount(), cmd.getContainerId(), cmd.getName());
    StateChange removeSnapshots =
        new StateChange.RemoveSnapshots(cmd.getAccount(), cmd.getContainerId(), cmd.getName());
    return switch (cmd.getDeleteSnapshots()) {
      case DELETE_SNAPSHOTS_INCLUDE -> any ? new StateChange.Batch(List.of(removeBlob, removeSnapshots)) : removeBlob;
      case DELETE_SNAPSHOTS_ONLY -> any ? removeSnapshots : StateChange.NONE;
      default -> any ? null : removeBlob;
    };
  }

  /**
   * List Blobs with snapshots: each listed blob preceded by its snapshots, oldest first, without
   * manifests, keys or MACs; every record (snapshot or blob) counts toward {@code limit}, so a page
   * may end between a blob's snapshots. With {@code marker_snapshot}, the marker blob's snapshots
   * up to that time were listed: its later snapshots and the blob itself come first.
   */
  void listWithSnapshots(int partition, ListBlobs q, int limit, QueryResult.Builder result, BlobSource blobs) {
    int listed = 0;
    if (!q.getMarkerSnapshot().isEmpty()) {
      checkSnapshotTime(q.getMarkerSnapshot());
      if (q.getMarker().isEmpty()) {
        throw new InvalidRequestException("marker_snapshot needs a marker");
      }
      if (q.getMarker().startsWith(q.getPrefix())) {
        for (BlobRecord s : store.snapshots(
            partition, q.getAccount(), q.getContainerId(), q.getMarker(), MAX_SNAPSHOTS_PER_BLOB)) {
          if (s.getSnapshot().compareTo(q.getMarkerSnapshot()) <= 0) {
            continue;
          }
          if (listed == limit) {
            result.setTruncated(true);
            return;
          }
          result.addBlobs(forListing(s));
          listed++;
        }
        Optional<BlobRecord> base = store.blob(partition, q.getAccount(), q.getContainerId(), q.getMarker());
        if (base.isPresent()) {
          if (listed == limit) {
            result.setTruncated(true);
            return;
          }
          result.addBlobs(forListing(base.get()));
          listed++;
        }
      }
    }
    if (listed == limit) {
      // Whether anything follows is not known without a read: say so, and the next page may be empty.
      result.setTruncated(true);
      return;
    }
    Page<BlobRecord> page = blobs.list(q.getMarker(), limit - listed);
    for (BlobRecord b : page.items()) {
      for (BlobRecord s : store.snapshots(
          partition, q.getAccount(), q.getContainerId(), b.getName(), MAX_SNAPSHOTS_PER_BLOB)) {
        if (listed == limit) {
          result.setTruncated(true);
          return;
        }
        result.addBlobs(forListing(s));
        listed++;
      }
      if (listed == limit) {
        result.setTruncated(true);
        return;
      }
      result.addBlobs(forListing(b));
      listed++;
    }
    result.setTruncated(page.truncated());
  }

  /**
   * The blobs a listing shows after {@code marker}, at most {@code limit}, in name order: the
   * committed ones, and with include=uncommittedblobs those with only uncommitted blocks (which
   * have no snapshots).
   */
  @FunctionalInterface
  interface BlobSource {
    Page<BlobRecord> list(String marker, int limit);
  }

  /** A listing needs properties only: leave out the manifest (streams), wrapped keys and MAC. */
  static BlobRecord forListing(BlobRecord b) {
    return b.toBuilder().clearStreams().clearDeks().clearManifestMac().build();
  }

  private static CommandResult.Builder status(CommandStatus status) {
    return CommandResult.newBuilder().setStatus(status);
  }

  record Outcome(StateChange change, CommandResult.Builder result) {}
}
