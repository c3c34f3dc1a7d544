package io.cobalt.cli.admin.http.authz;

/** A policy file that cannot be used; the message names the file and the line. Refused as a whole. */
public final class AdminPolicyException extends Exception {
  private static final long serialVersionUID = 1L;

  AdminPolicyException(String message) {
    super(message, null, false, false);
  }
}
