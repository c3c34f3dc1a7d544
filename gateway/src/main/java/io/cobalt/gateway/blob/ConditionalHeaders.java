package io.cobalt.gateway.blob;

import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureRequest;
import io.cobalt.gateway.http.HttpDates;
import io.cobalt.proto.node.v1.Condition;

/**
 * If-Match, If-None-Match, If-Modified-Since and If-Unmodified-Since. Writes carry them to the
 * partition leader as a {@link Condition} (evaluated at the apply step, so they are linearizable per
 * key); reads evaluate them here against the record they read, with Azure's answers: 304 (no body)
 * for If-None-Match / If-Modified-Since, 412 ConditionNotMet for If-Match / If-Unmodified-Since.
 */
final class ConditionalHeaders {
  /** What a read should answer. */
  enum ReadOutcome { PROCEED, NOT_MODIFIED }

  private ConditionalHeaders() {}

  /** The request's conditions; 400 InvalidHeaderValue for a date that does not parse. */
  static Condition of(AzureRequest r) {
    Condition.Builder c = Condition.newBuilder();
    String ifMatch = r.header("If-Match");
    if (ifMatch != null) {
      c.setIfMatch(ifMatch.trim());
    }
    String ifNoneMatch = r.header("If-None-Match");
    if (ifNoneMatch != null) {
      c.setIfNoneMatch(ifNoneMatch.trim());
    }
    String since = r.header("If-Modified-Since");
    if (since != null) {
      c.setIfModifiedSinceMillis(date("If-Modified-Since", since));
    }
    String unmodified = r.header("If-Unmodified-Since");
    if (unmodified != null) {
      c.setIfUnmodifiedSinceMillis(date("If-Unmodified-Since", unmodified));
    }
    String leaseId = r.header("x-ms-lease-id");
    if (leaseId != null) {
      c.setLeaseId(leaseId(leaseId, "x-ms-lease-id"));
    }
    // The time at which a lease is judged at the apply step (ADR 0015): the request's.
    c.setNowEpochMillis(r.received().toEpochMilli());
    return c.build();
  }

  /**
   * A copy's conditions on its source ({@code x-ms-source-if-match}, {@code -if-none-match},
   * {@code -if-modified-since}, {@code -if-unmodified-since}, {@code x-ms-source-lease-id}), to be
   * evaluated with {@link #read} against the source record read.
   */
  static Condition ofSource(AzureRequest r) {
    Condition.Builder c = Condition.newBuilder();
    String ifMatch = r.header("x-ms-source-if-match");
    if (ifMatch != null) {
      c.setIfMatch(ifMatch.trim());
    }
    String ifNoneMatch = r.header("x-ms-source-if-none-match");
    if (ifNoneMatch != null) {
      c.setIfNoneMatch(ifNoneMatch.trim());
    }
    String since = r.header("x-ms-source-if-modified-since");
    if (since != null) {
      c.setIfModifiedSinceMillis(date("x-ms-source-if-modified-since", since));
    }
    String unmodified = r.header("x-ms-source-if-unmodified-since");
    if (unmodified != null) {
      c.setIfUnmodifiedSinceMillis(date("x-ms-source-if-unmodified-since", unmodified));
    }
    String leaseId = r.header("x-ms-source-lease-id");
    if (leaseId != null) {
      c.setLeaseId(leaseId(leaseId, "x-ms-source-lease-id"));
    }
    c.setNowEpochMillis(r.received().toEpochMilli());
    return c.build();
  }

  private static final java.util.regex.Pattern GUID =
      java.util.regex.Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

  /** A lease id header: Azure accepts only GUIDs (400 InvalidHeaderValue). */
  static String leaseId(String value, String header) {
    String v = value.trim();
    if (!GUID.matcher(v).matches()) {
      throw AzureError.INVALID_HEADER_VALUE.exception("HeaderName", header);
    }
    return v;
  }

  /** Containers take only the date conditions (Azure refuses the ETag ones with 400). */
  static Condition ofContainer(AzureRequest r) {
    Condition c = of(r);
    if (c.hasIfMatch() || c.hasIfNoneMatch()) {
      throw AzureError.UNSUPPORTED_HEADER.exception("HeaderName", c.hasIfMatch() ? "If-Match" : "If-None-Match");
    }
    return c;
  }

  /** A read's conditions against the record it read: 412 thrown, 304 returned as NOT_MODIFIED. */
  static ReadOutcome read(Condition c, String etag, long lastModifiedMillis) {
    if (c.hasIfMatch() && !matches(c.getIfMatch(), etag)) {
      throw AzureError.CONDITION_NOT_MET.exception();
    }
    long modifiedSecond = Math.floorDiv(lastModifiedMillis, 1000);
    if (c.hasIfUnmodifiedSinceMillis() && modifiedSecond > Math.floorDiv(c.getIfUnmodifiedSinceMillis(), 1000)) {
      throw AzureError.CONDITION_NOT_MET.exception();
    }
    if (c.hasIfNoneMatch() && matches(c.getIfNoneMatch(), etag)) {
      return ReadOutcome.NOT_MODIFIED;
    }
    if (c.hasIfModifiedSinceMillis() && modifiedSecond <= Math.floorDiv(c.getIfModifiedSinceMillis(), 1000)) {
      return ReadOutcome.NOT_MODIFIED;
    }
    return ReadOutcome.PROCEED;
  }

  /** Answers 304 Not Modified: no body, the ETag and Last-Modified of the record. */
  static void endNotModified(AzureRequest r, String etag, long lastModifiedMillis) {
    r.response(304)
        .putHeader("ETag", etag)
        .putHeader("Last-Modified", HttpDates.rfc1123(lastModifiedMillis))
        .putHeader("x-ms-error-code", AzureError.CONDITION_NOT_MET.code())
        .end();
  }

  private static boolean matches(String header, String etag) {
    for (String candidate : header.split(",")) {
      String t = candidate.trim();
      if (t.equals("*") || t.equals(etag) || unquote(t).equals(unquote(etag))) {
        return true;
      }
    }
    return false;
  }

  private static String unquote(String s) {
    return s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"") ? s.substring(1, s.length() - 1) : s;
  }

  private static long date(String header, String value) {
    java.time.Instant t = HttpDates.parseRfc1123(value);
    if (t == null) {
      throw AzureError.INVALID_HEADER_VALUE.exception("HeaderName", header);
    }
    return t.toEpochMilli();
  }
}
