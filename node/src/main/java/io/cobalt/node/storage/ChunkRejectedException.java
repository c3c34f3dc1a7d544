package io.cobalt.node.storage;

/** A chunk write (or id) that breaks the rules: wrong id length, bytes that do not hash to the id, too large. */
public final class ChunkRejectedException extends RuntimeException {
  public ChunkRejectedException(String message) {
    super(message, null, false, false);
  }
}
