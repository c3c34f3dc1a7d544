package io.cobalt.gateway.nodeclient;

/**
 * A backend (node or kms-agent) could not answer in time or at all; the operation may succeed if
 * retried. The gateway answers 503 ServerBusy. Carries no stack trace: it is expected.
 */
public class BackendUnavailableException extends RuntimeException {
  public BackendUnavailableException(String message) {
    super(message, null, false, false);
  }

  public BackendUnavailableException(String message, Throwable cause) {
    super(message, cause, false, false);
  }
}
