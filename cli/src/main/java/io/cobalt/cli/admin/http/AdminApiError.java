package io.cobalt.cli.admin.http;

import java.util.Map;

/**
 * The admin API's error catalogue: every error answer is {@code {"error":{"code","message"},
 * "requestId"}} with one of these codes and its HTTP status (a refusal by the policy adds {@code
 * "operation"}, the name of the operation refused). Codes never change meaning. Refusals
 * of the kms-agent keep the agent's stable kind (its {@code cobalt-kms-code}) as the code; {@link
 * #statusOfAgentCode} gives their status.
 */
enum AdminApiError {
  /** The client certificate is valid (cluster CA) but its identity has no grant in the admin policy. */
  IDENTITY_NOT_ALLOWED(403, "this certificate's identity may not use the admin API"),
  /** The identity has a grant, but it does not allow this operation (on this key): ADR 0041. */
  OPERATION_NOT_ALLOWED(403, "this identity's grant does not allow the operation"),
  NOT_FOUND(404, "no such resource"),
  METHOD_NOT_ALLOWED(405, "method not allowed on this resource"),
  BODY_TOO_LARGE(413, "request body too large"),
  INVALID_JSON(400, "the body is not a JSON object"),
  INVALID_REQUEST(400, "invalid request"),
  UNSUPPORTED_MEDIA_TYPE(415, "send Content-Type: application/json"),
  JOB_NOT_FOUND(404, "no such job"),
  JOB_RUNNING(409, "the job is running"),
  TOO_MANY_JOBS(429, "too many jobs queued or kept; wait or remove finished ones"),
  NOT_CONFIGURED(501, "this admin server was started without what this needs"),
  SERVER_BUSY(503, "the admin server is busy; retry"),
  INTERNAL_ERROR(500, "internal error (see the server log with the request id)");

  final int status;
  final String message;

  AdminApiError(int status, String message) {
    this.status = status;
    this.message = message;
  }

  private static final Map<String, Integer> AGENT_STATUS = Map.ofEntries(
      Map.entry("UNKNOWN_KEY", 404), Map.entry("NOT_FOUND", 404), Map.entry("UNKNOWN_KEY_VERSION", 404),
      Map.entry("KEY_EXISTS", 409), Map.entry("ALREADY_EXISTS", 409),
      Map.entry("KEY_DISABLED", 409), Map.entry("KEY_DESTROYED", 409), Map.entry("KEY_DELETED", 409),
      Map.entry("VERSION_RETIRED", 409), Map.entry("VERSION_IN_USE", 409), Map.entry("INVALID_STATE_CHANGE", 409),
      Map.entry("PURGE_PROTECTED", 409), Map.entry("FAILED_PRECONDITION", 409),
      Map.entry("INVALID_ARGUMENT", 400), Map.entry("INVALID_KEY_ID", 400), Map.entry("INVALID_ACCOUNT", 400),
      Map.entry("BAD_IMPORT", 400), Map.entry("USAGE", 400), Map.entry("WRAP", 400),
      Map.entry("PERMISSION_DENIED", 403),
      Map.entry("UNSUPPORTED", 501), Map.entry("UNIMPLEMENTED", 501),
      Map.entry("LIMIT_EXCEEDED", 429), Map.entry("RESOURCE_EXHAUSTED", 429),
      Map.entry("UNAVAILABLE", 503), Map.entry("AUDIT_UNAVAILABLE", 503), Map.entry("BACKEND_UNAVAILABLE", 503),
      Map.entry("KEYSTORE_UNAVAILABLE", 503), Map.entry("DEADLINE_EXCEEDED", 503));

  /** HTTP status for a refusal the agent answered with this kind; 502 for a kind this table does not know. */
  static int statusOfAgentCode(String code) {
    return AGENT_STATUS.getOrDefault(code, 502);
  }
}
