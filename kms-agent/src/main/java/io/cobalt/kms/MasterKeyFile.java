package io.cobalt.kms;

import io.cobalt.kms.backend.local.MasterKey;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;

/**
 * The master key file of the local keystore: exactly 32 raw bytes (not base64 text), mode 0600.
 * In production it comes from a secret (a Kubernetes secret mounted as a file holds the raw bytes).
 */
public final class MasterKeyFile {
  private MasterKeyFile() {}

  /**
   * For {@code cobalt dev}: writes a new random master key to {@code file} (owner-only, durably)
   * unless the file exists; an existing file is left alone.
   */
  public static void createIfAbsent(Path file, SecureRandom random) throws IOException {
    MasterKey.createFileIfAbsent(file, random);
  }
}
