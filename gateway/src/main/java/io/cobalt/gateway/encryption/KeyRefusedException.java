package io.cobalt.gateway.encryption;

import java.util.Objects;

/**
 * The kms-agent refused to generate or unwrap a key. Not retriable (a retriable agent failure is a
 * {@code BackendUnavailableException} instead). Carries the agent's stable failure kind (its
 * {@code cobalt-kms-code} trailer) and what that kind means for the client, {@link #reason()}.
 * No stack trace: refusals are expected.
 */
public class KeyRefusedException extends RuntimeException {
  /** What a refusal means for the request; the HTTP mapping is in {@code http.RequestPipeline}. */
  public enum Reason {
    /**
     * The key or its version cannot be used: disabled, destroyed, soft-deleted, below the minimum
     * decryption version, or unknown. The customer's doing (revocation): 403.
     */
    KEY_UNAVAILABLE,
    /** The agent's policy does not let this gateway use the key (access revoked): 403. */
    ACCESS_DENIED,
    /** The wrapped key failed authentication or belongs to another account/key: an integrity failure, 500. */
    NOT_AUTHENTIC,
    /** Any other refusal (the gateway sent something the agent rejects): a bug, 500. */
    OTHER
  }

  private final Reason reason;
  private final String agentCode;

  public KeyRefusedException(Reason reason, String agentCode, String message) {
    super(message, null, false, false);
    this.reason = Objects.requireNonNull(reason, "reason");
    this.agentCode = agentCode;
  }

  /** A refusal whose kind is not known ({@link Reason#OTHER}). */
  public KeyRefusedException(String message) {
    this(Reason.OTHER, null, message);
  }

  /**
   * The refusal for an agent answer: {@code grpcStatus} is the gRPC status name and {@code agentCode}
   * the {@code cobalt-kms-code} trailer (the agent's {@code KeyOperationException.Kind}), or null if
   * absent. The kind decides; the status is only a fallback for an agent that sent no kind.
   */
  public static KeyRefusedException fromAgent(String grpcStatus, String agentCode, String message) {
    Reason reason;
    if (agentCode != null) {
      reason = switch (agentCode) {
        case "KEY_DISABLED", "KEY_DESTROYED", "KEY_DELETED", "VERSION_RETIRED", "UNKNOWN_KEY",
            "UNKNOWN_KEY_VERSION" -> Reason.KEY_UNAVAILABLE;
        case "PERMISSION_DENIED" -> Reason.ACCESS_DENIED;
        case "NOT_AUTHENTIC", "WRONG_KEY", "MALFORMED_WRAPPED_KEY" -> Reason.NOT_AUTHENTIC;
        default -> Reason.OTHER;
      };
    } else {
      reason = switch (grpcStatus) {
        case "PERMISSION_DENIED" -> Reason.ACCESS_DENIED;
        case "NOT_FOUND" -> Reason.KEY_UNAVAILABLE;
        default -> Reason.OTHER;
      };
    }
    return new KeyRefusedException(reason, agentCode, message);
  }

  public Reason reason() {
    return reason;
  }

  /** The agent's failure kind ({@code KEY_DISABLED}, ...), or null if it sent none. */
  public String agentCode() {
    return agentCode;
  }
}
