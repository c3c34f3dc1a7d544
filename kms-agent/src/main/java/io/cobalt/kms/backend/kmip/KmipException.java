package io.cobalt.kms.backend.kmip;

/**
 * A KMIP failure: the server's Result Reason and Result Message for an operation that failed, or a
 * message that could not be read ({@link #MALFORMED}). No stack trace; never key material.
 */
public final class KmipException extends Exception {
  private static final long serialVersionUID = 1L;
  /** Not a KMIP result reason: the bytes were not a valid KMIP message. */
  public static final int MALFORMED = -1;

  private final int resultReason;

  public KmipException(int resultReason, String message) {
    super(message, null, false, false);
    this.resultReason = resultReason;
  }

  static KmipException malformed(String message) {
    return new KmipException(MALFORMED, "malformed KMIP message: " + message);
  }

  /** The KMIP Result Reason (e.g. {@link KmipTags#REASON_ITEM_NOT_FOUND}), or {@link #MALFORMED}. */
  public int resultReason() {
    return resultReason;
  }
}
