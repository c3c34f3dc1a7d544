package io.cobalt.gateway.table;

import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The body of a Table {@code $batch} request, parsed: a multipart/mixed batch holding either one
 * changeset (multipart/mixed) of {@code application/http} requests, or (as Azure allows) one
 * {@code application/http} retrieve request ({@code GET}) on its own, outside any changeset. Each
 * request is a request line ({@code METHOD URL HTTP/1.1}, the URL absolute or a path), headers and
 * an optional body. Lines end with CRLF (a bare LF is accepted). Nothing here throws anything but
 * an {@link AzureException} (400 InvalidInput for every malformed shape, including a retrieve next
 * to a changeset or another retrieve, and a retrieve that is not a GET).
 *
 * @param requests the changeset's requests (empty for a retrieve batch)
 * @param retrieve the batch's one retrieve request, or null for a changeset batch
 */
record BatchRequest(List<SubRequest> requests, SubRequest retrieve) {
  /** Parts read from one multipart body at most: the 100 operations Azure allows, and some slack to say so. */
  static final int MAX_PARTS = 1_000;
  /** Header lines of one part or sub-request at most. */
  static final int MAX_HEADERS = 100;

  /**
   * One request of the changeset.
   *
   * @param method upper-case verb (a POST with X-HTTP-Method tunnels that verb)
   * @param path the URL's path, still percent-encoded
   * @param query the URL's query (after '?'), still percent-encoded, or null
   * @param headers names lower-case
   * @param contentId the part's Content-ID, or null
   */
  record SubRequest(String method, String path, String query, Map<String, String> headers, String body,
      String contentId) {
    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    /** A query parameter (percent-decoded; '+' is a space), or null. */
    String queryParam(String name) {
      if (query == null) {
        return null;
      }
      for (String pair : query.split("&")) {
        int eq = pair.indexOf('=');
        String key = java.net.URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
        if (key.equals(name)) {
          return eq < 0 ? "" : java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
        }
      }
      return null;
    }
  }

  /** A MIME part: headers (names lower-case) and content. */
  record Part(Map<String, String> headers, String content) {}

  /** Parses a batch whose Content-Type is {@code contentType}. */
  static BatchRequest parse(String contentType, String body) {
    String boundary = boundary(contentType);
    List<Part> outer = parts(body, boundary);
    int retrieves = 0;
    for (Part p : outer) {
      String type = p.headers().get("content-type");
      if (type != null && type.trim().toLowerCase(Locale.ROOT).startsWith("application/http")) {
        retrieves++;
      }
    }
    if (retrieves > 0) {
      if (outer.size() != 1) {
        throw invalid("a batch holds one changeset or one retrieve operation, not both and not more");
      }
      SubRequest retrieve = subRequest(outer.get(0));
      if (!retrieve.method().equals("GET")) {
        throw invalid("an operation outside a changeset must be a retrieve (GET)");
      }
      return new BatchRequest(List.of(), retrieve);
    }
    if (outer.size() != 1) {
      throw invalid("a batch holds exactly one changeset");
    }
    Part changeset = outer.get(0);
    String changesetBoundary = boundary(changeset.headers().get("content-type"));
    List<SubRequest> requests = new ArrayList<>();
    for (Part p : parts(changeset.content(), changesetBoundary)) {
      requests.add(subRequest(p));
    }
    if (requests.isEmpty()) {
      throw invalid("the changeset is empty");
    }
    return new BatchRequest(requests, null);
  }

  /** The boundary parameter of a multipart/mixed media type. */
  static String boundary(String contentType) {
    if (contentType == null || !contentType.trim().toLowerCase(Locale.ROOT).startsWith("multipart/mixed")) {
      throw invalid("the content type is not multipart/mixed");
    }
    for (String param : contentType.split(";")) {
      String p = param.trim();
      int eq = p.indexOf('=');
      if (eq > 0 && p.substring(0, eq).trim().equalsIgnoreCase("boundary")) {
        String b = p.substring(eq + 1).trim();
        if (b.length() >= 2 && b.startsWith("\"") && b.endsWith("\"")) {
          b = b.substring(1, b.length() - 1);
        }
        if (b.isEmpty() || b.length() > 70) {
          throw invalid("invalid multipart boundary");
        }
        return b;
      }
    }
    throw invalid("the multipart content type has no boundary");
  }

