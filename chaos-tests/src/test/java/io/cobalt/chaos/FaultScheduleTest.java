package io.cobalt.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class FaultScheduleTest {
  private static final List<String> NODES = List.of("node-1", "node-2", "node-3");

  @Test
  void theSameSeedGivesTheSameSchedule() {
    assertEquals(FaultSchedule.generate(42, NODES, 60_000, 8_000), FaultSchedule.generate(42, NODES, 60_000, 8_000));
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
        }
        assertTrue(NODES.contains(f.node()));
        planned += f.durationMillis() + (f.kind() == FaultSchedule.Kind.KILL ? 8_000 : 0);
      }
      assertTrue(planned >= 60_000, "seed " + seed + " plans " + planned + " ms");
    }
  }
}
