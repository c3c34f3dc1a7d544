package io.cobalt.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cobalt.chaos.History.Outcome;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link TableBatchWorkload#check} on hand-made outcomes and read-backs. */
class TableBatchCheckerTest {
  @Test
  void allOrNothingBatchesMatchingTheirOutcomesPass() {
    Map<Long, Outcome> outcomes = Map.of(0L, Outcome.OK, 1L, Outcome.OK, 2L, Outcome.FAIL, 3L, Outcome.INFO,
        4L, Outcome.INFO);
    Map<Long, Integer> present = Map.of(0L, 3, 1L, 3, 3L, 3); // 4 (info) did not happen, 2 (fail) neither
    TableBatchWorkload.Result r = TableBatchWorkload.check(outcomes, present);
    assertEquals(5, r.submitted());
    assertEquals(2, r.acknowledged());
    assertEquals(1, r.failed());
    assertEquals(2, r.indeterminate());
    assertEquals(1, r.indeterminatePresent());
    assertEquals(List.of(), r.partial());
    assertEquals(List.of(), r.lost());
    assertEquals(List.of(), r.unexpected());
    assertTrue(r.readBack());
  }

  @Test
  void partlyAppliedBatchesArePartialWhateverTheirOutcome() {
    Map<Long, Outcome> outcomes = Map.of(0L, Outcome.OK, 1L, Outcome.INFO, 2L, Outcome.FAIL, 3L, Outcome.INFO);
    Map<Long, Integer> present = Map.of(0L, 2, 1L, 1, 2L, 2, 3L, 3);
    TableBatchWorkload.Result r = TableBatchWorkload.check(outcomes, present);
    assertEquals(List.of(0L, 1L, 2L), r.partial());
    assertEquals(List.of(0L), r.lost()); // acknowledged but not all there
    assertEquals(List.of(2L), r.unexpected()); // refused but (partly) there
    assertEquals(1, r.indeterminatePresent());
  }

  @Test
  void acknowledgedBatchMissingIsLostAndRefusedBatchPresentIsUnexpected() {
    Map<Long, Outcome> outcomes = Map.of(0L, Outcome.OK, 1L, Outcome.FAIL, 2L, Outcome.OK);
    Map<Long, Integer> present = new HashMap<>(Map.of(1L, 3, 2L, 3));
    TableBatchWorkload.Result r = TableBatchWorkload.check(outcomes, present);
    assertEquals(List.of(0L), r.lost());
    assertEquals(List.of(1L), r.unexpected());
    assertEquals(List.of(), r.partial());
  }

  @Test
  void entitiesOfABatchNeverSubmittedAreUnexpected() {
    TableBatchWorkload.Result r = TableBatchWorkload.check(Map.of(0L, Outcome.OK), Map.of(0L, 3, 7L, 3, 9L, 1));
    assertEquals(List.of(7L, 9L), r.unexpected());
    assertEquals(List.of(9L), r.partial());
    assertEquals(List.of(), r.lost());
  }

  @Test
  void reportFieldsCountEachKind() {
    TableBatchWorkload.Result r = TableBatchWorkload.check(Map.of(0L, Outcome.OK, 1L, Outcome.FAIL),
        Map.of(0L, 1, 1L, 3));
    Map<String, Object> f = TableBatchWorkload.fields(r);
    assertEquals(2, f.get("submitted"));
    assertEquals(1, f.get("acknowledged"));
    assertEquals(1, f.get("failed"));
    assertEquals(0, f.get("indeterminate"));
    assertEquals(1, f.get("partial"));
    assertEquals(1, f.get("lost"));
    assertEquals(1, f.get("unexpected"));
    assertEquals(List.of(0L), f.get("partialBatches"));
  }
}
