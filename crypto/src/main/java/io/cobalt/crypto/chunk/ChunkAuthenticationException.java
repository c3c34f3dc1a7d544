package io.cobalt.crypto.chunk;

import java.security.GeneralSecurityException;

/**
 * A chunk could not be opened: its length is impossible, its header is not a v1 header, or a
 * segment failed GCM authentication (wrong key, identity, order, truncation, extension or a
 * modified byte). The message names what failed, never key material. No plaintext is released
 * when this is thrown.
 */
public class ChunkAuthenticationException extends GeneralSecurityException {
  public ChunkAuthenticationException(String message) {
    super(message);
  }

  public ChunkAuthenticationException(String message, Throwable cause) {
    super(message, cause);
  }
}
