package io.cobalt.node.rpc;

import io.cobalt.proto.node.v1.PlacementMap;
import io.cobalt.node.consensus.GroupStatus;
import io.cobalt.proto.node.v1.HealStatus;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.function.IntFunction;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * Where {@link NodeAdminRpcService} reads the node's state from. Both functions must answer from
 * memory, quickly: they run on an RPC worker.
 *
 * @param clock the clock uptime is measured with
 * @param startedAt when the node started
 * @param groups the Raft state of each partition group this node is a voter of
 * @param voters a partition's current voters as this node knows them
 * @param heal the node's chunk-healing figures (ADR 0010)
 * @param repairBacklog items in the node's repair queue
 * @param placement the placement map this node knows (ADR 0021); version 0 (the empty map): none
 *     (a standalone node)
 */
public record NodeStatusSource(Clock clock, Instant startedAt, Supplier<List<GroupStatus>> groups,
    IntFunction<List<String>> voters, Supplier<HealStatus> heal, IntSupplier repairBacklog,
    Supplier<PlacementMap> placement) {

  /** A source without a placement map. */
  public NodeStatusSource(Clock clock, Instant startedAt, Supplier<List<GroupStatus>> groups,
      IntFunction<List<String>> voters, Supplier<HealStatus> heal, IntSupplier repairBacklog) {
    this(clock, startedAt, groups, voters, heal, repairBacklog, PlacementMap::getDefaultInstance);
  }

  /** A node without healing: its figures are empty and its repair backlog is 0. */
  public NodeStatusSource(Clock clock, Instant startedAt, Supplier<List<GroupStatus>> groups,
      IntFunction<List<String>> voters) {
    this(clock, startedAt, groups, voters, HealStatus::getDefaultInstance, () -> 0);
  }

  /** The same source with the healing figures of {@code heal}. */
  public NodeStatusSource withHealing(Supplier<HealStatus> newHeal, IntSupplier newBacklog) {
    return new NodeStatusSource(clock, startedAt, groups, voters, newHeal, newBacklog, placement);
  }

  /** The same source with the placement map of {@code newPlacement}. */
  public NodeStatusSource withPlacement(Supplier<PlacementMap> newPlacement) {
    return new NodeStatusSource(clock, startedAt, groups, voters, heal, repairBacklog, newPlacement);
  }

  /** A node without Raft groups (standalone): no partition groups to report. */
  public static NodeStatusSource standalone(Clock clock, Instant startedAt) {
    return new NodeStatusSource(clock, startedAt, List::of, p -> List.of());
  }
}
