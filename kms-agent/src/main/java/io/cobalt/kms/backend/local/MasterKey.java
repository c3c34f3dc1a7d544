package io.cobalt.kms.backend.local;

import io.cobalt.kms.backend.DurableFile;
import io.cobalt.crypto.kdf.HkdfSha256;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Set;
import javax.security.auth.Destroyable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The 32-byte master key that seals the local keystore. No {@code toString} that shows it; it is
 * only ever used to derive purpose-bound keys (HKDF-SHA256), and {@link #close()} wipes it.
 */
public final class MasterKey implements AutoCloseable, Destroyable {
  public static final int LENGTH_BYTES = 32;
  private static final Logger LOG = LoggerFactory.getLogger(MasterKey.class);

  private final byte[] bytes;
  private volatile boolean destroyed;

  private MasterKey(byte[] bytes) {
    this.bytes = bytes;
  }

  /** A copy of exactly 32 bytes (tests and future secret sources). */
  public static MasterKey of(byte[] keyBytes) {
    if (keyBytes == null || keyBytes.length != LENGTH_BYTES) {
      throw new IllegalArgumentException("a master key is " + LENGTH_BYTES + " bytes");
    }
    return new MasterKey(keyBytes.clone());
  }

  /**
   * Reads a master key file: exactly 32 raw bytes. Refuses a missing file or any other length, with
   * a message that names the file and the length found, never the content.
   */
  public static MasterKey read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IOException("master key file " + file + " does not exist or is not a regular file");
    }
    long size = Files.size(file);
    if (size != LENGTH_BYTES) {
      throw new IOException("master key file " + file + " must hold exactly " + LENGTH_BYTES
          + " raw bytes but holds " + size + (size == 44 || size == 45 ? " (base64 text is not accepted; decode it)" : ""));
    }
    byte[] b = Files.readAllBytes(file);
    if (b.length != LENGTH_BYTES) {
      Arrays.fill(b, (byte) 0);
      throw new IOException("master key file " + file + " changed while it was read");
    }
    warnIfShared(file);
    return new MasterKey(b);
  }

  /** Writes a new random 32-byte master key file (owner-only) unless {@code file} exists. */
  public static boolean createFileIfAbsent(Path file, SecureRandom random) throws IOException {
    if (Files.exists(file)) {
      return false;
    }
    byte[] b = new byte[LENGTH_BYTES];
    random.nextBytes(b);
    try {
      return DurableFile.createIfAbsent(file, b);
    } finally {
      Arrays.fill(b, (byte) 0);
    }
  }

  /** HKDF-SHA256(master key, salt, info) → 32 bytes; the caller owns (and should wipe) the result. */
  byte[] derive(String info, byte[] salt) {
    if (destroyed) {
      throw new IllegalStateException("master key was destroyed");
    }
    return HkdfSha256.derive(bytes, salt, info.getBytes(StandardCharsets.UTF_8), 32);
  }

  private static void warnIfShared(Path file) {
    try {
      Set<PosixFilePermission> p = Files.getPosixFilePermissions(file);
      if (p.contains(PosixFilePermission.GROUP_READ) || p.contains(PosixFilePermission.OTHERS_READ)) {
        LOG.warn("master key file {} is readable by group or others; restrict it to its owner (chmod 600)", file);
      }
    } catch (UnsupportedOperationException | IOException e) {
      // not a POSIX file system: nothing to check
    }
  }

  @Override
  public void destroy() {
    Arrays.fill(bytes, (byte) 0);
    destroyed = true;
  }

  @Override
  public boolean isDestroyed() {
    return destroyed;
  }

  @Override
  public void close() {
    destroy();
  }

  @Override
  public String toString() {
    return "MasterKey[redacted]";
  }
}
