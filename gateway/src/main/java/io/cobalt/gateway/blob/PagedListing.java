package io.cobalt.gateway.blob;

import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureRequest;
import io.cobalt.proto.node.v1.QueryResult;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;

/**
 * One page of a listing merged from every partition's sorted answer. Each partition returns at
 * most {@code maxResults} names after the marker; the page is the first {@code maxResults} of their
 * union, and more remain if the union was larger or any partition said it was truncated. The
 * next marker is the last name returned (names are unique, and each partition lists names strictly
 * after the marker).
 */
record PagedListing<T>(List<T> items, String nextMarker) {
  static final int DEFAULT_MAX_RESULTS = 5000;

  /**
   * The nodes' order of names: by code point (= by UTF-8 bytes). {@link String#compareTo} compares
   * UTF-16 units, which puts supplementary characters before U+E000..U+FFFF: merging with it would
   * disagree with the partitions' own order and the markers they honour.
   */
  static final Comparator<String> CODE_POINT_ORDER = (a, b) -> {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Integer.compare(a.length() - i, b.length() - j);
  };

  static <T> PagedListing<T> merge(
      List<QueryResult> results, Function<QueryResult, List<T>> items, Function<T, String> name, int maxResults) {
    List<T> all = new ArrayList<>();
    boolean truncated = false;
    for (QueryResult r : results) {
      all.addAll(items.apply(r));
      truncated |= r.getTruncated();
    }
    all.sort(Comparator.comparing(name, CODE_POINT_ORDER));
    boolean more = truncated || all.size() > maxResults;
    List<T> page = all.size() > maxResults ? new ArrayList<>(all.subList(0, maxResults)) : all;
    String next = more && !page.isEmpty() ? name.apply(page.get(page.size() - 1)) : null;
    return new PagedListing<>(page, next);
  }

  /** {@code maxresults}: absent → 5000; not a number → 400 InvalidQueryParameterValue; outside 1..5000 → 400 OutOfRangeQueryParameterValue. */
  static int maxResults(AzureRequest r) {
    String v = r.queryParam("maxresults");
    if (v == null) {
      return DEFAULT_MAX_RESULTS;
    }
    long n;
    try {
      n = Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      throw AzureError.INVALID_QUERY_PARAMETER_VALUE.exception("QueryParameterName", "maxresults");
    }
    if (n < 1 || n > DEFAULT_MAX_RESULTS) {
      throw AzureError.OUT_OF_RANGE_QUERY_PARAMETER_VALUE.exception("QueryParameterName", "maxresults");
    }
    return (int) n;
  }

  /** {@code include}: comma-separated; true if it names {@code metadata}; unknown values → 400. */
  static boolean includesMetadata(AzureRequest r, java.util.Set<String> known) {
    return includes(r, known).contains("metadata");
  }

  /** {@code include}: comma-separated, case-insensitive; the values named; unknown values → 400. */
  static java.util.Set<String> includes(AzureRequest r, java.util.Set<String> known) {
    java.util.Set<String> named = new java.util.HashSet<>();
    List<String> values = r.query().get("include");
    if (values == null) {
      return named;
    }
    for (String v : values) {
      for (String part : v.split(",")) {
        String p = part.trim().toLowerCase(java.util.Locale.ROOT);
        if (p.isEmpty()) {
          continue;
        }
        if (!known.contains(p)) {
          throw AzureError.INVALID_QUERY_PARAMETER_VALUE.exception("QueryParameterName", "include");
        }
        named.add(p);
      }
    }
    return named;
  }

  /** Whether {@code include} names {@code value} (call {@link #includesMetadata} first: it validates). */
  static boolean includes(AzureRequest r, String value) {
    List<String> values = r.query().get("include");
    if (values == null) {
      return false;
    }
    for (String v : values) {
      for (String part : v.split(",")) {
        if (part.trim().equalsIgnoreCase(value)) {
          return true;
        }
      }
    }
    return false;
  }

  /** A query value bounded in length (prefix, marker), or "" when absent. */
  static String boundedParam(AzureRequest r, String name, int maxChars) {
    String v = r.queryParam(name);
    if (v == null) {
      return "";
    }
    if (v.length() > maxChars) {
      throw AzureError.INVALID_QUERY_PARAMETER_VALUE.exception("QueryParameterName", name);
    }
    return v;
  }
}
