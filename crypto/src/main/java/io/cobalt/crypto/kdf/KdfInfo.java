package io.cobalt.crypto.kdf;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The unambiguous HKDF {@code info} encoding used by every Cobalt key derivation: a sequence of
 * fields, each written as its length (uint32, big-endian) followed by its bytes. Because every
 * field carries its length, no two different field lists encode to the same bytes.
 *
 * <pre>{@code
 * byte[] info = new KdfInfo().utf8("cobalt/chunk/v1").uint8(1).bytes(objectId).uint32(7).toByteArray();
 * }</pre>
 */
public final class KdfInfo {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream(128);

  /** Appends a length-prefixed byte field. */
  public KdfInfo bytes(byte[] field) {
    Objects.requireNonNull(field, "field");
    writeUint32(field.length);
    out.write(field, 0, field.length);
    return this;
  }

  /** Appends a length-prefixed UTF-8 string field. */
  public KdfInfo utf8(String field) {
    Objects.requireNonNull(field, "field");
    return bytes(field.getBytes(StandardCharsets.UTF_8));
  }

  /** Appends a one-byte field (length prefix 1); {@code value} must be 0..255. */
  public KdfInfo uint8(int value) {
    if (value < 0 || value > 0xFF) {
      throw new IllegalArgumentException("uint8 out of range: " + value);
    }
    writeUint32(1);
    out.write(value);
    return this;
  }

  /** Appends a four-byte big-endian field (length prefix 4); {@code value} is read as unsigned. */
  public KdfInfo uint32(int value) {
    writeUint32(4);
    writeUint32(value);
    return this;
  }

  public byte[] toByteArray() {
    return out.toByteArray();
  }

  private void writeUint32(int v) {
    out.write(v >>> 24);
    out.write(v >>> 16);
    out.write(v >>> 8);
    out.write(v);
  }
}
