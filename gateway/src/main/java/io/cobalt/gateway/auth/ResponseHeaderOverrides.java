package io.cobalt.gateway.auth;

/**
 * Response headers a service SAS signs in ({@code rscc}, {@code rscd}, {@code rsce}, {@code rscl},
 * {@code rsct}); Get Blob and Get Blob Properties answer with these instead of the stored values.
 * Each is null when not given.
 */
public record ResponseHeaderOverrides(
    String cacheControl,
    String contentDisposition,
    String contentEncoding,
    String contentLanguage,
    String contentType) {
  public static final ResponseHeaderOverrides NONE = new ResponseHeaderOverrides(null, null, null, null, null);
}
