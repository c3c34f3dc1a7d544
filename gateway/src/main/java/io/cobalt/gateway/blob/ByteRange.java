package io.cobalt.gateway.blob;

import io.cobalt.gateway.http.AzureError;

/**
 * A byte range of a blob, {@code [offset, offset + length)}, from {@code Range} or {@code x-ms-range}
 * ({@code bytes=a-b} or {@code bytes=a-}; {@code x-ms-range} wins when both are sent).
 */
public record ByteRange(long offset, long length) {

  public long lastInclusive() {
    return offset + length - 1;
  }

  /** The Content-Range value, {@code bytes a-b/size}. */
  public String contentRange(long size) {
    return "bytes " + offset + "-" + lastInclusive() + "/" + size;
  }

  /**
   * Resolves the request's range against a blob of {@code size} bytes.
   *
   * @return null for the whole blob (no range, or a {@code Range} header this parser ignores as
   *     HTTP allows: suffix or multi-range forms)
   * @throws io.cobalt.gateway.http.AzureException InvalidRange (416) if the range starts at or past
   *     the end; InvalidHeaderValue for a malformed {@code x-ms-range}
   */
  public static ByteRange resolve(String rangeHeader, String xmsRange, long size) {
    Spec spec;
    if (xmsRange != null) {
      spec = parse(xmsRange);
      if (spec == null) {
        throw AzureError.INVALID_HEADER_VALUE.exception("HeaderName", "x-ms-range");
      }
    } else if (rangeHeader != null) {
      spec = parse(rangeHeader);
      if (spec == null) {
        return null;
      }
    } else {
      return null;
    }
    if (spec.first >= size) {
      throw AzureError.INVALID_RANGE.exception();
    }
    long last = spec.last < 0 ? size - 1 : Math.min(spec.last, size - 1);
    return new ByteRange(spec.first, last - spec.first + 1);
  }

  private record Spec(long first, long last) {}

  /** {@code bytes=a-b} or {@code bytes=a-}; null when malformed or a form not supported. */
  static Spec parse(String header) {
    String h = header.trim();
    if (!h.startsWith("bytes=")) {
      return null;
    }
    String spec = h.substring(6).trim();
    int dash = spec.indexOf('-');
    if (dash <= 0 || spec.indexOf(',') >= 0) {
      return null;
    }
    try {
      long first = Long.parseLong(spec.substring(0, dash).trim());
      String end = spec.substring(dash + 1).trim();
      long last = end.isEmpty() ? -1 : Long.parseLong(end);
      if (first < 0 || (last >= 0 && last < first) || (!end.isEmpty() && last < 0)) {
        return null;
      }
      return new Spec(first, last);
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
