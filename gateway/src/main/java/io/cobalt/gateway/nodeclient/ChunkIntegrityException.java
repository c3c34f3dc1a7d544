package io.cobalt.gateway.nodeclient;

/**
 * A chunk's bytes did not authenticate (every replica tried, or the manifest itself). Never
 * retriable by the client; the gateway answers 500 and logs an integrity failure. No stack trace.
 */
public class ChunkIntegrityException extends RuntimeException {
  public ChunkIntegrityException(String message) {
    super(message, null, false, false);
  }
}
