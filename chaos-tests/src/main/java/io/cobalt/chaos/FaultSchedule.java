package io.cobalt.chaos;

import io.cobalt.cli.role.ProcessCluster;
import io.cobalt.node.storage.rocksdb.ChunkStoreFaults;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A seeded sequence of faults against node processes, played one after the other with a pause in
 * between. The same seed and node list give the same sequence (kinds, targets, durations, gaps,
 * partition sides, corruption seeds); wall-clock times differ run to run because a restarted JVM
 * takes as long as it takes. {@link Fault#toString()} says everything needed to read a replay.
 *
 * <p>Pauses are drawn on both sides of the Raft election timeout (1–2 s): short ones (0.3–0.9 s)
 * that no follower should notice, long ones (3–6 s) that depose a paused leader. Partitions last
 * 3–15 s: from barely more than an election to several. Kinds and their shares: docs/chaos.md.
 */
public record FaultSchedule(long seed, List<Fault> faults) {

  public enum Kind {
    /** SIGKILL, stay down for the duration, then start again on the same data. */
    KILL,
    /** SIGSTOP shorter than the election timeout, then SIGCONT. */
    PAUSE_SHORT,
    /** SIGSTOP longer than the election timeout, then SIGCONT. */
    PAUSE_LONG,
    /** The node and every other node cannot reach each other, both directions; the gateway reaches all. */
    PARTITION_ISOLATE,
    /** A minority side (the node and maybe others; with 3 nodes the node alone) cut from the majority, both directions. */
    PARTITION_MAJORITY,
    /** Asymmetric: the node cannot reach the others; their connections to it keep working. */
    PARTITION_OUTBOUND,
    /** Asymmetric: the others cannot reach the node; its connections to them keep working. */
    PARTITION_INBOUND,
    /** The other nodes split in two sides that cannot reach each other; the node reaches both sides. */
    PARTITION_BRIDGE,
    /** Stop the node (SIGKILL or SIGTERM), damage some of its stored chunks, restart it. */
    CORRUPT,
    /** Every node in turn: SIGTERM, down for the duration, restart, wait for its partition leaders. */
    ROLLING_RESTART,
    /**
     * SIGKILL and stay down past the placement grace ({@code placement.replace-after}) until every
     * partition has a full set of live voters again (ADR 0021) or the duration (a bound) ends, then
     * start again on the same data. Needs at least 4 nodes (a spare for the lost voters).
     */
    REMOVE_NODE,
    /**
     * Start a node that was not in the initial configuration ({@code node-<N+1>}, its own data and
     * ports, the cluster's certificates); it joins through the membership and the placement map
     * (ADR 0029) and stays for the rest of the run. In force until the placement controller has
     * moved a partition voter to it, or the duration (a bound) ends. At most one per schedule.
     */
    ADD_NODE,
    /** Rotate the account's key at the kms-agent (admin API); the duration is the observation window after it. */
    KEY_ROTATE,
    /** Disable every enabled version of the account's key (revocation), wait the duration, enable them again. */
    KEY_REVOKE,
    /** SIGKILL the kms-agent, down for the duration, start it again (fail closed: 503 meanwhile). */
    KMS_DOWN,
    /** SIGSTOP the kms-agent for the duration, then SIGCONT (its streams go silent rather than closed). */
    KMS_PAUSE;

    public boolean isPartition() {
      return name().startsWith("PARTITION_");
    }

    /** A fault of the key service rather than of a node: the kms-agent or the account's key. */
    public boolean isKeyFault() {
      return this == KEY_ROTATE || this == KEY_REVOKE || this == KMS_DOWN || this == KMS_PAUSE;
    }
  }

  /** The kinds beyond the base menu, in the order their draws are numbered; {@code cobalt chaos --faults} names them. */
  public static final List<Kind> EXTRA_KINDS = List.of(Kind.KEY_ROTATE, Kind.KEY_REVOKE, Kind.KMS_DOWN, Kind.KMS_PAUSE,
      Kind.REMOVE_NODE, Kind.ADD_NODE);

  /** What an {@link Kind#ADD_NODE} is expected to take when planning: the join and a rebalancing move or two. */
  static final long ADD_NODE_EXPECTED_MILLIS = 30_000;
  /** How long an {@link Kind#ADD_NODE} waits at most for the first partition voter on the new node. */
  public static final long ADD_NODE_BOUND_MILLIS = 150_000;

  /** The target name of key faults (they hit no node). */
  public static final String KMS = "kms-agent";

  /** One direction of a cut: {@code from}'s packets to {@code to}'s listening ports are dropped. */
  public record Link(String from, String to) {
    @Override
    public String toString() {
      return from + "->" + to;
    }
  }

  /** What a {@link Kind#CORRUPT} fault damages: how many chunks, how, how the node stops, and the choice's seed. */
  public record Corruption(int chunks, ChunkStoreFaults.Mode mode, boolean cleanStop, long seed) {
    @Override
    public String toString() {
      return chunks + " chunks " + mode + " after " + (cleanStop ? "SIGTERM" : "SIGKILL") + ", seed " + seed;
    }
  }

  /**
   * One fault: what, against which node, for how long, and how long to wait after healing it.
   *
   * @param nodes the nodes it touches: the node's side of a partition, a rolling restart's order,
   *     otherwise just the node
   * @param cut a partition's dropped directions (empty for other kinds)
   * @param corruption a {@link Kind#CORRUPT} fault's damage (null for other kinds)
   */
  public record Fault(Kind kind, String node, long durationMillis, long gapAfterMillis, List<String> nodes,
      List<Link> cut, Corruption corruption) {
    public Fault {
      nodes = List.copyOf(nodes);
      cut = List.copyOf(cut);
    }

    /** A kill or pause of one node. */
    public Fault(Kind kind, String node, long durationMillis, long gapAfterMillis) {
      this(kind, node, durationMillis, gapAfterMillis, List.of(node), List.of(), null);
    }

    /**
     * How long the fault is surely in force however fast a node restarts: the time it is held
     * (down, paused, cut, disabled; each node's down time of a rolling restart). A played fault's
     * window is never shorter. {@link Kind#REMOVE_NODE} and {@link Kind#ADD_NODE} count 0: their
     * duration is a bound, not a hold.
     */
    public long heldMillis() {
      return switch (kind) {
        case REMOVE_NODE, ADD_NODE -> 0;
        case ROLLING_RESTART -> nodes.size() * durationMillis;
        default -> durationMillis;
      };
    }

    /** How long the fault is expected to be in force when a node restart takes {@code restartEstimateMillis}. */
    public long expectedMillis(long restartEstimateMillis) {
      return switch (kind) {
        case KILL, CORRUPT, REMOVE_NODE, KMS_DOWN -> durationMillis + restartEstimateMillis;
        case ROLLING_RESTART -> nodes.size() * (durationMillis + restartEstimateMillis);
        case ADD_NODE -> restartEstimateMillis + ADD_NODE_EXPECTED_MILLIS;
        default -> durationMillis;
      };
    }

    @Override
    public String toString() {
      String what = switch (kind) {
        case PARTITION_ISOLATE, PARTITION_MAJORITY, PARTITION_OUTBOUND, PARTITION_INBOUND, PARTITION_BRIDGE ->
            kind + " " + node + " (drop " + cut.stream().map(Link::toString).collect(Collectors.joining(",")) + ")";
        case CORRUPT -> kind + " " + node + " (" + corruption + ")";
        case ROLLING_RESTART -> kind + " " + String.join(",", nodes) + " (each down";
        case ADD_NODE -> kind + " (a node beyond the initial configuration)";
        default -> kind + " " + node;
      };
      return what + (kind == Kind.ROLLING_RESTART ? " " + durationMillis + " ms)"
          : kind == Kind.REMOVE_NODE ? " until its voters are replaced, at most " + durationMillis + " ms"
          : kind == Kind.ADD_NODE ? " until it holds a partition voter, at most " + durationMillis + " ms"
          : " for " + durationMillis + " ms")
          + ", then " + gapAfterMillis + " ms healthy";
    }
  }

  /** The sum of every fault's {@link Fault#heldMillis()}: the least fault time playing the whole schedule gives. */
  public long heldMillis() {
    return faults.stream().mapToLong(Fault::heldMillis).sum();
  }

  /**
   * Enough faults to fill {@code plannedFaultMillis} of fault time, counting each restart of a
   * node as {@code restartEstimateMillis} more. Shares in 20 draws: 3 kills, 3 long pauses, 2 short
   * pauses, 3 isolations, 2 majority/minority, 2 outbound and 1 inbound asymmetric partitions,
   * 1 bridge, 2 corruptions, 1 rolling restart. With fewer than 3 nodes a bridge becomes an
   * isolation; with one node partitions become long pauses.
   */
  public static FaultSchedule generate(long seed, List<String> nodes, long plannedFaultMillis, long restartEstimateMillis) {
    return generate(seed, nodes, plannedFaultMillis, restartEstimateMillis, Set.of(), 0);
  }

  /**
   * As {@link #generate(long, List, long, long)}, with the {@code extras} (of {@link #EXTRA_KINDS})
   * on the menu too: each adds one draw (21, 22, ... in {@link #EXTRA_KINDS} order), so without
   * extras a seed gives the same schedule as before they existed. {@link Kind#REMOVE_NODE} needs
   * 4 nodes and is dropped from a smaller cluster's menu; it keeps the node down for
   * {@code removeBoundMillis} at most. {@link Kind#ADD_NODE} is played exactly once when asked: a
   * second draw of it is drawn again, a schedule whose draws did not pick it gets it at a seeded
   * place in its first half, and one drawn in the second half is moved to such a place (a run that
   * asks for a node to be added adds one, well before its deadline).
   */
  public static FaultSchedule generate(long seed, List<String> nodes, long plannedFaultMillis, long restartEstimateMillis,
      Set<Kind> extras, long removeBoundMillis) {
    return generate(seed, nodes, plannedFaultMillis, restartEstimateMillis, extras, removeBoundMillis, 0);
  }

  /**
   * As {@link #generate(long, List, long, long, Set, long)}, drawing on (after the faults that fill
   * {@code plannedFaultMillis}) until the faults' {@link #heldMillis()} is at least
   * {@code minHeldMillis} too: played to the end, such a schedule is in force at least that long
   * however fast nodes restart ({@link Nemesis#play(FaultSchedule, long, long, long)} plays on past
   * its deadline until it is). The extra faults come after the others, so a seed's first faults stay
   * the same.
   */
  public static FaultSchedule generate(long seed, List<String> nodes, long plannedFaultMillis, long restartEstimateMillis,
      Set<Kind> extras, long removeBoundMillis, long minHeldMillis) {
    List<Kind> menu = new ArrayList<>();
    for (Kind k : EXTRA_KINDS) {
      if (extras.contains(k) && (k != Kind.REMOVE_NODE || nodes.size() >= 4)) {
        menu.add(k);
      }
    }
    Random r = new Random(seed);
    List<Fault> faults = new ArrayList<>();
    long planned = 0;
    long held = 0;
    boolean added = false;
    while (planned < plannedFaultMillis || held < minHeldMillis) {
      int roll = r.nextInt(20 + menu.size());
      Kind kind = roll >= 20 ? menu.get(roll - 20)
          : roll < 3 ? Kind.KILL
          : roll < 6 ? Kind.PAUSE_LONG
          : roll < 8 ? Kind.PAUSE_SHORT
          : roll < 11 ? Kind.PARTITION_ISOLATE
          : roll < 13 ? Kind.PARTITION_MAJORITY
          : roll < 15 ? Kind.PARTITION_OUTBOUND
          : roll < 16 ? Kind.PARTITION_INBOUND
          : roll < 17 ? Kind.PARTITION_BRIDGE
          : roll < 19 ? Kind.CORRUPT
          : Kind.ROLLING_RESTART;
      if (kind.isPartition() && nodes.size() < 2) {
        kind = Kind.PAUSE_LONG;
      } else if (kind == Kind.PARTITION_BRIDGE && nodes.size() < 3) {
        kind = Kind.PARTITION_ISOLATE;
      }
      if (kind == Kind.ADD_NODE && added) {
        continue;
      }
      String node = nodes.get(r.nextInt(nodes.size()));
      long gap = 1_000 + r.nextInt(1_000);
      Fault f = switch (kind) {
        case KILL -> new Fault(kind, node, 2_000 + r.nextInt(4_000), gap);
        case PAUSE_SHORT -> new Fault(kind, node, 300 + r.nextInt(600), gap);
        case PAUSE_LONG -> new Fault(kind, node, 3_000 + r.nextInt(3_000), gap);
        case CORRUPT -> new Fault(kind, node, 1_000 + r.nextInt(2_000), gap, List.of(node), List.of(),
            new Corruption(3 + r.nextInt(18), r.nextBoolean() ? ChunkStoreFaults.Mode.FLIP : ChunkStoreFaults.Mode.TRUNCATE,
                r.nextBoolean(), r.nextLong()));
        case ROLLING_RESTART -> new Fault(kind, node, 1_000 + r.nextInt(2_000), gap, rotation(nodes, node), List.of(), null);
        case REMOVE_NODE -> new Fault(kind, node, removeBoundMillis, gap);
        case ADD_NODE -> addNode(nodes, gap);
        case KEY_ROTATE -> new Fault(kind, KMS, 3_000 + r.nextInt(3_000), gap);
        case KEY_REVOKE -> new Fault(kind, KMS, 6_000 + r.nextInt(6_000), gap);
        case KMS_DOWN -> new Fault(kind, KMS, 2_000 + r.nextInt(4_000), gap);
        case KMS_PAUSE -> new Fault(kind, KMS, 3_000 + r.nextInt(5_000), gap);
        default -> partition(kind, node, nodes, 3_000 + r.nextInt(12_000), gap, r);
      };
      faults.add(f);
      added |= kind == Kind.ADD_NODE;
      planned += f.expectedMillis(restartEstimateMillis);
      held += f.heldMillis();
    }
    if (menu.contains(Kind.ADD_NODE)) {
      // In the first half, so that it starts well before the deadline (a run plays no fault that
      // would not be healed by then, and a node restart takes longer than planned on a busy machine).
      int at = -1;
      for (int i = 0; i < faults.size(); i++) {
        if (faults.get(i).kind() == Kind.ADD_NODE) {
          at = i;
        }
      }
      Fault add = at >= 0 ? faults.remove(at) : addNode(nodes, 1_000 + r.nextInt(1_000));
      int half = faults.size() / 2;
      faults.add(at >= 0 && at <= half ? at : r.nextInt(half + 1), add);
    }
    return new FaultSchedule(seed, List.copyOf(faults));
  }

  /** The one {@link Kind#ADD_NODE}: its node is the first id beyond the configured ones. */
  private static Fault addNode(List<String> nodes, long gap) {
    return new Fault(Kind.ADD_NODE, ProcessCluster.nodeName(nodes.size() + 1), ADD_NODE_BOUND_MILLIS, gap);
  }

  private static List<String> rotation(List<String> nodes, String first) {
    int i = nodes.indexOf(first);
    List<String> order = new ArrayList<>(nodes.subList(i, nodes.size()));
    order.addAll(nodes.subList(0, i));
    return order;
  }

  private static Fault partition(Kind kind, String node, List<String> nodes, long duration, long gap, Random r) {
    List<String> others = new ArrayList<>(nodes);
    others.remove(node);
    List<Link> cut = new ArrayList<>();
    List<String> side = new ArrayList<>(List.of(node));
    switch (kind) {
      case PARTITION_ISOLATE -> cutBoth(side, others, cut);
      case PARTITION_MAJORITY -> {
        int minority = Math.max(1, (nodes.size() - 1) / 2);
        Collections.shuffle(others, r);
        side.addAll(others.subList(0, minority - 1));
        List<String> majority = new ArrayList<>(others.subList(minority - 1, others.size()));
        cutBoth(side, majority, cut);
      }
      case PARTITION_OUTBOUND -> others.forEach(o -> cut.add(new Link(node, o)));
      case PARTITION_INBOUND -> others.forEach(o -> cut.add(new Link(o, node)));
      case PARTITION_BRIDGE -> {
        Collections.shuffle(others, r);
        int half = others.size() / 2;
        cutBoth(others.subList(0, half), others.subList(half, others.size()), cut);
      }
      default -> throw new IllegalArgumentException(kind + " is not a partition");
    }
    return new Fault(kind, node, duration, gap, side, cut, null);
  }

  private static void cutBoth(List<String> a, List<String> b, List<Link> cut) {
    for (String x : a) {
      for (String y : b) {
        cut.add(new Link(x, y));
        cut.add(new Link(y, x));
      }
    }
  }
}