  /** The parts of a multipart body: between the delimiter lines, up to the closing delimiter. */
  static List<Part> parts(String body, String boundary) {
    String delimiter = "--" + boundary;
    int at = lineStartingWith(body, delimiter, 0);
    if (at < 0) {
      throw invalid("the multipart body has no delimiter");
    }
    List<Part> parts = new ArrayList<>();
    while (true) {
      int afterDelimiter = at + delimiter.length();
      if (body.startsWith("--", afterDelimiter)) {
        return parts;                                   // the closing delimiter
      }
      int lineEnd = body.indexOf('\n', afterDelimiter);
      if (lineEnd < 0) {
        throw invalid("the multipart body ends inside a delimiter line");
      }
      int next = lineStartingWith(body, delimiter, lineEnd + 1);
      if (next < 0) {
        throw invalid("the multipart body has no closing delimiter");
      }
      int contentEnd = next;                              // the line break before a delimiter is part of it
      if (contentEnd > lineEnd + 1 && body.charAt(contentEnd - 1) == '\n') {
        contentEnd--;
        if (contentEnd > lineEnd + 1 && body.charAt(contentEnd - 1) == '\r') {
          contentEnd--;
        }
      }
      if (parts.size() >= MAX_PARTS) {
        throw invalid("too many parts");
      }
      parts.add(part(body.substring(lineEnd + 1, Math.max(lineEnd + 1, contentEnd))));
      at = next;
    }
  }

  /** The index of the first line at or after {@code from} that starts with {@code prefix}, or -1. */
  private static int lineStartingWith(String s, String prefix, int from) {
    int i = from;
    while (i <= s.length()) {
      if ((i == 0 || s.charAt(i - 1) == '\n') && s.startsWith(prefix, i)) {
        return i;
      }
      int nl = s.indexOf('\n', i);
      if (nl < 0) {
        return -1;
      }
      i = nl + 1;
    }
    return -1;
  }

  private static Part part(String text) {
    Map<String, String> headers = new LinkedHashMap<>();
    int at = 0;
    while (true) {
      int nl = text.indexOf('\n', at);
      String line = nl < 0 ? text.substring(at) : text.substring(at, nl);
      line = stripCr(line);
      at = nl < 0 ? text.length() : nl + 1;
      if (line.isEmpty()) {
        return new Part(headers, text.substring(at));
      }
      header(headers, line);
      if (nl < 0) {
        return new Part(headers, "");
      }
    }
  }

  private static SubRequest subRequest(Part p) {
    String type = p.headers().get("content-type");
    if (type == null || !type.trim().toLowerCase(Locale.ROOT).startsWith("application/http")) {
      throw invalid("a changeset part is not application/http");
    }
    String text = p.content();
    int nl = text.indexOf('\n');
    if (nl < 0) {
      throw invalid("a changeset request has no request line");
    }
    String[] requestLine = stripCr(text.substring(0, nl)).split(" ");
    if (requestLine.length != 3 || !requestLine[2].startsWith("HTTP/")) {
      throw invalid("malformed request line");
    }
    Map<String, String> headers = new LinkedHashMap<>();
    int at = nl + 1;
    String body = "";
    while (at <= text.length()) {
      int end = text.indexOf('\n', at);
      String line = stripCr(end < 0 ? text.substring(at) : text.substring(at, end));
      at = end < 0 ? text.length() + 1 : end + 1;
      if (line.isEmpty()) {
        body = at <= text.length() ? text.substring(at) : "";
        break;
      }
      header(headers, line);
    }
    String method = requestLine[0].toUpperCase(Locale.ROOT);
    String tunnelled = headers.get("x-http-method");
    if (method.equals("POST") && tunnelled != null) {
      method = tunnelled.trim().toUpperCase(Locale.ROOT);
    }
    String url = requestLine[1];
    int q = url.indexOf('?');
    return new SubRequest(method, path(url), q < 0 ? null : url.substring(q + 1), headers, body,
        p.headers().get("content-id"));
  }

  /** The path of an absolute URL or of a path, without its query. */
  private static String path(String url) {
    String u = url;
    int scheme = u.indexOf("://");
    if (scheme > 0 && scheme < u.indexOf('/')) {
      int slash = u.indexOf('/', scheme + 3);
      u = slash < 0 ? "/" : u.substring(slash);
    }
    int q = u.indexOf('?');
    if (q >= 0) {
      u = u.substring(0, q);
    }
    if (!u.startsWith("/")) {
      throw invalid("a changeset request's URL is not absolute");
    }
    return u;
  }

  private static void header(Map<String, String> headers, String line) {
    int colon = line.indexOf(':');
    if (colon <= 0) {
      throw invalid("malformed header line");
    }
    if (headers.size() >= MAX_HEADERS) {
      throw invalid("too many headers");
    }
    headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
  }

  private static String stripCr(String line) {
    return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
  }

  private static AzureException invalid(String why) {
    return AzureError.INVALID_INPUT.exceptionWithMessage(AzureError.INVALID_INPUT.message() + " " + why + ".");
  }
}
