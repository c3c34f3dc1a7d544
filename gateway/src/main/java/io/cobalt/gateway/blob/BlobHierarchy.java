package io.cobalt.gateway.blob;

import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.QueryResult;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;

/**
 * One page of a List Blobs with {@code delimiter}: blobs whose name has no delimiter after the
 * prefix, and one {@code BlobPrefix} for each distinct "prefix + text up to and including the first
 * delimiter", in name order; a BlobPrefix counts toward {@code maxresults} as in Azure.
 *
 * <p>The node lists names only (prefix, marker, limit), so the grouping is done here, in rounds:
 * each round asks every partition for names after a cursor, walks the merged answer up to the
 * <em>horizon</em> (the smallest last name of any partition that had more; beyond it a partition
 * may still hold smaller names) and, after emitting a BlobPrefix, moves the cursor past every name
 * that starts with it ({@link #skipPast}), so a prefix holding a million blobs costs one round, not
 * a million names. Every round emits at least one entry or ends the listing; a page takes at most
 * {@link #MAX_ROUNDS} rounds and is returned short (with a NextMarker) beyond, which Azure allows.
 *
 * <p>The NextMarker is the name of the last entry (a blob name, or a BlobPrefix). A marker that
 * contains the delimiter after the prefix names a BlobPrefix already returned: the listing resumes
 * after every name in it (a blob name never contains the delimiter after the prefix here, since it
 * would have been grouped).
 */
final class BlobHierarchy {
  /** Fan-out rounds per page at most. */
  static final int MAX_ROUNDS = 32;

  /** One listed entry: a blob, or a BlobPrefix (then {@code blob} is null). */
  record Entry(BlobRecord blob, String prefix) {
    String name() {
      return blob != null ? blob.getName() : prefix;
    }
  }

  /** A page: its entries in name order, and the marker of the next page (null: no more). */
  record Page(List<Entry> entries, String nextMarker) {}

  /** Lists every partition's names after {@code marker} (exclusive), at most {@code maxResults} each. */
  @FunctionalInterface
  interface Source {
    Future<List<QueryResult>> list(String marker, int maxResults);
  }

  /**
   * U+10FFFF, the largest code point: the node orders names by their UTF-8 bytes (code point
   * order), so {@code P + U+10FFFF * n} sorts after every name of at most
   * {@link ResourceNames#MAX_BLOB_NAME_CHARS} characters that starts with {@code P}.
   */
  private static final String MAX_CODE_POINT = new String(Character.toChars(Character.MAX_CODE_POINT));

  private final Source source;
  private final String prefix;
  private final String delimiter;
  private final int maxResults;
  private final List<Entry> entries = new ArrayList<>();
  private String cursor;
  private String lastPrefix;
  private int rounds;

  private BlobHierarchy(Source source, String prefix, String delimiter, String marker, int maxResults) {
    this.source = source;
    this.prefix = prefix;
    this.delimiter = delimiter;
    this.maxResults = maxResults;
    String group = marker.isEmpty() ? null : groupOf(marker);
    if (group != null) {
      this.lastPrefix = group;
      this.cursor = skipPast(group);
    } else {
      this.cursor = marker;
    }
  }

  /** The page after {@code marker} ("" for the first). */
  static Future<Page> page(Source source, String prefix, String delimiter, String marker, int maxResults) {
    if (delimiter.isEmpty()) {
      throw new IllegalArgumentException("empty delimiter");
    }
    return new BlobHierarchy(source, prefix, delimiter, marker, maxResults).round();
  }

  /** The BlobPrefix {@code name} falls in, or null if it is listed as a blob. */
  String groupOf(String name) {
    if (!name.startsWith(prefix)) {
      return null;
    }
    int at = name.indexOf(delimiter, prefix.length());
    return at < 0 ? null : name.substring(0, at + delimiter.length());
  }

  /**
   * A marker that the node's "names strictly after" turns into "names after every name starting
   * with {@code group}". Names have at most 1024 UTF-16 characters, so the part after the group has
   * at most {@code (1024 - group.length()) / 2} supplementary code points; one more U+10FFFF sorts
   * after all of them. At most ~3 KiB of UTF-8, inside the node's 4 KiB bound for a marker.
   */
  static String skipPast(String group) {
    int n = Math.max(0, ResourceNames.MAX_BLOB_NAME_CHARS - group.length()) / 2 + 1;
    return group + MAX_CODE_POINT.repeat(n);
  }

  private Future<Page> round() {
    int ask = Math.min(PagedListing.DEFAULT_MAX_RESULTS, maxResults - entries.size() + 1);
    return source.list(cursor, ask).compose(results -> {
      rounds++;
      Boolean more = walk(results);
      if (more != null) {
        return Future.succeededFuture(finish(more));
      }
      if (rounds >= MAX_ROUNDS && !entries.isEmpty()) {
        return Future.succeededFuture(finish(true));
      }
      return round();
    });
  }

  /** Walks one round's answer: true/false when the page is complete (more or not), null for another round. */
  private Boolean walk(List<QueryResult> results) {
    List<BlobRecord> all = new ArrayList<>();
    String horizon = null;
    for (QueryResult r : results) {
      all.addAll(r.getBlobsList());
      if (r.getTruncated() && r.getBlobsCount() > 0) {
        String last = r.getBlobs(r.getBlobsCount() - 1).getName();
        if (horizon == null || PagedListing.CODE_POINT_ORDER.compare(last, horizon) < 0) {
          horizon = last;
        }
      }
    }
    boolean truncated = results.stream().anyMatch(QueryResult::getTruncated);
    all.sort((a, b) -> PagedListing.CODE_POINT_ORDER.compare(a.getName(), b.getName()));
    for (BlobRecord b : all) {
      String name = b.getName();
      if (horizon != null && PagedListing.CODE_POINT_ORDER.compare(name, horizon) > 0) {
        break;
      }
      if (lastPrefix != null && name.startsWith(lastPrefix)) {
        continue;
      }
      if (entries.size() == maxResults) {
        return true;
      }
      String group = groupOf(name);
      if (group != null) {
        entries.add(new Entry(null, group));
        lastPrefix = group;
        cursor = skipPast(group);
      } else {
        entries.add(new Entry(b, null));
        lastPrefix = null;
        cursor = name;
      }
    }
    return truncated ? null : Boolean.FALSE;
  }

  private Page finish(boolean more) {
    String next = more && !entries.isEmpty() ? entries.get(entries.size() - 1).name() : null;
    return new Page(List.copyOf(entries), next);
  }
}
