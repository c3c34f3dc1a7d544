package io.cobalt.gateway.blob;

import io.cobalt.gateway.encryption.CustomerKey;
import io.cobalt.gateway.encryption.KeyRefusedException;
import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureRequest;
import io.cobalt.proto.node.v1.ContainerRecord;
import io.vertx.core.Future;
import java.util.concurrent.CompletionException;
import java.util.regex.Pattern;

/**
 * Encryption scopes (ADR 0023): a named key of an account, {@code account/<account>/scope/<name>}
 * in the kms-agent, created by an operator ({@code cobalt admin scopes create}); a write names one
 * with {@code x-ms-encryption-scope} or gets its container's default; a container may deny writes
 * another scope. The account's own key is Azure's {@code $account-encryption-key}, stored as "".
 */
final class BlobScopes {
  static final String HEADER = "x-ms-encryption-scope";
  static final String ACCOUNT_KEY_SCOPE = "$account-encryption-key";
  /** Letters, digits and dashes, 3 to 63 of them (Azure's scope names fit). */
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9-]{3,63}");

  /** The scope of a write: its name ("" = the account's key) and its key id ("" = the account's key). */
  record Scope(String name, String keyId) {
    static final Scope ACCOUNT = new Scope("", "");
  }

  private BlobScopes() {}

  /** The kms-agent key id of scope {@code name} of {@code account}. */
  static String keyId(String account, String name) {
    return name.isEmpty() ? "" : "account/" + account + "/scope/" + name;
  }

  /** A scope name from a header ("" for none or $account-encryption-key); 400 InvalidHeaderValue if malformed. */
  static String parse(String value, String header) {
    if (value == null || value.isEmpty() || value.equals(ACCOUNT_KEY_SCOPE)) {
      return "";
    }
    if (!NAME.matcher(value).matches()) {
      throw AzureError.INVALID_HEADER_VALUE.exception("HeaderName", header);
    }
    return value;
  }

  /**
   * The scope a write to {@code container} uses. With a customer key there is none (both at once:
   * 400; a container that denies overrides of a default scope refuses a customer key: 403). A scope
   * other than the container's default on a container that denies overrides: 403
   * RequestForbiddenByContainerEncryptionPolicy (the service's answer in a recorded response). A scope the kms-agent does not know: 400
   * InvalidHeaderValue naming the header.
   */
  static Future<Scope> forWrite(BlobServices services, AzureRequest r, ContainerRecord container, CustomerKey cpk) {
    String header = r.header(HEADER);
    String requested = parse(header, HEADER);
    String dflt = container.getDefaultEncryptionScope();
    if (cpk != null) {
      if (header != null) {
        throw AzureError.INVALID_HEADER_VALUE.exception("HeaderName", HEADER);
      }
      if (container.getDenyEncryptionScopeOverride() && !dflt.isEmpty()) {
        throw AzureError.REQUEST_FORBIDDEN_BY_CONTAINER_ENCRYPTION_POLICY.exception();
      }
      return Future.succeededFuture(Scope.ACCOUNT);
    }
    String name = header == null ? dflt : requested;
    if (container.getDenyEncryptionScopeOverride() && !name.equals(dflt)) {
      throw AzureError.REQUEST_FORBIDDEN_BY_CONTAINER_ENCRYPTION_POLICY.exception();
    }
    return requireExists(services, r, r.path().account(), name, HEADER).map(keyId -> new Scope(name, keyId));
  }

  /**
   * Completes with the key id of scope {@code name} if the kms-agent has its key (400
   * InvalidHeaderValue naming {@code header} if not; a disabled scope fails as a revoked key does).
   */
  static Future<String> requireExists(BlobServices services, AzureRequest r, String account, String name, String header) {
    if (name.isEmpty()) {
      return Future.succeededFuture("");
    }
    String keyId = keyId(account, name);
    return Future.fromCompletionStage(services.keys().keyStatus(keyId, r.requestId()), r.context())
        .recover(t -> {
          Throwable cause = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
          if (cause instanceof KeyRefusedException k && "UNKNOWN_KEY".equals(k.agentCode())) {
            return Future.failedFuture(AzureError.INVALID_HEADER_VALUE.exception("HeaderName", header));
          }
          return Future.failedFuture(cause);
        })
        .map(status -> keyId);
  }
}
