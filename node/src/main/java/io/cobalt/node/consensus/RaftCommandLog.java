package io.cobalt.node.consensus;

import com.google.protobuf.InvalidProtocolBufferException;
import io.cobalt.node.partition.CommandLog;
import io.cobalt.node.partition.CommandUnavailableException;
import io.cobalt.node.partition.InvalidRequestException;
import io.cobalt.node.partition.PartitionStateMachine;
import io.cobalt.proto.node.v1.CommandResult;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.QueryResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.IntFunction;
import java.util.function.IntToLongFunction;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.exceptions.AlreadyClosedException;
import org.apache.ratis.protocol.exceptions.RaftRetryFailureException;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link CommandLog} over the partitions' Raft groups. A command is validated, then sent through
 * the partition's Raft client (to the group's leader, wherever it is) and completes once a
 * majority has it on disk and the leader has applied it. A query is a linearizable read
 * (ReadIndex: the leader confirms its leadership with a majority, waits until its state machine
 * has applied the commit index, then answers). Every call has a total deadline and a bounded retry
 * policy; NotLeader, no leader yet, peer down, closed server and timeouts come back as
 * {@link CommandUnavailableException}, which the gRPC layer maps to UNAVAILABLE.
 *
 * <p>Nothing here blocks: the futures complete on Ratis client threads.
 *
 * <p>Ratis's async client orders requests in a sliding window that is closed for good once a
 * request exhausts its retries (every later request then fails with AlreadyClosedException). Such
 * a client is replaced by a fresh one for the same group, and closed.
 *
 * <p>Queries stay in that ordered window: sending them unordered ({@code sendReadOnlyUnordered})
 * was tried and measured worse under a network partition (ADR 0038).
 */
