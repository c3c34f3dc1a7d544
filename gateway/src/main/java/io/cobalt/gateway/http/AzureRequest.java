package io.cobalt.gateway.http;

import io.cobalt.gateway.authz.Grant;
import io.vertx.core.Context;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One Blob request in flight: the Vert.x request on its event-loop context, its request id and
 * service version, the parsed path and query (names lower-cased, values decoded). Every response
 * goes out through {@link #response(int)} so that it carries {@code x-ms-request-id},
 * {@code x-ms-version}, {@code Date} and {@code Server}. Touch only on the request's context.
 */
public final class AzureRequest {
  /** Service version answered when the client sends none. */
  public static final String DEFAULT_VERSION = "2025-11-05";

  private final HttpServerRequest request;
  private final Context context;
  private final String requestId;
  private final String version;
  private final Instant received;
  private final ResourcePath path;
  private final Map<String, List<String>> query;
  private Grant grant;
  private io.cobalt.gateway.auth.SasAccess sas;

  AzureRequest(HttpServerRequest request, Context context, String requestId, Instant received, ResourcePath path) {
    this.request = request;
    this.context = context;
    this.requestId = requestId;
    this.received = received;
    String v = request.getHeader("x-ms-version");
    this.version = v == null || v.isBlank() || v.length() > 32 ? DEFAULT_VERSION : v;
    this.path = path;
    this.query = parseQuery(request.params());
  }

  private AzureRequest(AzureRequest of, ResourcePath path, Map<String, List<String>> query) {
    this.request = of.request;
    this.context = of.context;
    this.requestId = of.requestId;
    this.received = of.received;
    this.version = of.version;
    this.path = path;
    Map<String, List<String>> lower = new TreeMap<>();
    query.forEach((k, v) -> lower.computeIfAbsent(k.toLowerCase(java.util.Locale.ROOT), x -> new ArrayList<>()).addAll(v));
    lower.replaceAll((k, v) -> Collections.unmodifiableList(v));
    this.query = Collections.unmodifiableMap(lower);
  }

  /**
   * The source of a copy (Copy Blob, Put Blob From URL) as a request of its own, for authenticating
   * and authorizing its SAS: the path and query of the source URL, this request's time, context,
   * client address and protocol. Its headers are this request's: authenticate it only by its query
   * (a SAS) or by this request's principal, never by {@code Authorization}. No grant, no response.
   */
  public AzureRequest copySource(ResourcePath sourcePath, Map<String, List<String>> sourceQuery) {
    return new AzureRequest(this, sourcePath, sourceQuery);
  }

  private static Map<String, List<String>> parseQuery(MultiMap params) {
    Map<String, List<String>> out = new TreeMap<>();
    for (Map.Entry<String, String> e : params) {
      out.computeIfAbsent(e.getKey().toLowerCase(java.util.Locale.ROOT), k -> new ArrayList<>()).add(e.getValue());
    }
    out.replaceAll((k, v) -> Collections.unmodifiableList(v));
    return Collections.unmodifiableMap(out);
  }

  public HttpServerRequest http() {
    return request;
  }

  public Context context() {
    return context;
  }

  public HttpMethod method() {
    return request.method();
  }

  public String requestId() {
    return requestId;
  }

  public String version() {
    return version;
  }

  public Instant received() {
    return received;
  }

  public ResourcePath path() {
    return path;
  }

  /** Query parameters, names lower-cased and sorted, values decoded, in arrival order. */
  public Map<String, List<String>> query() {
    return query;
  }

  /** The first value of a query parameter (name lower-case), or null. */
  public String queryParam(String name) {
    List<String> values = query.get(name);
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  public String header(String name) {
    return request.getHeader(name);
  }

  /** Whether the request arrived over TLS (HTTPS). */
  public boolean secure() {
    return request.isSSL();
  }

  /** The client's IP address as text (what {@code sip} is checked against), or null if unknown. */
  public String remoteIp() {
    return request.remoteAddress() == null ? null : request.remoteAddress().hostAddress();
  }

  /**
   * What authorization granted this request (set by {@link RequestPipeline} before the operation
   * runs; an operation never sees a request without one).
   */
  public Grant grant() {
    if (grant == null) {
      throw new IllegalStateException("request not authorized");
    }
    return grant;
  }

  void grant(Grant grant) {
    this.grant = grant;
  }

  /**
   * On the Table and Queue endpoints, what the request's SAS allows (the operation asks it); null
   * when the request was signed with an account key (everything in the account).
   */
  public io.cobalt.gateway.auth.SasAccess sas() {
    return sas;
  }

  void sas(io.cobalt.gateway.auth.SasAccess sas) {
    this.sas = sas;
  }

  /** The response, with the headers every Azure response carries, and the status set. */
  public HttpServerResponse response(int status) {
    HttpServerResponse r = request.response();
    r.setStatusCode(status);
    MultiMap h = r.headers();
    h.set("x-ms-request-id", requestId);
    h.set("x-ms-version", version);
    h.set("Date", HttpDates.rfc1123(received.toEpochMilli()));
    h.set("Server", "Cobalt-Blob/1.0");
    String clientRequestId = request.getHeader("x-ms-client-request-id");
    if (clientRequestId != null && clientRequestId.length() <= 1024) {
      h.set("x-ms-client-request-id", clientRequestId);
    }
    return r;
  }

  /** Ends the response with no body. */
  public void end(int status) {
    response(status).putHeader("Content-Length", "0").end();
  }

  /** Ends the response with an XML body. */
  public void endXml(int status, String xml) {
    Buffer body = Buffer.buffer(xml);
    response(status)
        .putHeader("Content-Type", "application/xml")
        .putHeader("Content-Length", Integer.toString(body.length()))
        .end(body);
  }

  /**
   * The Table service's error response for {@code e}: Azure's JSON error body
   * ({@code {"odata.error":{"code":…,"message":{"lang":"en-US","value":…}}}}) and x-ms-error-code.
   */
  public void endTableError(AzureException e) {
    AzureError error = e.error();
    HttpServerResponse r = response(error.status()).putHeader("x-ms-error-code", error.code());
    if (request.method() == HttpMethod.HEAD) {
      r.putHeader("Content-Length", "0").end();
      return;
    }
    String message = e.azureMessage() + "\nRequestId:" + requestId + "\nTime:" + HttpDates.iso7(received);
    String json = "{\"odata.error\":{\"code\":" + jsonString(error.code())
        + ",\"message\":{\"lang\":\"en-US\",\"value\":" + jsonString(message) + "}}}";
    Buffer body = Buffer.buffer(json);
    r.putHeader("Content-Type", "application/json;odata=minimalmetadata;streaming=true;charset=utf-8")
        .putHeader("Content-Length", Integer.toString(body.length()))
        .end(body);
  }

  private static String jsonString(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < 0x20) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.append('"').toString();
  }

  /** The Azure error response for {@code e}: XML body (none for HEAD) and x-ms-error-code. */
  public void endError(AzureException e) {
    AzureError error = e.error();
    HttpServerResponse r = response(error.status()).putHeader("x-ms-error-code", error.code());
    if (request.method() == HttpMethod.HEAD) {
      r.putHeader("Content-Length", "0").end();
      return;
    }
    StringBuilder xml = new StringBuilder(256).append(Xml.DECLARATION).append("<Error>");
    Xml.element(xml, "Code", error.code());
    Xml.element(
        xml,
        "Message",
        e.azureMessage() + "\nRequestId:" + requestId + "\nTime:" + HttpDates.iso7(received));
    for (Map.Entry<String, String> d : new TreeMap<>(e.details()).entrySet()) {
      Xml.element(xml, d.getKey(), d.getValue());
    }
    xml.append("</Error>");
    Buffer body = Buffer.buffer(xml.toString());
    r.putHeader("Content-Type", "application/xml")
        .putHeader("Content-Length", Integer.toString(body.length()))
        .end(body);
  }
}
