package io.cobalt.kms.audit;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** The hash chain of the audit log: what the first line chains to, and the hash of a line. */
final class AuditChain {
  static final String GENESIS = "0".repeat(64);
  /** No record line is near this long; a longer one is damage or tampering. */
  static final int MAX_LINE_BYTES = 64 * 1024;

  private AuditChain() {}

  /** Hex SHA-256 of {@code line[off, off+len)}, the bytes of a line without its newline. */
  static String hash(byte[] line, int off, int len) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(line, off, len);
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is mandatory in every JDK", e);
    }
  }
}
