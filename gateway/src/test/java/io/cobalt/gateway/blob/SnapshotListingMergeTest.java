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
 * name order, each blob's snapshots before it, never split from it, and a NextMarker that loses
 * nothing a truncated partition still holds.
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
  void aPageEndsAfterAWholeBlobAndResumesAfterIt() {
    // Partition 1 was cut by its node after 2 records (so at "b"); partition 2 was not.
    BlobHierarchy.Page page = ListBlobsHandler.mergeWithSnapshots(List.of(
        partition(true, List.of(group("a", 0), group("b", 3))),
        partition(false, List.of(group("a0", 0), group("c", 0)))), 2);
    assertEquals(List.of("a", "a0"), names(page), "two whole blobs fill the page");
    assertEquals("a0", page.nextMarker());

    BlobHierarchy.Page split = ListBlobsHandler.mergeWithSnapshots(List.of(
        partition(true, List.of(group("a", 0), group("b", 3)))), 2);
    assertEquals(List.of("a", "b@0", "b@1", "b@2", "b"), names(split), "b's snapshots stay with b");
    assertEquals("b", split.nextMarker());
  }
}
