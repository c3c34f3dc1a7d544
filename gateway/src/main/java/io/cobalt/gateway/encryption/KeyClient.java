package io.cobalt.gateway.encryption;

import io.cobalt.crypto.key.DataKey;
import io.cobalt.proto.kms.v1.WrappedKey;
import java.util.concurrent.CompletableFuture;

/**
 * The kms-agent as the gateway uses it: fresh data keys for writes, unwrapping for reads. The
 * caller owns (and must close) every {@link DataKey} it receives.
 */
public interface KeyClient {
  CompletableFuture<GeneratedKey> generate(String account, String requestId);

  /**
   * A fresh data key of {@code account} wrapped under {@code keyId} ("" or null: the account's own
   * key; an encryption scope's key is {@code account/<account>/scope/<scope>}, ADR 0023). The key
   * must exist (only the account's own key is created on first use).
   */
  default CompletableFuture<GeneratedKey> generate(String account, String keyId, String requestId) {
    if (keyId == null || keyId.isEmpty()) {
      return generate(account, requestId);
    }
    return CompletableFuture.failedFuture(new UnsupportedOperationException("this key client has only account keys"));
  }

  /** Fails with {@link KeyRefusedException} if the agent refuses the wrapped key. */
  CompletableFuture<DataKey> unwrap(String account, WrappedKey wrapped, String requestId);

  /**
   * The state of {@code keyId} (audited by the agent as GET_KEY). Fails with
   * {@link KeyRefusedException} if the agent refuses (unknown key: KEY_UNAVAILABLE; not allowed:
   * ACCESS_DENIED).
   */
  CompletableFuture<KeyStatus> keyStatus(String keyId, String requestId);

  /**
   * Completes if data of {@code account} wrapped as {@code wrapped} may be used now — without
   * unwrapping it; otherwise fails as an unwrap would ({@link KeyRefusedException}, or a retriable
   * failure if the agent cannot be asked).
   */
  default CompletableFuture<Void> requireUsable(String account, WrappedKey wrapped, String requestId) {
    String keyId = wrapped.getKeyId();
    if (keyId.startsWith("account/") && !keyId.equals("account/" + account)
        && !keyId.startsWith("account/" + account + "/scope/")) {
      return CompletableFuture.failedFuture(new KeyRefusedException(KeyRefusedException.Reason.NOT_AUTHENTIC,
          "WRONG_KEY", "wrapped key names key " + keyId + ", not the key of account " + account));
    }
    return keyStatus(keyId, requestId).thenAccept(s -> s.requireUsable(wrapped.getKeyVersion()));
  }
}
