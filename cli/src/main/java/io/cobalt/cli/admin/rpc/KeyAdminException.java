package io.cobalt.cli.admin.rpc;

/** A refused or failed admin call: one line for the operator and the agent's stable code. */
public final class KeyAdminException extends Exception {
  private static final long serialVersionUID = 1L;
  private final String code;

  public KeyAdminException(String message, String code) {
    super(message, null, false, false);
    this.code = code;
  }

  /** The agent's failure kind (e.g. {@code PERMISSION_DENIED}, {@code KEY_EXISTS}) or a transport code. */
  public String code() {
    return code;
  }
}
