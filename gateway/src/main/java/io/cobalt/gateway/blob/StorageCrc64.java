package io.cobalt.gateway.blob;

import io.cobalt.gateway.http.AzureError;
import java.util.Base64;

/**
 * Azure Storage's CRC64 ({@code x-ms-content-crc64}): the reflected CRC-64 with polynomial
 * 0xAD93D23594C93659 (0x9A6C9329AC4BC9B5 bit-reversed, the one also known as CRC-64/NVME), initial
 * value and final XOR all ones. On the wire it is the 8 bytes of the value in little-endian order,
 * base64. Incremental ({@link #update}); slicing-by-8 tables, so a 4 MiB chunk costs about a
 * millisecond on the event loop. Checked against the vectors the Azure SDK for Java's own
 * StorageCrc64Calculator tests use (StorageCrc64Test).
 */
final class StorageCrc64 {
  private static final long POLY = 0x9A6C9329AC4BC9B5L;
  private static final long[][] TABLES = tables();

  private long state = ~0L;

  /** A CRC continuing from an earlier {@link #value()} (Azure's "initial CRC" argument). */
  static StorageCrc64 continuing(long crc) {
    StorageCrc64 c = new StorageCrc64();
    c.state = ~crc;
    return c;
  }

  void update(byte[] b, int off, int len) {
    long crc = state;
    int i = off;
    int end = off + len;
    long[][] t = TABLES;
    while (end - i >= 8) {
      long v = (b[i] & 0xFFL) | (b[i + 1] & 0xFFL) << 8 | (b[i + 2] & 0xFFL) << 16 | (b[i + 3] & 0xFFL) << 24
          | (b[i + 4] & 0xFFL) << 32 | (b[i + 5] & 0xFFL) << 40 | (b[i + 6] & 0xFFL) << 48 | (b[i + 7] & 0xFFL) << 56;
      v ^= crc;
      crc = t[7][(int) (v & 0xFF)] ^ t[6][(int) ((v >>> 8) & 0xFF)] ^ t[5][(int) ((v >>> 16) & 0xFF)]
          ^ t[4][(int) ((v >>> 24) & 0xFF)] ^ t[3][(int) ((v >>> 32) & 0xFF)] ^ t[2][(int) ((v >>> 40) & 0xFF)]
          ^ t[1][(int) ((v >>> 48) & 0xFF)] ^ t[0][(int) (v >>> 56)];
      i += 8;
    }
    while (i < end) {
      crc = (crc >>> 8) ^ t[0][(int) ((crc ^ b[i]) & 0xFF)];
      i++;
    }
    state = crc;
  }

  long value() {
    return ~state;
  }

  /** The 8 wire bytes: the value little-endian. */
  byte[] bytes() {
    return toBytes(value());
  }

  static byte[] toBytes(long crc) {
    byte[] out = new byte[8];
    for (int i = 0; i < 8; i++) {
      out[i] = (byte) (crc >>> (8 * i));
    }
    return out;
  }

  static long compute(byte[] b) {
    StorageCrc64 c = new StorageCrc64();
    c.update(b, 0, b.length);
    return c.value();
  }

  /** {@code x-ms-content-crc64} (base64 of 8 bytes), or null if absent; 400 InvalidHeaderValue if malformed. */
  static byte[] expected(io.cobalt.gateway.http.AzureRequest r) {
    String v = r.header("x-ms-content-crc64");
    if (v == null) {
      return null;
    }
    try {
      byte[] b = Base64.getDecoder().decode(v.trim());
      if (b.length == 8) {
        return b;
      }
    } catch (IllegalArgumentException e) {
      // answered below
    }
    throw AzureError.INVALID_HEADER_VALUE.exception("HeaderName", "x-ms-content-crc64");
  }

  private static long[][] tables() {
    long[][] t = new long[8][256];
    for (int n = 0; n < 256; n++) {
      long crc = n;
      for (int k = 0; k < 8; k++) {
        crc = (crc & 1) != 0 ? (crc >>> 1) ^ POLY : crc >>> 1;
      }
      t[0][n] = crc;
    }
    for (int n = 0; n < 256; n++) {
      long crc = t[0][n];
      for (int k = 1; k < 8; k++) {
        crc = t[0][(int) (crc & 0xFF)] ^ (crc >>> 8);
        t[k][n] = crc;
      }
    }
    return t;
  }
}
