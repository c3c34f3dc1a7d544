package io.cobalt.kms.keys;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Associated data for AES-GCM as a sequence of length-prefixed fields (uint32 big-endian length,
 * then the bytes), so that no two different field lists encode to the same bytes.
 */
public final class AssociatedData {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream(96);

  private AssociatedData() {}

  /** Starts a new associated-data value with its domain label, e.g. {@code "cobalt/dek/v1"}. */
  public static AssociatedData label(String label) {
    return new AssociatedData().text(label);
  }

  public AssociatedData text(String value) {
    return field(value.getBytes(StandardCharsets.UTF_8));
  }

  public AssociatedData uint32(int value) {
    return field(ByteBuffer.allocate(4).putInt(value).array());
  }

  private AssociatedData field(byte[] bytes) {
    out.writeBytes(ByteBuffer.allocate(4).putInt(bytes.length).array());
    out.writeBytes(bytes);
    return this;
  }

  public byte[] toBytes() {
    return out.toByteArray();
  }
}
