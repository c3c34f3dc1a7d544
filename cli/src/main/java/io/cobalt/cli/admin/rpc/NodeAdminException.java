package io.cobalt.cli.admin.rpc;

/** A node that did not answer {@code GetNodeStatus}: one line for the operator and the gRPC status code. */
public final class NodeAdminException extends Exception {
  private static final long serialVersionUID = 1L;
  private final String code;

  public NodeAdminException(String message, String code) {
    super(message, null, false, false);
    this.code = code;
  }

  /** The transport's code, e.g. {@code UNAVAILABLE}, {@code DEADLINE_EXCEEDED}, {@code USAGE}. */
  public String code() {
    return code;
  }
}
