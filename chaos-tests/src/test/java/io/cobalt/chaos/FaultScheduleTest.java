package io.cobalt.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cobalt.chaos.FaultSchedule.Kind;
import io.cobalt.chaos.FaultSchedule.Link;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FaultScheduleTest {
  private static final List<String> NODES = List.of("node-1", "node-2", "node-3");
  private static final List<String> FIVE = List.of("node-1", "node-2", "node-3", "node-4", "node-5");

  @Test
  void theSameSeedGivesTheSameSchedule() {
    assertEquals(FaultSchedule.generate(42, NODES, 60_000, 8_000), FaultSchedule.generate(42, NODES, 60_000, 8_000));
    assertEquals(FaultSchedule.generate(42, NODES, 60_000, 8_000).toString(),
        FaultSchedule.generate(42, NODES, 60_000, 8_000).toString());
    assertNotEquals(FaultSchedule.generate(42, NODES, 60_000, 8_000).faults(),
        FaultSchedule.generate(43, NODES, 60_000, 8_000).faults());
  }

  @Test
  void pausesFallOnBothSidesOfTheElectionTimeoutAndFillThePlannedTime() {
    for (long seed = 0; seed < 50; seed++) {
      FaultSchedule s = FaultSchedule.generate(seed, NODES, 60_000, 8_000);
      long planned = 0;
      for (FaultSchedule.Fault f : s.faults()) {
        switch (f.kind()) {
          case PAUSE_SHORT -> assertTrue(f.durationMillis() < 1_000, f.toString());
          case PAUSE_LONG -> assertTrue(f.durationMillis() > 2_000, f.toString());
          case KILL -> assertTrue(f.durationMillis() >= 2_000, f.toString());
          default -> { }
        }
        assertTrue(NODES.contains(f.node()));
        planned += f.expectedMillis(8_000);
      }
      assertTrue(planned >= 60_000, "seed " + seed + " plans " + planned + " ms");
    }
  }

  @Test
  void everyKindIsDrawnAndPartitionsLastAFewSecondsToFifteen() {
    Set<Kind> seen = EnumSet.noneOf(Kind.class);
    for (long seed = 0; seed < 100; seed++) {
      for (FaultSchedule.Fault f : FaultSchedule.generate(seed, NODES, 120_000, 8_000).faults()) {
        seen.add(f.kind());
        if (f.kind().isPartition()) {
          assertTrue(f.durationMillis() >= 3_000 && f.durationMillis() <= 15_000, f.toString());
          assertFalse(f.cut().isEmpty(), f.toString());
          f.cut().forEach(l -> assertNotEquals(l.from(), l.to()));
        }
      }
    }
    Set<Kind> base = EnumSet.allOf(Kind.class);
    base.removeAll(FaultSchedule.EXTRA_KINDS);
    assertEquals(base, seen, "every kind of the base menu, nothing else unless asked");
  }

  @Test
  void partitionsCutTheRightDirections() {
    for (long seed = 0; seed < 200; seed++) {
      for (FaultSchedule.Fault f : FaultSchedule.generate(seed, FIVE, 60_000, 8_000).faults()) {
        Set<Link> cut = new HashSet<>(f.cut());
        String n = f.node();
        switch (f.kind()) {
          case PARTITION_ISOLATE -> {
            assertEquals(2 * (FIVE.size() - 1), cut.size());
            FIVE.stream().filter(o -> !o.equals(n)).forEach(o -> {
              assertTrue(cut.contains(new Link(n, o)));
              assertTrue(cut.contains(new Link(o, n)));
            });
          }
          case PARTITION_MAJORITY -> {
            assertEquals(2, f.nodes().size(), "the minority of 5 is 2: " + f);
            assertTrue(f.nodes().contains(n));
            assertEquals(2 * 2 * 3, cut.size(), f.toString());
            for (Link l : cut) {
              assertNotEquals(f.nodes().contains(l.from()), f.nodes().contains(l.to()), "crosses the sides: " + l);
            }
          }
          case PARTITION_OUTBOUND -> {
            assertEquals(FIVE.size() - 1, cut.size());
            assertTrue(cut.stream().allMatch(l -> l.from().equals(n)));
          }
          case PARTITION_INBOUND -> {
            assertEquals(FIVE.size() - 1, cut.size());
            assertTrue(cut.stream().allMatch(l -> l.to().equals(n)));
          }
          case PARTITION_BRIDGE -> {
            assertTrue(cut.stream().noneMatch(l -> l.from().equals(n) || l.to().equals(n)), "the bridge reaches all");
            assertEquals(2 * 2 * 2, cut.size(), "two sides of 2: " + f);
            for (Link l : cut) {
              assertTrue(cut.contains(new Link(l.to(), l.from())), "symmetric: " + l);
            }
          }
          case CORRUPT -> {
            assertNotNull(f.corruption());
            assertTrue(f.corruption().chunks() >= 3 && f.corruption().chunks() <= 20, f.toString());
          }
          case ROLLING_RESTART -> {
            assertEquals(n, f.nodes().get(0));
            assertEquals(new HashSet<>(FIVE), new HashSet<>(f.nodes()));
            assertEquals(5 * (f.durationMillis() + 8_000), f.expectedMillis(8_000));
          }
          default -> assertTrue(f.cut().isEmpty());
        }
      }
    }
  }

  @Test
  void withThreeNodesABridgeCutsTheOtherTwoAndAMajorityIsolatesOne() {
    for (long seed = 0; seed < 200; seed++) {
      for (FaultSchedule.Fault f : FaultSchedule.generate(seed, NODES, 60_000, 8_000).faults()) {
        if (f.kind() == Kind.PARTITION_BRIDGE) {
          assertEquals(2, f.cut().size(), f.toString());
        } else if (f.kind() == Kind.PARTITION_MAJORITY) {
          assertEquals(List.of(f.node()), f.nodes());
          assertEquals(4, f.cut().size(), f.toString());
        }
      }
    }
  }

  @Test
  void extraFaultsLeaveTheBaseScheduleOfASeedAloneAndJoinTheMenuWhenAsked() {
    List<String> four = List.of("node-1", "node-2", "node-3", "node-4");
    for (long seed = 0; seed < 20; seed++) {
      assertEquals(FaultSchedule.generate(seed, NODES, 120_000, 8_000),
          FaultSchedule.generate(seed, NODES, 120_000, 8_000, Set.of(), 150_000), "no extras: the same as before");
    }
    Set<Kind> seen = EnumSet.noneOf(Kind.class);
    Set<Kind> seenOnThree = EnumSet.noneOf(Kind.class);
    for (long seed = 0; seed < 200; seed++) {
      for (FaultSchedule.Fault f : FaultSchedule.generate(seed, four, 120_000, 8_000, EnumSet.copyOf(FaultSchedule.EXTRA_KINDS),
          150_000).faults()) {
        seen.add(f.kind());
        if (f.kind().isKeyFault()) {
          assertEquals(FaultSchedule.KMS, f.node(), f.toString());
          assertTrue(f.durationMillis() >= 2_000 && f.durationMillis() <= 12_000, f.toString());
        }
        if (f.kind() == Kind.REMOVE_NODE) {
          assertEquals(150_000, f.durationMillis());
          assertEquals(150_000 + 8_000, f.expectedMillis(8_000));
        }
      }
      FaultSchedule.generate(seed, NODES, 120_000, 8_000, EnumSet.copyOf(FaultSchedule.EXTRA_KINDS), 150_000).faults()
          .forEach(f -> seenOnThree.add(f.kind()));
    }
    assertTrue(seen.containsAll(FaultSchedule.EXTRA_KINDS), "every extra kind drawn: " + seen);
    assertFalse(seenOnThree.contains(Kind.REMOVE_NODE), "no node removal with 3 nodes (no spare for its voters)");
    assertTrue(seenOnThree.contains(Kind.KEY_REVOKE));
  }

  @Test
  void addNodeIsPlayedExactlyOnceWhenAskedAndNamesTheFirstIdBeyondTheConfiguredNodes() {
    int inserted = 0; // not at index 0
    for (long seed = 0; seed < 300; seed++) {
      // Short phases (few draws: often not drawn, then inserted) and long ones (drawn, maybe twice).
      for (long planned : List.of(30_000L, 180_000L, 600_000L)) {
        List<FaultSchedule.Fault> faults = FaultSchedule.generate(seed, NODES, planned, 8_000, Set.of(Kind.ADD_NODE),
            150_000).faults();
        List<Integer> at = new java.util.ArrayList<>();
        for (int i = 0; i < faults.size(); i++) {
          if (faults.get(i).kind() == Kind.ADD_NODE) {
            at.add(i);
          }
        }
        assertEquals(1, at.size(), "seed " + seed + ", " + planned + " ms: " + faults);
        FaultSchedule.Fault add = faults.get(at.get(0));
        assertEquals("node-4", add.node(), add.toString());
        assertEquals(List.of("node-4"), add.nodes());
        assertEquals(FaultSchedule.ADD_NODE_BOUND_MILLIS, add.durationMillis());
        assertEquals(0, add.heldMillis(), "its duration is a bound, not a hold");
        assertEquals(8_000 + FaultSchedule.ADD_NODE_EXPECTED_MILLIS, add.expectedMillis(8_000));
        assertTrue(add.toString().contains("until it holds a partition voter"), add.toString());
        faults.stream().filter(f -> f.kind() != Kind.ADD_NODE).forEach(f -> assertTrue(NODES.containsAll(f.nodes()),
            "other faults hit configured nodes only: " + f));
        assertEquals(faults, FaultSchedule.generate(seed, NODES, planned, 8_000, Set.of(Kind.ADD_NODE), 150_000).faults(),
            "replayable");
        assertTrue(at.get(0) <= (faults.size() - 1) / 2, "in the first half, well before the deadline: seed " + seed
            + ", " + planned + " ms, at " + at.get(0) + " of " + faults.size());
        if (at.get(0) > 0) {
          inserted++;
        }
      }
    }
    assertTrue(inserted > 0, "not always first");
    assertEquals("node-6", FaultSchedule.generate(1, FIVE, 60_000, 8_000, Set.of(Kind.ADD_NODE), 150_000).faults()
        .stream().filter(f -> f.kind() == Kind.ADD_NODE).findFirst().orElseThrow().node());
  }

  @Test
  void addNodeIsNeverInAScheduleThatDidNotAskForIt() {
    java.nio.file.Path target = java.nio.file.Path.of("target");
    for (long seed = 0; seed < 300; seed++) {
      ChaosSuite.Options smoke = ChaosSmokeIT.smokeOptions(seed, ChaosSuite.SMOKE_FAULT_PHASE_MILLIS,
          ChaosSuite.SMOKE_MIN_FAULT_MILLIS, target, java.nio.file.Path.of("cobalt.jar"));
      assertFalse(ChaosSuite.schedule(smoke).faults().stream().anyMatch(f -> f.kind() == Kind.ADD_NODE), "seed " + seed);
      Set<Kind> others = EnumSet.copyOf(FaultSchedule.EXTRA_KINDS);
      others.remove(Kind.ADD_NODE);
      assertFalse(FaultSchedule.generate(seed, FIVE, 300_000, 8_000, others, 150_000).faults().stream()
          .anyMatch(f -> f.kind() == Kind.ADD_NODE), "seed " + seed);
    }
  }

  /** Issue 3 point 7: the CI smoke run has at least 2 minutes of faults in force, for any seed. */
  @Test
  void theSmokeScheduleHoldsAtLeastTwoMinutesOfFaultsForEverySeed() {
    java.nio.file.Path target = java.nio.file.Path.of("target");
    java.nio.file.Path jar = java.nio.file.Path.of("cobalt.jar");
    assertTrue(ChaosSuite.SMOKE_MIN_FAULT_MILLIS >= 120_000);
    long most = 0;
    for (long seed = 0; seed < 2_000; seed++) {
      ChaosSuite.Options o = ChaosSmokeIT.smokeOptions(seed, ChaosSuite.SMOKE_FAULT_PHASE_MILLIS,
          ChaosSuite.SMOKE_MIN_FAULT_MILLIS, target, jar);
      FaultSchedule s = ChaosSuite.schedule(o);
      assertTrue(s.heldMillis() >= 120_000, "seed " + seed + " holds faults for " + s.heldMillis() + " ms");
      // The faults drawn for the minimum come after the phase's own: a seed's schedule keeps its start.
      List<FaultSchedule.Fault> phaseOnly = FaultSchedule.generate(seed, NODES, ChaosSuite.SMOKE_FAULT_PHASE_MILLIS,
          ChaosSuite.RESTART_ESTIMATE_MILLIS).faults();
      assertEquals(phaseOnly, s.faults().subList(0, phaseOnly.size()), "seed " + seed);
      most = Math.max(most, s.heldMillis());
    }
    // Not much longer than needed: one fault past the phase's plan (at most a rolling restart of 3 nodes,
    // 3 x (3 s + 12 s)) or past the minimum (at most a 15 s partition).
    assertTrue(most < ChaosSuite.SMOKE_FAULT_PHASE_MILLIS + 45_000, "the longest smoke schedule holds " + most + " ms");
  }

  @Test
  void heldTimeIsWhatAFaultHoldsWhateverTheRestarts() {
    assertEquals(4_000, new FaultSchedule.Fault(Kind.KILL, "node-1", 4_000, 1_000).heldMillis());
    assertEquals(700, new FaultSchedule.Fault(Kind.PAUSE_SHORT, "node-1", 700, 1_000).heldMillis());
    assertEquals(3 * 2_000, new FaultSchedule.Fault(Kind.ROLLING_RESTART, "node-2", 2_000, 1_000, NODES, List.of(), null)
        .heldMillis());
    assertEquals(0, new FaultSchedule.Fault(Kind.REMOVE_NODE, "node-4", 150_000, 1_000).heldMillis(),
        "a removal's duration is a bound, not a hold");
  }

  @Test
  void theNemesisPlaysPastItsDeadlineOnlyUntilTheMinimumFaultTimeIsReached() {
    long s = 1_000_000_000L;
    // Before the minimum: a fault starts even past the deadline.
    assertTrue(Nemesis.mayStart(200 * s, 130 * s, 20_000, 110_000, 120_000));
    // Minimum reached: only a fault healed by the deadline.
    assertFalse(Nemesis.mayStart(120 * s, 130 * s, 20_000, 120_000, 120_000));
    assertTrue(Nemesis.mayStart(100 * s, 130 * s, 20_000, 120_000, 120_000));
    // No minimum: the deadline alone, as before.
    assertFalse(Nemesis.mayStart(120 * s, 130 * s, 20_000, 0, 0));
    assertTrue(Nemesis.mayStart(100 * s, 130 * s, 30_000, 0, 0));
  }
}
