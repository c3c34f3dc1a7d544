package io.cobalt.gateway.encryption;

import io.cobalt.crypto.kdf.KdfInfo;
import io.cobalt.crypto.key.DataKey;
import java.security.SecureRandom;

/**
 * Seals and opens the body of one queue message (docs/encryption-format.md §8b): a per-message key
 * derived with HKDF-SHA256 from the queue's DEK, the message's identity (account, queue id, message
 * id) as HKDF info and as AES-256-GCM associated data ({@link IdentitySeal}), so a body moved to
 * another message, queue (even one re-created under the same name) or account fails
 * authentication. Synchronous and CPU-bound: callers run it on the crypto pool.
 *
 * <pre>
 * info = KdfInfo: utf8 "cobalt/queue-message/v1" | utf8 account | bytes queue_id | bytes message_id
 * </pre>
 */
public final class MessageCipher {
  private static final String LABEL = "cobalt/queue-message/v1";
  /** Bytes sealing adds to a body. */
  public static final int OVERHEAD = IdentitySeal.OVERHEAD;

  private final SecureRandom random;

  public MessageCipher(SecureRandom random) {
    this.random = random;
  }

  /** Where a message is: what its ciphertext is bound to. */
  public record MessageIdentity(String account, byte[] queueId, byte[] messageId) {
    byte[] info() {
      return new KdfInfo().utf8(LABEL).utf8(account).bytes(queueId).bytes(messageId).toByteArray();
    }
  }

  /** Thrown when a sealed body does not authenticate (altered, or moved from another identity). */
  public static final class MessageAuthenticationException extends RuntimeException {
    MessageAuthenticationException(String message) {
      super(message, null, false, false);
    }
  }

  public byte[] seal(DataKey queueDek, MessageIdentity identity, byte[] body) {
    return IdentitySeal.seal(random, queueDek, identity.info(), body);
  }

  /** @throws MessageAuthenticationException if {@code sealed} is not a body sealed for {@code identity} under this key */
  public byte[] open(DataKey queueDek, MessageIdentity identity, byte[] sealed) {
    try {
      return IdentitySeal.open(queueDek, identity.info(), sealed);
    } catch (IdentitySeal.Failure e) {
      throw new MessageAuthenticationException("sealed message body " + e.getMessage());
    }
  }
}
