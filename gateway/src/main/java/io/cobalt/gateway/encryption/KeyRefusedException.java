package io.cobalt.gateway.encryption;

/**
 * The kms-agent refused to generate or unwrap a key (wrong account, tampered wrapped key, policy).
 * Not retriable. Carries no stack trace.
 */
public class KeyRefusedException extends RuntimeException {
  public KeyRefusedException(String message) {
    super(message, null, false, false);
  }
}
