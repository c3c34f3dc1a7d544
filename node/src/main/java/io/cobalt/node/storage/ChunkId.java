package io.cobalt.node.storage;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/** The name of a chunk: the SHA-256 of its ciphertext (32 bytes). */
public final class ChunkId {
  public static final int LENGTH = 32;

  private final byte[] bytes;

  private ChunkId(byte[] bytes) {
    this.bytes = bytes;
  }

  /** @throws ChunkRejectedException if {@code bytes} is not 32 bytes long */
  public static ChunkId of(byte[] bytes) {
    if (bytes.length != LENGTH) {
      throw new ChunkRejectedException("chunk id must be " + LENGTH + " bytes, got " + bytes.length);
    }
    return new ChunkId(bytes.clone());
  }

  /** The id that {@code data} should be stored under. */
  public static ChunkId ofContent(ByteBuffer data) {
    return new ChunkId(sha256(data));
  }

  public static ChunkId ofContent(byte[] data) {
    return ofContent(ByteBuffer.wrap(data));
  }

  /** Whether {@code data} hashes to this id (constant-time comparison). */
  public boolean identifies(ByteBuffer data) {
    return MessageDigest.isEqual(bytes, sha256(data));
  }

  public boolean identifies(byte[] data) {
    return identifies(ByteBuffer.wrap(data));
  }

  public byte[] bytes() {
    return bytes.clone();
  }

  public String hex() {
    return HexFormat.of().formatHex(bytes);
  }

  private static byte[] sha256(ByteBuffer data) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(data.duplicate());
      return md.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ChunkId other && Arrays.equals(bytes, other.bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    return "ChunkId[" + hex() + "]";
  }
}
