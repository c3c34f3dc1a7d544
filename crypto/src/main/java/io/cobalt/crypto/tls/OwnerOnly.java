package io.cobalt.crypto.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** Restricts a file to its owner (0600) where the file system has POSIX permissions. */
final class OwnerOnly {
  private OwnerOnly() {}

  static void restrict(Path file) throws IOException {
    try {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException e) {
      // Not a POSIX file system: rely on the directory's own protection.
    }
  }
}
