package io.cobalt.kms.backend.local;

import java.io.IOException;
import java.nio.file.Path;

/** The master key given does not open this keystore (its check value differs). No stack trace. */
public final class MasterKeyMismatchException extends IOException {
  private static final long serialVersionUID = 1L;

  public MasterKeyMismatchException(Path keystore) {
    super("the master key does not match keystore " + keystore
        + " (check value differs): wrong master key file? Refusing to start.");
    setStackTrace(new StackTraceElement[0]);
  }

  @Override
  public synchronized Throwable fillInStackTrace() {
    return this;
  }
}
