package io.cobalt.node.storage;

/** The local store failed (I/O error, closed, corruption reported by the engine). Retriable elsewhere. */
public final class StorageException extends RuntimeException {
  public StorageException(String message, Throwable cause) {
    super(message, cause);
  }

  public StorageException(String message) {
    super(message);
  }
}
