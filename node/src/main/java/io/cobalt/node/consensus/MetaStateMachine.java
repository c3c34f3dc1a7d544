package io.cobalt.node.consensus;

import com.google.protobuf.InvalidProtocolBufferException;
import io.cobalt.proto.node.v1.PlacementMap;
import io.cobalt.proto.node.v1.PlacementUpdate;
import io.cobalt.proto.node.v1.PlacementUpdateResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.util.LifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state machine of the meta group (ADR 0021): the placement map, in memory. It starts from the
 * initial map (rendezvous, version 1, the same on every node because every node has the same peer
 * list) and changes only by {@link PlacementUpdate} entries, each a compare-and-set on the version.
 * Persisted by the Raft log and by snapshots (the serialized map in one file in the group's
 * {@code sm/} directory, written atomically with an MD5 beside it): a restart loads the latest
 * snapshot, then Ratis replays the log after it.
 *
 * <p>Queries: any message returns the current map (Ratis calls {@link #query} after the
 * linearizable read barrier).
 */
final class MetaStateMachine extends BaseStateMachine {
  private static final Logger log = LoggerFactory.getLogger(MetaStateMachine.class);
  private static final String TMP_PREFIX = "map-being-written-";

  private final PlacementMap initial;
  private final Consumer<PlacementMap> onChange;
  private final SimpleStateMachineStorage snapshots = new SimpleStateMachineStorage();
  private volatile PlacementMap map;

  MetaStateMachine(PlacementMap initial, Consumer<PlacementMap> onChange) {
    this.initial = initial;
    this.map = initial;
    this.onChange = onChange;
  }

  PlacementMap map() {
    return map;
  }

  @Override
  public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage storage) throws IOException {
    getLifeCycle().startAndTransition(() -> {
      super.initialize(server, groupId, storage);
      snapshots.init(storage);
      SnapshotFiles.removeStale(snapshots, TMP_PREFIX);
      loadLatest();
    });
  }

  private void loadLatest() throws IOException {
    SingleFileSnapshotInfo latest = snapshots.loadLatestSnapshot();
    if (latest == null) {
      return;
    }
    Path file = latest.getFile().getPath();
    SnapshotFiles.verify(latest);
    PlacementMap loaded = PlacementMap.parseFrom(Files.readAllBytes(file));
    if (loaded.getPartitionsCount() != initial.getPartitionsCount()) {
      throw new IOException("meta snapshot " + file.getFileName() + " has " + loaded.getPartitionsCount()
          + " partitions, the cluster " + initial.getPartitionsCount());
    }
    map = loaded;
    updateLastAppliedTermIndex(latest.getTerm(), latest.getIndex());
    onChange.accept(loaded);
    log.info("meta group: loaded the placement map version {} from the snapshot at index {}", loaded.getVersion(),
        latest.getIndex());
  }

  @Override
  public StateMachineStorage getStateMachineStorage() {
    return snapshots;
  }

  @Override
  public SnapshotInfo getLatestSnapshot() {
    return snapshots.getLatestSnapshot();
  }

  @Override
  public long takeSnapshot() throws IOException {
    TermIndex last = getLastAppliedTermIndex();
    byte[] bytes = map.toByteArray();
    return SnapshotFiles.write(snapshots, last, TMP_PREFIX, out -> out.write(bytes)) == null
        ? RaftLog.INVALID_LOG_INDEX : last.getIndex();
  }

  @Override
  public void pause() {
    SnapshotFiles.pause(getLifeCycle());
  }

  /** After installing the leader's snapshot: the map is the snapshot's. */
  @Override
  public void reinitialize() throws IOException {
    LifeCycle lc = getLifeCycle();
    if (lc.getCurrentState() == LifeCycle.State.PAUSED) {
      lc.transition(LifeCycle.State.STARTING);
      loadLatest();
      lc.transition(LifeCycle.State.RUNNING);
    }
  }

  @Override
  public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
    LogEntryProto entry = trx.getLogEntry();
    Message reply;
    try {
      PlacementUpdate update = PlacementUpdate.parseFrom(entry.getStateMachineLogEntry().getLogData().toByteArray());
      reply = Reply.ok(apply(update).toByteArray());
    } catch (InvalidProtocolBufferException e) {
      reply = Reply.invalid("meta log entry " + entry.getIndex() + " is not a PlacementUpdate");
    }
    updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
    return CompletableFuture.completedFuture(reply);
  }

  /** Compare-and-set on the version; deterministic on every replica. */
  PlacementUpdateResult apply(PlacementUpdate update) {
    PlacementMap current = map;
    PlacementMap next = update.getMap();
    boolean ok = update.getExpectedVersion() == current.getVersion()
        && next.getVersion() == current.getVersion() + 1
        && next.getPartitionsCount() == current.getPartitionsCount()
        && next.getPartitionsList().stream().allMatch(v -> v.getNodeIdsCount() > 0);
    if (ok) {
      map = next;
      log.info("meta group: placement map version {} committed", next.getVersion());
      onChange.accept(next);
    }
    return PlacementUpdateResult.newBuilder().setApplied(ok).setCurrent(map).build();
  }

  @Override
  public CompletableFuture<Message> query(Message request) {
    return CompletableFuture.completedFuture(Reply.ok(map.toByteArray()));
  }

  @Override
  public String toString() {
    return "meta";
  }
}
