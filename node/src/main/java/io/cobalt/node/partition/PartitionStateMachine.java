package io.cobalt.node.partition;

import com.google.protobuf.ByteString;
import io.cobalt.node.storage.MetadataStore;
import io.cobalt.node.storage.Page;
import io.cobalt.node.storage.StateChange;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.CommandResult;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.ContainerRecord;
import io.cobalt.proto.node.v1.CreateContainer;
import io.cobalt.proto.node.v1.DeleteBlob;
import io.cobalt.proto.node.v1.DeleteContainer;
import io.cobalt.proto.node.v1.GetBlob;
import io.cobalt.proto.node.v1.GetContainer;
import io.cobalt.proto.node.v1.ListBlobs;
import io.cobalt.proto.node.v1.ListContainers;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.PutBlob;
import io.cobalt.proto.node.v1.QueryResult;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The metadata state of this node's partitions: applies {@link MetadataCommand}s and answers
 * {@link MetadataQuery}s.
 *
 * <p>{@link #apply} is deterministic: its outcome depends only on the partition's state and the
 * command (timestamps, ids and ETags arrive inside the command; no clock, no randomness here), so
 * replicas applying the same log reach the same state. Commands of one partition must be applied
 * one at a time, with increasing indexes (the {@link CommandLog} guarantees it); partitions are
 * independent.
 */
public final class PartitionStateMachine {
  /** Listings return at most this many names per call; {@code max_results = 0} means this many. */
  public static final int MAX_LIST_RESULTS = 5000;
  static final int MAX_ACCOUNT_BYTES = 256;
  static final int MAX_NAME_BYTES = 4096;
  static final int ID_BYTES = 16;

  private final MetadataStore store;
  private final int partitions;
  private final AtomicLongArray appliedIndexes;

  /** Loads each partition's applied index from {@code store}. */
  public PartitionStateMachine(MetadataStore store, int partitions) {
    if (partitions <= 0) {
      throw new IllegalArgumentException("partitions must be positive");
    }
    this.store = store;
    this.partitions = partitions;
    this.appliedIndexes = new AtomicLongArray(partitions);
    for (int p = 0; p < partitions; p++) {
      appliedIndexes.set(p, store.appliedIndex(p));
    }
  }

  public int partitions() {
    return partitions;
  }

  /** The index of the last command applied to {@code partition} (0 before the first). */
  public long appliedIndex(int partition) {
    checkPartition(partition);
    return appliedIndexes.get(partition);
  }

  /**
   * Checks that {@code command} is well formed (partition in range, one command set, required
   * fields present, ids of the right length). Call before a command enters the log.
   *
   * @throws InvalidRequestException if it is not
   */
  public void validate(MetadataCommand command) {
    checkPartition(command.getPartition());
    switch (command.getCommandCase()) {
      case CREATE_CONTAINER -> {
        if (!command.getCreateContainer().hasContainer()) {
          throw new InvalidRequestException("create_container.container is required");
        }
        ContainerRecord c = command.getCreateContainer().getContainer();
        checkAccount(c.getAccount());
        checkName("container name", c.getName());
        checkId("container_id", c.getContainerId());
      }
      case DELETE_CONTAINER -> {
        checkAccount(command.getDeleteContainer().getAccount());
        checkName("container name", command.getDeleteContainer().getName());
      }
      case PUT_BLOB -> {
        if (!command.getPutBlob().hasBlob()) {
          throw new InvalidRequestException("put_blob.blob is required");
        }
        BlobRecord b = command.getPutBlob().getBlob();
        checkAccount(b.getAccount());
        checkId("container_id", b.getContainerId());
        checkName("blob name", b.getName());
      }
      case DELETE_BLOB -> {
        DeleteBlob d = command.getDeleteBlob();
        checkAccount(d.getAccount());
        checkId("container_id", d.getContainerId());
        checkName("blob name", d.getName());
      }
      case COMMAND_NOT_SET -> throw new InvalidRequestException("the command is empty (no operation set)");
    }
  }

  /**
   * Applies {@code command} as log entry {@code index} of its partition: writes the state change
   * and the new applied index in one atomic write (indexes may skip: a Raft log also holds entries
   * that are not commands). A command that takes no effect (ALREADY_EXISTS,
   * NOT_FOUND) still consumes its index.
   *
   * @throws InvalidRequestException if the command is malformed (nothing is written)
   * @throws IllegalStateException if {@code index} is not after the partition's applied index
   */
  public CommandResult apply(long index, MetadataCommand command) {
    validate(command);
    int partition = command.getPartition();
    long applied = appliedIndexes.get(partition);
    if (index <= applied) {
      throw new IllegalStateException(
          "index " + index + " of partition " + partition + " is not after the applied index " + applied);
    }
    Outcome outcome = switch (command.getCommandCase()) {
      case CREATE_CONTAINER -> createContainer(partition, command.getCreateContainer());
      case DELETE_CONTAINER -> deleteContainer(partition, command.getDeleteContainer());
      case PUT_BLOB -> putBlob(partition, command.getPutBlob());
      case DELETE_BLOB -> deleteBlob(partition, command.getDeleteBlob());
      case COMMAND_NOT_SET -> throw new InvalidRequestException("the command is empty (no operation set)");
    };
    store.commit(partition, index, outcome.change());
    appliedIndexes.set(partition, index);
    return outcome.result().setAppliedIndex(index).build();
  }

  /**
   * Answers {@code query} from the partition's applied state.
   *
   * @throws InvalidRequestException if the query is malformed
   */
  public QueryResult query(MetadataQuery query) {
    int partition = query.getPartition();
    checkPartition(partition);
    QueryResult.Builder result = QueryResult.newBuilder();
    switch (query.getQueryCase()) {
      case GET_CONTAINER -> {
        GetContainer q = query.getGetContainer();
        checkAccount(q.getAccount());
        checkName("container name", q.getName());
        store.container(partition, q.getAccount(), q.getName()).ifPresent(result::addContainers);
      }
      case LIST_CONTAINERS -> {
        ListContainers q = query.getListContainers();
        checkAccount(q.getAccount());
        checkBounded("prefix", q.getPrefix());
        checkBounded("marker", q.getMarker());
        Page<ContainerRecord> page =
            store.containers(partition, q.getAccount(), q.getPrefix(), q.getMarker(), pageSize(q.getMaxResults()));
        result.addAllContainers(page.items()).setTruncated(page.truncated());
      }
      case GET_BLOB -> {
        GetBlob q = query.getGetBlob();
        checkAccount(q.getAccount());
        checkId("container_id", q.getContainerId());
        checkName("blob name", q.getName());
        store.blob(partition, q.getAccount(), q.getContainerId(), q.getName()).ifPresent(result::addBlobs);
      }
      case LIST_BLOBS -> {
        ListBlobs q = query.getListBlobs();
        checkAccount(q.getAccount());
        checkId("container_id", q.getContainerId());
        checkBounded("prefix", q.getPrefix());
        checkBounded("marker", q.getMarker());
        Page<BlobRecord> page = store.blobs(
            partition, q.getAccount(), q.getContainerId(), q.getPrefix(), q.getMarker(), pageSize(q.getMaxResults()));
        // A listing needs properties only: leave out the manifest (streams), wrapped keys and MAC.
        for (BlobRecord b : page.items()) {
          result.addBlobs(b.toBuilder().clearStreams().clearDeks().clearManifestMac().build());
        }
        result.setTruncated(page.truncated());
      }
      case QUERY_NOT_SET -> throw new InvalidRequestException("the query is empty (no operation set)");
    }
    return result.build();
  }

  private record Outcome(StateChange change, CommandResult.Builder result) {}

  private Outcome createContainer(int partition, CreateContainer cmd) {
    ContainerRecord c = cmd.getContainer();
    if (store.container(partition, c.getAccount(), c.getName()).isPresent()) {
      return new Outcome(StateChange.NONE, status(CommandStatus.ALREADY_EXISTS));
    }
    return new Outcome(new StateChange.PutContainer(c), status(CommandStatus.OK).setContainer(c));
  }

  private Outcome deleteContainer(int partition, DeleteContainer cmd) {
    Optional<ContainerRecord> previous = store.container(partition, cmd.getAccount(), cmd.getName());
    if (previous.isEmpty()) {
      return new Outcome(StateChange.NONE, status(CommandStatus.NOT_FOUND));
    }
    // The container's blobs stay where they are (possibly in other partitions) for a later garbage
    // collector. They are unreachable: blobs are keyed by container_id, and a container created
    // again under the same name gets a new random container_id.
    return new Outcome(new StateChange.RemoveContainer(cmd.getAccount(), cmd.getName()),
        status(CommandStatus.OK).setContainer(previous.get()));
  }

  private Outcome putBlob(int partition, PutBlob cmd) {
    BlobRecord b = cmd.getBlob();
    CommandResult.Builder result = status(CommandStatus.OK);
    store.blob(partition, b.getAccount(), b.getContainerId(), b.getName()).ifPresent(result::setBlob);
    return new Outcome(new StateChange.PutBlob(b), result);
  }

  private Outcome deleteBlob(int partition, DeleteBlob cmd) {
    Optional<BlobRecord> previous = store.blob(partition, cmd.getAccount(), cmd.getContainerId(), cmd.getName());
    if (previous.isEmpty()) {
      return new Outcome(StateChange.NONE, status(CommandStatus.NOT_FOUND));
    }
    return new Outcome(new StateChange.RemoveBlob(cmd.getAccount(), cmd.getContainerId(), cmd.getName()),
        status(CommandStatus.OK).setBlob(previous.get()));
  }

  private static CommandResult.Builder status(CommandStatus status) {
    return CommandResult.newBuilder().setStatus(status);
  }

  private static int pageSize(int maxResults) {
    // uint32 on the wire: a value above 2^31 arrives negative and means "as many as allowed".
    return maxResults <= 0 || maxResults > MAX_LIST_RESULTS ? MAX_LIST_RESULTS : maxResults;
  }

  private void checkPartition(int partition) {
    // uint32 on the wire: Integer.compareUnsigned keeps values above 2^31 out of range.
    if (Integer.compareUnsigned(partition, partitions) >= 0) {
      throw new InvalidRequestException(
          "partition " + Integer.toUnsignedString(partition) + " is out of range [0, " + partitions + ")");
    }
  }

  private static void checkAccount(String account) {
    if (account.isEmpty()) {
      throw new InvalidRequestException("account is required");
    }
    if (account.indexOf('\0') >= 0) {
      throw new InvalidRequestException("account must not contain NUL");
    }
    if (utf8Length(account) > MAX_ACCOUNT_BYTES) {
      throw new InvalidRequestException("account is longer than " + MAX_ACCOUNT_BYTES + " bytes");
    }
  }

  private static void checkName(String what, String name) {
    if (name.isEmpty()) {
      throw new InvalidRequestException(what + " is required");
    }
    checkBounded(what, name);
  }

  private static void checkBounded(String what, String value) {
    if (utf8Length(value) > MAX_NAME_BYTES) {
      throw new InvalidRequestException(what + " is longer than " + MAX_NAME_BYTES + " bytes");
    }
  }

  private static void checkId(String what, ByteString id) {
    if (id.size() != ID_BYTES) {
      throw new InvalidRequestException(what + " must be " + ID_BYTES + " bytes, got " + id.size());
    }
  }

  private static int utf8Length(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }
}
