package io.cobalt.gateway.auth;

import io.cobalt.gateway.http.AzureRequest;
import java.util.List;

/**
 * The SAS query parameters of a request, raw (decoded) as the client sent them: the values the
 * signature covers. Parsing their meaning (dates, ranges, permissions) is {@link SasAuthenticator}'s.
 */
public record SasToken(
    String signature,
    String version,
    String resource,
    String services,
    String resourceTypes,
    String permissions,
    String start,
    String expiry,
    String identifier,
    String ip,
    String protocol,
    String encryptionScope,
    String cacheControl,
    String contentDisposition,
    String contentEncoding,
    String contentLanguage,
    String contentType,
    boolean userDelegation) {

  /** The SAS parameters of {@code r}, or null if it carries no {@code sig}. */
  static SasToken of(AzureRequest r) {
    String sig = one(r, "sig");
    if (sig == null) {
      return null;
    }
    return new SasToken(
        sig,
        one(r, "sv"),
        one(r, "sr"),
        one(r, "ss"),
        one(r, "srt"),
        one(r, "sp"),
        one(r, "st"),
        one(r, "se"),
        one(r, "si"),
        one(r, "sip"),
        one(r, "spr"),
        one(r, "ses"),
        one(r, "rscc"),
        one(r, "rscd"),
        one(r, "rsce"),
        one(r, "rscl"),
        one(r, "rsct"),
        one(r, "skoid") != null || one(r, "sktid") != null);
  }

  /** A parameter given more than once is malformed: the signature could only cover one of them. */
  private static String one(AzureRequest r, String name) {
    List<String> values = r.query().get(name);
    if (values == null || values.isEmpty()) {
      return null;
    }
    if (values.size() > 1) {
      throw SasAuthenticator.malformed();
    }
    return values.get(0);
  }
}
