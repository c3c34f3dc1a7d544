package io.cobalt.gateway.http;

import java.util.Map;

/**
 * An expected failure that becomes an Azure error response: its {@link AzureError} plus optional
 * detail elements of the XML body (e.g. {@code QueryParameterName}). No stack trace.
 */
public final class AzureException extends RuntimeException {
  private final AzureError error;
  private final Map<String, String> details;
  private final String message;

  AzureException(AzureError error, Map<String, String> details, String message) {
    super(error.code(), null, false, false);
    this.error = error;
    this.details = details == null ? Map.of() : Map.copyOf(details);
    this.message = message == null ? error.message() : message;
  }

  /** The message of the error body: the catalogue's, or one specific to this failure. */
  public String azureMessage() {
    return message;
  }

  public AzureError error() {
    return error;
  }

  public Map<String, String> details() {
    return details;
  }
}
