package io.cobalt.cli.role;

/** A role's configuration is missing, unreadable or invalid; the message lists every problem. Expected: no stack trace. */
public final class RoleConfigException extends Exception {
  private static final long serialVersionUID = 1L;

  RoleConfigException(String message) {
    super(message, null, false, false);
  }
}
