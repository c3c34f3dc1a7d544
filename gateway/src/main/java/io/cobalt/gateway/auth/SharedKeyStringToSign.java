package io.cobalt.gateway.auth;

import io.vertx.core.MultiMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The Blob service's Shared Key and Shared Key Lite strings-to-sign
 * (learn.microsoft.com/rest/api/storageservices/authorize-with-shared-key), byte for byte as the
 * Azure SDKs build them: fields joined by {@code \n}; Content-Length empty when 0; the Date line
 * empty when {@code x-ms-date} is present; canonicalized {@code x-ms-*} headers (lower-cased
 * names, sorted, {@code name:value\n}); canonicalized resource {@code /<account><raw path>} then
 * {@code \nname:value} per query parameter (names lower-cased and sorted, decoded values sorted
 * and comma-joined).
 */
public final class SharedKeyStringToSign {
  private SharedKeyStringToSign() {}

  /**
   * @param rawPath the request path exactly as sent (percent-encoded)
   * @param query decoded query parameters, names already lower-cased
   */
  public static String sharedKey(
      String verb, MultiMap headers, String account, String rawPath, Map<String, List<String>> query) {
    String contentLength = value(headers, "Content-Length");
    if ("0".equals(contentLength)) {
      contentLength = "";
    }
    StringBuilder s = new StringBuilder(256);
    s.append(verb).append('\n');
    s.append(value(headers, "Content-Encoding")).append('\n');
    s.append(value(headers, "Content-Language")).append('\n');
    s.append(contentLength).append('\n');
    s.append(value(headers, "Content-MD5")).append('\n');
    s.append(value(headers, "Content-Type")).append('\n');
    s.append(dateLine(headers)).append('\n');
    s.append(value(headers, "If-Modified-Since")).append('\n');
    s.append(value(headers, "If-Match")).append('\n');
    s.append(value(headers, "If-None-Match")).append('\n');
    s.append(value(headers, "If-Unmodified-Since")).append('\n');
    s.append(value(headers, "Range")).append('\n');
    canonicalHeaders(s, headers);
    s.append('/').append(account).append(rawPath.isEmpty() ? "/" : rawPath);
    for (Map.Entry<String, List<String>> e : query.entrySet()) {
      List<String> values = new ArrayList<>(e.getValue());
      values.sort(null);
      s.append('\n').append(e.getKey()).append(':').append(String.join(",", values));
    }
    return s.toString();
  }

  /** Shared Key Lite: VERB, Content-MD5, Content-Type, Date, headers, resource with only ?comp. */
  public static String sharedKeyLite(
      String verb, MultiMap headers, String account, String rawPath, Map<String, List<String>> query) {
    StringBuilder s = new StringBuilder(128);
    s.append(verb).append('\n');
    s.append(value(headers, "Content-MD5")).append('\n');
    s.append(value(headers, "Content-Type")).append('\n');
    s.append(dateLine(headers)).append('\n');
    canonicalHeaders(s, headers);
    s.append('/').append(account).append(rawPath.isEmpty() ? "/" : rawPath);
    List<String> comp = query.get("comp");
    if (comp != null && !comp.isEmpty()) {
      s.append("?comp=").append(comp.get(0));
    }
    return s.toString();
  }

  /**
   * Shared Key for the Table service: VERB, Content-MD5, Content-Type, the date ({@code x-ms-date}
   * when present, else {@code Date}), then the canonicalized resource with only {@code ?comp}. No
   * canonicalized headers (learn.microsoft.com "Shared Key authorization for the Table service").
   */
  public static String tableSharedKey(
      String verb, MultiMap headers, String account, String rawPath, Map<String, List<String>> query) {
    return verb + '\n' + value(headers, "Content-MD5") + '\n' + value(headers, "Content-Type") + '\n'
        + tableDate(headers) + '\n' + tableResource(account, rawPath, query);
  }

  /** Shared Key Lite for the Table service: the date ({@code x-ms-date} or {@code Date}), then the resource. */
  public static String tableSharedKeyLite(
      String verb, MultiMap headers, String account, String rawPath, Map<String, List<String>> query) {
    return tableDate(headers) + '\n' + tableResource(account, rawPath, query);
  }

  private static String tableDate(MultiMap headers) {
    String d = headers.get("x-ms-date");
    return d != null ? d : value(headers, "Date");
  }

  private static String tableResource(String account, String rawPath, Map<String, List<String>> query) {
    StringBuilder s = new StringBuilder().append('/').append(account).append(rawPath.isEmpty() ? "/" : rawPath);
    List<String> comp = query.get("comp");
    if (comp != null && !comp.isEmpty()) {
      s.append("?comp=").append(comp.get(0));
    }
    return s.toString();
  }

  private static String dateLine(MultiMap headers) {
    return headers.contains("x-ms-date") ? "" : value(headers, "Date");
  }

  private static void canonicalHeaders(StringBuilder s, MultiMap headers) {
    TreeMap<String, List<String>> xms = new TreeMap<>();
    for (Map.Entry<String, String> h : headers) {
      String name = h.getKey().toLowerCase(Locale.ROOT).trim();
      if (name.startsWith("x-ms-")) {
        xms.computeIfAbsent(name, k -> new ArrayList<>()).add(h.getValue().strip());
      }
    }
    for (Map.Entry<String, List<String>> e : xms.entrySet()) {
      s.append(e.getKey()).append(':').append(String.join(",", e.getValue())).append('\n');
    }
  }

  private static String value(MultiMap headers, String name) {
    String v = headers.get(name);
    return v == null ? "" : v;
  }
}
