package io.cobalt.gateway.blob;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.QueryResult;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The flat List Blobs page with snapshots, merged from several partitions' answers (ADR 0022):
 * name order, each blob's snapshots before it, at most maxresults records, and a NextMarker that
 * loses nothing a truncated partition still holds, even between a blob's snapshots.
 */
class SnapshotListingMergeTest {
  private static BlobRecord blob(String name, String snapshot) {
    return BlobRecord.newBuilder().setName(name).setSnapshot(snapshot).build();
  }

  /** A blob preceded by {@code n} snapshots, as a node answers it. */
  private static List<BlobRecord> group(String name, int n) {
    List<BlobRecord> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(blob(name, "2026-01-01T00:00:0" + i + ".0000000Z"));
    }
    out.add(blob(name, ""));
    return out;
  }

  private static QueryResult partition(boolean truncated, List<List<BlobRecord>> groups) {
    QueryResult.Builder r = QueryResult.newBuilder().setTruncated(truncated);
    groups.forEach(r::addAllBlobs);
    return r.build();
  }

  private static List<String> names(BlobHierarchy.Page page) {
    List<String> out = new ArrayList<>();
    for (BlobHierarchy.Entry e : page.entries()) {
      out.add(e.blob().getSnapshot().isEmpty() ? e.name() : e.name() + "@" + e.blob().getSnapshot().charAt(18));
    }
    return out;
  }

  @Test
  void mergesPartitionsInNameOrderWithSnapshotsFirst() {
    BlobHierarchy.Page page = ListBlobsHandler.mergeWithSnapshots(List.of(
        partition(false, List.of(group("b", 2), group("d", 0))),
        partition(false, List.of(group("a", 0), group("c", 1)))), 10);
    assertEquals(List.of("a", "b@0", "b@1", "b", "c@0", "c", "d"), names(page));
    assertNull(page.nextMarker());
  }

  @Test
  void aPageNeverHoldsMoreThanMaxResultsAndMayEndBetweenSnapshots() {
    // Partition 1 answered its first 2 records and has more; partition 2 answered all it has.
    BlobHierarchy.Page page = ListBlobsHandler.mergeWithSnapshots(List.of(
        partition(true, List.of(group("a", 0), group("b", 3))),
        partition(false, List.of(group("a0", 0), group("c", 0)))), 2);
    assertEquals(List.of("a", "a0"), names(page));
    assertEquals("a0", page.nextMarker());

    BlobHierarchy.Page split = ListBlobsHandler.mergeWithSnapshots(List.of(
        partition(true, List.of(group("a", 0), List.of(group("b", 3).get(0))))), 2);
    assertEquals(List.of("a", "b@0"), names(split), "each snapshot counts as a record");
    assertEquals("b\t2026-01-01T00:00:00.0000000Z", split.nextMarker(), "resumes after b's first snapshot");
    assertEquals(new ListBlobsHandler.SnapshotMarker("b", "2026-01-01T00:00:00.0000000Z"),
        ListBlobsHandler.SnapshotMarker.parse(split.nextMarker()));
    assertEquals(new ListBlobsHandler.SnapshotMarker("b", ""), ListBlobsHandler.SnapshotMarker.parse("b"));
  }

  @Test
  void aMalformedSnapshotMarkerIsRefused() {
    for (String bad : List.of("b\tyesterday", "\t2026-01-01T00:00:00.0000000Z", "b\t2026-01-01T00:00:00Z")) {
      io.cobalt.gateway.http.AzureException e = org.junit.jupiter.api.Assertions.assertThrows(
          io.cobalt.gateway.http.AzureException.class, () -> ListBlobsHandler.SnapshotMarker.parse(bad), bad);
      assertEquals(400, e.error().status(), bad);
    }
  }
}
