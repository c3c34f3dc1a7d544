package io.cobalt.gateway.blob;

import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureRequest;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import java.util.ArrayList;
import java.util.List;

/**
 * CORS for one service (Blob, Queue or Table), from the account's CORS rules of that service (Set
 * Blob / Queue / Table Service Properties).
 *
 * <p>A preflight ({@code OPTIONS} with {@code Origin} and {@code Access-Control-Request-Method}, on
 * any URL of the account) needs no authorization: 200 with the Access-Control-Allow-* headers when
 * a rule allows the origin, method and every requested header (rules in order, the first wins),
 * else 403 CorsPreflightFailure (400 InvalidHeaderValue without Origin or the request method). A normal request with an {@code Origin} that a rule allows (with
 * the request's method) gets Access-Control-Allow-Origin, Access-Control-Expose-Headers and, for a
 * named origin, Access-Control-Allow-Credentials and {@code Vary: Origin}, on whatever response it
 * ends with. CORS is not authorization: the request is authorized as any other.
 */
public final class Cors {
  private final ServicePropertiesHandler properties;

  public Cors(ServicePropertiesHandler properties) {
    this.properties = properties;
  }

  /** OPTIONS requests are preflights, answered by {@link #preflight} without authentication. */
  public static boolean isPreflight(AzureRequest r) {
    return r.method() == HttpMethod.OPTIONS;
  }

  public Future<Void> preflight(AzureRequest r) {
    String origin = r.header("Origin");
    String method = r.header("Access-Control-Request-Method");
    String account = r.path().account();
    if (origin == null || origin.isBlank() || method == null || method.isBlank()) {
      // As Azurite (the emulator) answers a preflight without its required headers.
      throw AzureError.INVALID_HEADER_VALUE.exceptionWithMessage("A required CORS header is not present.");
    }
    if (account == null || account.isEmpty()) {
      throw AzureError.CORS_PREFLIGHT_FAILURE.exception();
    }
    List<String> headers = headerList(r.header("Access-Control-Request-Headers"));
    return properties.properties(r.context(), account).map(p -> {
      ServiceProperties.CorsRule rule = p.match(origin.trim(), method.trim(), headers);
      if (rule == null) {
        throw AzureError.CORS_PREFLIGHT_FAILURE.exception();
      }
      HttpServerResponse resp = r.response(200);
      resp.putHeader("Access-Control-Allow-Origin", rule.anyOrigin() ? "*" : origin.trim())
          .putHeader("Access-Control-Allow-Methods", method.trim())
          .putHeader("Access-Control-Max-Age", Integer.toString(rule.maxAgeInSeconds()));
      if (!headers.isEmpty()) {
        resp.putHeader("Access-Control-Allow-Headers", String.join(",", headers));
      }
      if (!rule.anyOrigin()) {
        resp.putHeader("Access-Control-Allow-Credentials", "true").putHeader("Vary", "Origin");
      }
      resp.putHeader("Content-Length", "0").end();
      return null;
    });
  }

  /**
   * For a request with an {@code Origin}: looks the rules up and arranges for the CORS headers on
   * the response, whatever it is. Completes at once (no lookup) without an {@code Origin}.
   */
  public Future<Void> decorate(AzureRequest r) {
    String origin = r.header("Origin");
    if (origin == null || origin.isBlank() || r.path().account() == null || r.path().account().isEmpty()) {
      return Future.succeededFuture();
    }
    return properties.properties(r.context(), r.path().account()).map(p -> {
      ServiceProperties.CorsRule rule = p.match(origin.trim(), r.method().name(), List.of());
      if (rule != null) {
        HttpServerResponse resp = r.http().response();
        resp.headersEndHandler(v -> {
          resp.putHeader("Access-Control-Allow-Origin", rule.anyOrigin() ? "*" : origin.trim());
          if (!rule.exposedHeaders().isEmpty()) {
            resp.putHeader("Access-Control-Expose-Headers", String.join(",", rule.exposedHeaders()));
          }
          if (!rule.anyOrigin()) {
            resp.putHeader("Access-Control-Allow-Credentials", "true").putHeader("Vary", "Origin");
          }
        });
      }
      return null;
    });
  }

  /** Access-Control-Request-Headers: comma-separated names; at most 64 considered (more fail). */
  private static List<String> headerList(String value) {
    List<String> out = new ArrayList<>();
    if (value == null) {
      return out;
    }
    for (String s : value.split(",")) {
      String h = s.trim();
      if (!h.isEmpty()) {
        if (out.size() == ServiceProperties.MAX_LIST_ENTRIES) {
          throw AzureError.CORS_PREFLIGHT_FAILURE.exception();
        }
        out.add(h);
      }
    }
    return out;
  }
}
