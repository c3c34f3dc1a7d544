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

  /** Fails with {@link KeyRefusedException} if the agent refuses the wrapped key. */
  CompletableFuture<DataKey> unwrap(String account, WrappedKey wrapped, String requestId);
}
