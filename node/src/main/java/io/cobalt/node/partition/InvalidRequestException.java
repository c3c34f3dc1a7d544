package io.cobalt.node.partition;

/** A metadata command or query that can never succeed as sent (bad partition, missing field, bad id). */
public final class InvalidRequestException extends RuntimeException {
  public InvalidRequestException(String message) {
    super(message, null, false, false);
  }
}
