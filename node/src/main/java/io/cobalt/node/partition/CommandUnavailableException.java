package io.cobalt.node.partition;

/**
 * The partition's log cannot take or answer the request now (no leader, no majority, the node is
 * closing, or the deadline passed). Retriable, preferably through another node. For a command the
 * outcome may be unknown: it may still be committed later.
 */
public final class CommandUnavailableException extends RuntimeException {
  public CommandUnavailableException(String message) {
    super(message, null, false, false);
  }
}
