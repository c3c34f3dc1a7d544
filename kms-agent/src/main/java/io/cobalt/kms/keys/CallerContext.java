package io.cobalt.kms.keys;

/**
 * Who asks, on behalf of which request, and when the request started (a reading of the agent's
 * nanosecond ticker), for policy decisions and audit records.
 *
 * @param caller the caller's identity: hex SHA-256 of its certificate's SubjectPublicKeyInfo
 * @param requestId the caller's request id (the gateway's x-ms-request-id), or null
 */
public record CallerContext(String caller, String requestId, long startNanos) {}
