package io.cobalt.gateway.blob;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.QueryResult;
import io.vertx.core.Future;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The hierarchical page walk against partitions that behave as the node's listing (names strictly
 * after the marker in code point order, at most N, truncated flag), compared with a one-pass
 * reference grouping over every name.
 */
class BlobHierarchyTest {

  /** Partitions holding names by hash, answering as PartitionStateMachine's LIST_BLOBS does. */
  record FakePartitions(List<TreeSet<String>> partitions, String prefix) implements BlobHierarchy.Source {
    static FakePartitions of(List<String> names, int count, String prefix) {
      List<TreeSet<String>> parts = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        parts.add(new TreeSet<>(PagedListing.CODE_POINT_ORDER));
      }
      for (String n : names) {
        parts.get(Math.floorMod(n.hashCode(), count)).add(n);
      }
      return new FakePartitions(parts, prefix);
    }

    @Override
    public Future<List<QueryResult>> list(String marker, int maxResults) {
      assertTrue(marker.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= 4096, "node bound on markers");
      List<QueryResult> out = new ArrayList<>();
      for (TreeSet<String> p : partitions) {
        QueryResult.Builder r = QueryResult.newBuilder();
        for (String n : marker.isEmpty() ? p : p.tailSet(marker, false)) {
          if (!n.startsWith(prefix)) {
            continue;
          }
          if (r.getBlobsCount() == maxResults) {
            r.setTruncated(true);
            break;
          }
          r.addBlobs(BlobRecord.newBuilder().setName(n));
        }
        out.add(r.build());
      }
      return Future.succeededFuture(out);
    }
  }

  static List<String> reference(List<String> names, String prefix, String delimiter) {
    TreeSet<String> sorted = new TreeSet<>(PagedListing.CODE_POINT_ORDER);
    sorted.addAll(names);
    LinkedHashSet<String> out = new LinkedHashSet<>();
    for (String n : sorted) {
      if (!n.startsWith(prefix)) {
        continue;
      }
      int at = n.indexOf(delimiter, prefix.length());
      out.add(at < 0 ? n : n.substring(0, at + delimiter.length()));
    }
    return new ArrayList<>(out);
  }

  static List<String> listAll(FakePartitions source, String prefix, String delimiter, int max) {
    List<String> all = new ArrayList<>();
    String marker = "";
    for (int pages = 0; pages < 100_000; pages++) {
      BlobHierarchy.Page page = BlobHierarchy.page(source, prefix, delimiter, marker, max).result();
      assertTrue(page.entries().size() <= max, "a BlobPrefix counts toward maxresults");
      page.entries().forEach(e -> all.add(e.name()));
      if (page.nextMarker() == null) {
        return all;
      }
      assertEquals(page.entries().get(page.entries().size() - 1).name(), page.nextMarker());
      marker = page.nextMarker();
    }
    throw new AssertionError("listing does not end");
  }

  @Test
  void pagesThroughPrefixesAndBlobsExactlyOnceInNameOrder() {
    long seed = new SecureRandom().nextLong();
    System.out.println("BlobHierarchyTest seed " + seed);
    Random random = new Random(seed);
    String[] parts = {"a", "b", "/", "c/", "\uD83D\uDE00", "\uE000", "dir", "x/y/"};
    List<String> names = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      StringBuilder n = new StringBuilder();
      int len = 1 + random.nextInt(6);
      for (int j = 0; j < len; j++) {
        n.append(parts[random.nextInt(parts.length)]);
      }
      names.add(n.toString());
    }
    for (String prefix : List.of("", "a", "dir/", "c/")) {
      for (String delimiter : List.of("/", "y/", "\uD83D\uDE00")) {
        List<String> expected = reference(names, prefix, delimiter);
        for (int partitions : new int[] {1, 3, 16}) {
          for (int max : new int[] {1, 2, 7, 5000}) {
            assertEquals(expected, listAll(FakePartitions.of(names, partitions, prefix), prefix, delimiter, max),
                "seed " + seed + " prefix=" + prefix + " delimiter=" + delimiter + " partitions=" + partitions
                    + " max=" + max);
          }
        }
      }
    }
  }

  @Test
  void aPrefixHoldingManyBlobsCostsOneRoundNotOnePerBlob() {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      names.add(String.format("big/%05d", i));
    }
    names.add("small/one");
    names.add("top");
    int[] calls = {0};
    FakePartitions parts = FakePartitions.of(names, 4, "");
    BlobHierarchy.Source counting = (marker, max) -> {
      calls[0]++;
      return parts.list(marker, max);
    };
    BlobHierarchy.Page page = BlobHierarchy.page(counting, "", "/", "", 5000).result();
    assertEquals(List.of("big/", "small/", "top"), page.entries().stream().map(BlobHierarchy.Entry::name).toList());
    assertNull(page.nextMarker());
    assertTrue(calls[0] <= 3, "rounds: " + calls[0]);
  }

  @Test
  void aMarkerInsideAPrefixResumesAfterThatPrefix() {
    FakePartitions parts = FakePartitions.of(List.of("a/1", "a/2", "b", "c/1"), 2, "");
    BlobHierarchy.Page page = BlobHierarchy.page(parts, "", "/", "a/1", 10).result();
    assertEquals(List.of("b", "c/"), page.entries().stream().map(BlobHierarchy.Entry::name).toList());
  }

  @Test
  void skipPastSortsAfterEveryLongestNameInThePrefix() {
    String group = "p/";
    String longest = group + new String(Character.toChars(Character.MAX_CODE_POINT))
        .repeat((ResourceNames.MAX_BLOB_NAME_CHARS - group.length()) / 2);
    assertTrue(longest.length() <= ResourceNames.MAX_BLOB_NAME_CHARS);
    assertTrue(PagedListing.CODE_POINT_ORDER.compare(longest, BlobHierarchy.skipPast(group)) < 0);
    assertTrue(PagedListing.CODE_POINT_ORDER.compare(group + "\uFFFD".repeat(1000), BlobHierarchy.skipPast(group)) < 0);
    assertTrue(PagedListing.CODE_POINT_ORDER.compare("p0", BlobHierarchy.skipPast(group)) > 0);
  }
}