public final class RaftCommandLog implements CommandLog, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RaftCommandLog.class);

  private final PartitionStateMachine state;
  private final AtomicReferenceArray<RaftClient> clients;
  private final IntFunction<RaftClient> newClient;
  private final long timeoutMillis;
  private final long retrySleepMillis;
  private final IntToLongFunction leaderlessMillis;
  private final long failFastAfterLeaderlessMillis;
  private volatile boolean closed;

  RaftCommandLog(PartitionStateMachine state, int partitions, IntFunction<RaftClient> newClient, long timeoutMillis,
      long retrySleepMillis, IntToLongFunction leaderlessMillis, long failFastAfterLeaderlessMillis) {
    this.leaderlessMillis = leaderlessMillis;
    this.failFastAfterLeaderlessMillis = failFastAfterLeaderlessMillis;
    this.state = state;
    this.newClient = newClient;
    this.clients = new AtomicReferenceArray<>(partitions);
    for (int p = 0; p < partitions; p++) {
      clients.set(p, newClient.apply(p));
    }
    this.timeoutMillis = timeoutMillis;
    this.retrySleepMillis = retrySleepMillis;
  }

  @Override
  public CompletableFuture<CommandResult> submit(MetadataCommand command) {
    try {
      state.validate(command); // an invalid command never takes a log index
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    int size = command.getSerializedSize();
    if (size > RaftSettings.MAX_ENTRY_BYTES) {
      // It could never commit: refuse it now rather than let Ratis retry it until the deadline.
      return CompletableFuture.failedFuture(new InvalidRequestException("the command is " + size
          + " bytes, more than a log entry holds (" + RaftSettings.MAX_ENTRY_BYTES + ")"));
    }
    int partition = command.getPartition();
    CommandUnavailableException noLeader = leaderlessTooLong(partition);
    if (noLeader != null) {
      return CompletableFuture.failedFuture(noLeader);
    }
    RaftClient client = clients.get(partition);
    CompletableFuture<RaftClientReply> sent;
    try {
      sent = client.async().send(message(command.toByteArray()));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(unavailable(partition, e));
    }
    return complete(partition, client, "command", sent, CommandResult::parseFrom, timeoutMillis);
  }

  @Override
  public CompletableFuture<QueryResult> query(MetadataQuery query) {
    int partition = query.getPartition();
    if (Integer.compareUnsigned(partition, clients.length()) >= 0) {
      return CompletableFuture.failedFuture(new InvalidRequestException("partition "
          + Integer.toUnsignedString(partition) + " is out of range [0, " + clients.length() + ")"));
    }
    CommandUnavailableException noLeader = leaderlessTooLong(partition);
    if (noLeader != null) {
      return CompletableFuture.failedFuture(noLeader);
    }
    CompletableFuture<QueryResult> out = new CompletableFuture<>();
    queryUntil(partition, message(query.toByteArray()), System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis),
        out);
    return out;
  }

  /**
   * A read is idempotent, so it is tried again (after {@code retrySleepMillis}) until the deadline
   * when the group has no leader yet: Ratis's client does not retry a ReadIndexException itself.
   */
  private void queryUntil(int partition, Message query, long deadlineNanos, CompletableFuture<QueryResult> out) {
    RaftClient client = clients.get(partition);
    CompletableFuture<RaftClientReply> sent;
    try {
      sent = client.async().sendReadOnly(query);
    } catch (RuntimeException e) {
      out.completeExceptionally(unavailable(partition, e));
      return;
    }
    long left = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
    complete(partition, client, "query", sent, QueryResult::parseFrom, Math.max(1, left)).whenComplete((r, e) -> {
      if (e == null) {
        out.complete(r);
      } else if (e instanceof CommandUnavailableException && !closed
          && System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(retrySleepMillis) < deadlineNanos) {
        CompletableFuture.delayedExecutor(retrySleepMillis, TimeUnit.MILLISECONDS)
            .execute(() -> queryUntil(partition, query, deadlineNanos, out));
      } else {
        out.completeExceptionally(e);
      }
    });
  }

  /**
   * Fail fast on the minority side: when this node's replica has been a candidate without a leader
   * for longer than an election should take, the call could only time out.
   */
  private CommandUnavailableException leaderlessTooLong(int partition) {
    if (Integer.compareUnsigned(partition, clients.length()) >= 0) {
      return null; // validation reports it
    }
    long leaderless = leaderlessMillis.applyAsLong(partition);
    if (leaderless < failFastAfterLeaderlessMillis) {
      return null;
    }
    return new CommandUnavailableException("partition " + partition + ": no leader for " + leaderless
        + " ms (this node cannot reach a majority of the partition's voters)");
  }

  @FunctionalInterface
  private interface Parser<T> {
    T parse(byte[] bytes) throws InvalidProtocolBufferException;
  }

  private <T> CompletableFuture<T> complete(int partition, RaftClient client, String what,
      CompletableFuture<RaftClientReply> sent, Parser<T> parser, long waitMillis) {
    // The client's own future keeps running past our deadline; when it ends in a closed window,
    // the client is replaced.
    sent.whenComplete((reply, failure) -> {
      if (failure != null && closesTheWindow(failure)) {
        replace(partition, client);
      }
    });
    CompletableFuture<T> out = new CompletableFuture<>();
    sent.copy().orTimeout(waitMillis, TimeUnit.MILLISECONDS).whenComplete((reply, failure) -> {
      try {
        if (failure != null) {
          out.completeExceptionally(unavailable(partition, failure));
        } else if (!reply.isSuccess()) {
          out.completeExceptionally(unavailable(partition, reply.getException()));
        } else {
          byte[] r = reply.getMessage().getContent().toByteArray();
          switch (Reply.tag(r)) {
            case Reply.OK -> out.complete(parser.parse(Reply.payload(r)));
            case Reply.INVALID ->
                out.completeExceptionally(new InvalidRequestException(new String(Reply.payload(r), StandardCharsets.UTF_8)));
            default -> out.completeExceptionally(
                new IllegalStateException("partition " + partition + ": unexpected " + what + " reply tag " + r[0]));
          }
        }
      } catch (InvalidProtocolBufferException | RuntimeException e) {
        out.completeExceptionally(new IllegalStateException("partition " + partition + ": bad " + what + " reply", e));
      }
    });
    return out;
  }

  /**
   * Ratis failures (NotLeader, LeaderNotReady, retries exhausted, closed client/server, state
   * machine failure on the leader) and our own deadline are retriable. Anything else is a bug.
   */
  private RuntimeException unavailable(int partition, Throwable failure) {
    Throwable e = failure;
    while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
      e = e.getCause();
    }
    if (e instanceof TimeoutException) {
      return new CommandUnavailableException(
          "partition " + partition + ": no answer from its Raft group within " + timeoutMillis + " ms");
    }
    if (e instanceof IOException) { // RaftException and its subclasses are IOExceptions
      log.debug("partition {}: Raft call failed: {}", partition, e.toString());
      return new CommandUnavailableException("partition " + partition + ": " + e.getClass().getSimpleName()
          + ": " + e.getMessage());
    }
    if (e instanceof RuntimeException r) {
      return r;
    }
    return new IllegalStateException("partition " + partition + ": Raft call failed", e);
  }

  private static boolean closesTheWindow(Throwable failure) {
    Throwable e = failure;
    while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
      e = e.getCause();
    }
    return e instanceof RaftRetryFailureException || e instanceof AlreadyClosedException
        || !(e instanceof IOException);
  }

  private void replace(int partition, RaftClient failed) {
    if (closed) {
      return;
    }
    RaftClient fresh = newClient.apply(partition);
    RaftClient dropped = fresh;
    if (clients.compareAndSet(partition, failed, fresh)) {
      log.info("partition {}: replaced its Raft client", partition);
      dropped = failed;
    }
    try {
      dropped.close();
    } catch (IOException | RuntimeException e) {
      log.debug("closing a replaced Raft client: {}", e.toString());
    }
  }

  /** Replaces the partition's client by one for its group as it is now (its voters changed). */
  void renew(int partition) {
    replace(partition, clients.get(partition));
  }

  private static Message message(byte[] bytes) {
    return Message.valueOf(ByteString.copyFrom(bytes));
  }

  @Override
  public void close() {
    closed = true;
    for (int p = 0; p < clients.length(); p++) {
      try {
        clients.get(p).close();
      } catch (IOException | RuntimeException e) {
        log.debug("closing a Raft client: {}", e.toString());
      }
    }
  }
}
