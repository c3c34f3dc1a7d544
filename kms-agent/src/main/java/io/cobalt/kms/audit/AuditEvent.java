package io.cobalt.kms.audit;

/**
 * One key operation to record. {@link AuditLog} adds the time, sequence number, agent name and
 * chain hash, and replaces {@code account} by its keyed hash.
 *
 * @param keyId the key the operation used or named, or null if the request named none that is valid
 * @param keyVersion the KEK version, or null
 * @param code a stable result code ({@code OK} or the failure kind)
 * @param account the account the operation concerns (sensitive: never written raw), or null
 */
public record AuditEvent(
    String requestId,
    String caller,
    KeyOperation op,
    String keyId,
    Integer keyVersion,
    Outcome outcome,
    String code,
    long latencyNanos,
    String account) {

  /** The {@code result} field. */
  public enum Outcome {
    OK("ok"),
    DENIED("denied"),
    ERROR("error");

    private final String json;

    Outcome(String json) {
      this.json = json;
    }

    public String json() {
      return json;
    }
  }
}
