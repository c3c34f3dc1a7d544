package io.cobalt.gateway.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.cobalt.gateway.nodeclient.BackendUnavailableException;
import io.cobalt.gateway.nodeclient.MetadataClient;
import io.cobalt.proto.node.v1.CommandResult;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.QueryResult;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class MetadataRouterTest {
  private static final List<String> NODES = List.of("node-1", "node-2", "node-3");
  private static Vertx vertx;
  private static Context ctx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    ctx = vertx.getOrCreateContext();
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** Answers from every node except the unavailable ones, and records whom it was asked. */
  private static final class ScriptedClient implements MetadataClient {
    final Set<String> unavailable;
    final RuntimeException otherFailure;
    final List<String> asked = new ArrayList<>();

    ScriptedClient(Set<String> unavailable, RuntimeException otherFailure) {
      this.unavailable = unavailable;
      this.otherFailure = otherFailure;
    }

    private <T> CompletableFuture<T> answer(String node, T value) {
      synchronized (asked) {
        asked.add(node);
      }
      if (unavailable.contains(node)) {
        return CompletableFuture.failedFuture(new BackendUnavailableException("Submit@" + node + ": UNAVAILABLE"));
      }
      return otherFailure != null ? CompletableFuture.failedFuture(otherFailure) : CompletableFuture.completedFuture(value);
    }

    CommandStatus status = CommandStatus.OK;
    final List<MetadataCommand> submitted = new ArrayList<>();

    @Override
    public CompletableFuture<CommandResult> submit(String nodeId, MetadataCommand command) {
      synchronized (submitted) {
        submitted.add(command);
      }
      return answer(nodeId, CommandResult.newBuilder().setStatus(status).setAppliedIndex(7).build());
    }

    @Override
    public CompletableFuture<QueryResult> query(String nodeId, MetadataQuery query) {
      return answer(nodeId, QueryResult.newBuilder().setTruncated(true).build());
    }
  }

  private static <T> Throwable failureOf(io.vertx.core.Future<T> f) throws Exception {
    try {
      f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      throw new AssertionError("expected a failure");
    } catch (java.util.concurrent.ExecutionException e) {
      return e.getCause();
    }
  }

  @Test
  void movesToTheNextVoterWhenOneIsUnavailable() throws Exception {
    RendezvousPlacement placement = new RendezvousPlacement(NODES, 16, 3);
    List<String> order = placement.metadataNodesOf(5);
    assertEquals(3, order.size());
    ScriptedClient client = new ScriptedClient(Set.of(order.get(0), order.get(1)), null);
    MetadataRouter router = new MetadataRouter(placement, client);

    CommandResult r = router.submit(ctx, MetadataCommand.newBuilder().setPartition(5).build())
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(7, r.getAppliedIndex());
    assertEquals(order, client.asked);

    // The two voters that failed are asked last for a while (ADR 0039): the next call goes to the
    // one that answered first.
    client.asked.clear();
    QueryResult q = router.query(ctx, 5, MetadataQuery.newBuilder().setPartition(5).build())
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(true, q.getTruncated());
    assertEquals(List.of(order.get(2)), client.asked);
  }

  @Test
  void aVoterThatFailedIsAskedLastUntilItsSuspicionEndsOrItAnswers() throws Exception {
    RendezvousPlacement placement = new RendezvousPlacement(NODES, 16, 3);
    List<String> order = placement.metadataNodesOf(5);
    long[] now = {1_000_000_000L};
    ScriptedClient client = new ScriptedClient(new java.util.HashSet<>(Set.of(order.get(0))), null);
    PlacementView view = new PlacementView(placement, client, NODES, () -> now[0]);
    MetadataRouter router = new MetadataRouter(placement, client, view);
    MetadataQuery q = MetadataQuery.newBuilder().setPartition(5).build();

    router.query(ctx, 5, q).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(List.of(order.get(0), order.get(1)), client.asked, "the first call meets the failing voter");

    client.asked.clear();
    router.query(ctx, 5, q).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(List.of(order.get(1)), client.asked, "later calls do not");
    assertEquals(List.of(order.get(1), order.get(2), order.get(0)), view.votersToTry(5));
    // Other partitions with that voter first skip it too: the node, not the partition, is suspect.
    for (int p = 0; p < 16; p++) {
      List<String> voters = placement.metadataNodesOf(p);
      if (voters.get(0).equals(order.get(0))) {
        assertEquals(order.get(0), view.votersToTry(p).get(2), "partition " + p);
      }
    }

    // Still failing when the suspicion ends: asked first once more, and suspect again.
    now[0] += TimeUnit.MILLISECONDS.toNanos(PlacementView.SUSPECT_MILLIS) + 1;
    assertEquals(order, view.votersToTry(5));
    client.asked.clear();
    router.query(ctx, 5, q).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(List.of(order.get(0), order.get(1)), client.asked);
    assertEquals(order.get(0), view.votersToTry(5).get(2));

    // Back: once it answers a call (here as the last voter left), it is first again at once.
    client.unavailable.clear();
    client.unavailable.add(order.get(1));
    client.unavailable.add(order.get(2));
    client.asked.clear();
    router.query(ctx, 5, q).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(List.of(order.get(1), order.get(2), order.get(0)), client.asked);
    assertEquals(order, view.votersToTry(5), "it answered; the other two are suspect now");
  }

  @Test
  void everyAttemptOfOneSubmitCarriesTheSameSubmitIdAndTheFirstAttemptsTime() throws Exception {
    RendezvousPlacement placement = new RendezvousPlacement(NODES, 16, 3);
    List<String> order = placement.metadataNodesOf(5);
    ScriptedClient client = new ScriptedClient(Set.of(order.get(0), order.get(1)), null);
    Clock clock = Clock.fixed(Instant.ofEpochMilli(1_700_000_000_123L), ZoneOffset.UTC);
    MetadataRouter router = new MetadataRouter(placement, client, clock);
    MetadataCommand command = MetadataCommand.newBuilder().setPartition(5).build();
    router.submit(ctx, command).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    // A second gateway (its own view, so the failed voters are not known to it to be suspect).
    new MetadataRouter(placement, client, clock).submit(ctx, command)
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);

    assertEquals(6, client.submitted.size());
    List<MetadataCommand> first = client.submitted.subList(0, 3);
    List<MetadataCommand> second = client.submitted.subList(3, 6);
    for (List<MetadataCommand> attempts : List.of(first, second)) {
      assertEquals(16, attempts.get(0).getSubmitId().size());
      for (MetadataCommand c : attempts) {
        assertEquals(attempts.get(0).getSubmitId(), c.getSubmitId());
        assertEquals(1_700_000_000_123L, c.getSubmitEpochMillis());
      }
    }
    assertNotEquals(first.get(0).getSubmitId(), second.get(0).getSubmitId(), "each logical submit has its own id");
  }

  @Test
  void aRefusalAfterARetryIsTheCommandsOutcome() throws Exception {
    // The partition deduplicates by submit id (ADR 0024): the answer to the retry is the result of
    // the command's only application, even a refusal.
    RendezvousPlacement placement = new RendezvousPlacement(NODES, 16, 3);
    List<String> order = placement.metadataNodesOf(5);
    ScriptedClient client = new ScriptedClient(Set.of(order.get(0)), null);
    client.status = CommandStatus.CONDITION_NOT_MET;
    CommandResult r = new MetadataRouter(placement, client).submit(ctx, MetadataCommand.newBuilder().setPartition(5).build())
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(CommandStatus.CONDITION_NOT_MET, r.getStatus());
  }

  @Test
  void aCommandTooOldToDeduplicateFailsRetriably() throws Exception {
    RendezvousPlacement placement = new RendezvousPlacement(NODES, 16, 3);
    ScriptedClient client = new ScriptedClient(Set.of(), null);
    client.status = CommandStatus.SUBMIT_EXPIRED;
    Throwable f = failureOf(new MetadataRouter(placement, client).submit(ctx,
        MetadataCommand.newBuilder().setPartition(5).build()));
    assertInstanceOf(BackendUnavailableException.class, f);
  }

  @Test
  void failsRetriablyOnlyWhenEveryVoterIsUnavailable() throws Exception {
    RendezvousPlacement placement = new RendezvousPlacement(NODES, 16, 3);
    ScriptedClient client = new ScriptedClient(Set.copyOf(NODES), null);
    Throwable f = failureOf(new MetadataRouter(placement, client).query(ctx, 2, MetadataQuery.getDefaultInstance()));
    assertInstanceOf(BackendUnavailableException.class, f);
    assertEquals(placement.metadataNodesOf(2), client.asked);
  }

  @Test
  void aNonRetriableFailureIsFinal() throws Exception {
    RendezvousPlacement placement = new RendezvousPlacement(NODES, 16, 3);
    IllegalArgumentException invalid = new IllegalArgumentException("INVALID_ARGUMENT");
    ScriptedClient client = new ScriptedClient(Set.of(), invalid);
    Throwable f = failureOf(new MetadataRouter(placement, client).submit(ctx, MetadataCommand.getDefaultInstance()));
    assertEquals(invalid, f);
    assertEquals(List.of(placement.metadataNodesOf(0).get(0)), client.asked);
  }

  @Test
  void votersAreAtMostThreeDistinctNodesInRendezvousOrder() {
    RendezvousPlacement five = new RendezvousPlacement(List.of("n1", "n2", "n3", "n4", "n5"), 16, 3);
    for (int p = 0; p < 16; p++) {
      List<String> voters = five.metadataNodesOf(p);
      assertEquals(3, Set.copyOf(voters).size());
      assertEquals(five.ownerOf(p), voters.get(0));
    }
    assertEquals(2, new RendezvousPlacement(List.of("a", "b"), 4, 2).metadataNodesOf(1).size());
  }
}
