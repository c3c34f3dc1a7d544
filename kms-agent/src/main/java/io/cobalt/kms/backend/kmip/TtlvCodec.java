package io.cobalt.kms.backend.kmip;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * KMIP 1.x binary TTLV: tag (3 bytes) ‖ type (1) ‖ length (4, big-endian) ‖ value, each value padded
 * with zeros to a multiple of 8 bytes (the length does not count the padding). Integers and
 * enumerations are 4 bytes (+4 padding), Long Integer, Boolean and Date-Time 8, Interval 4 (+4),
 * Big Integer a multiple of 8 bytes in two's complement. Decoding refuses anything outside those
 * rules, nesting deeper than {@value #MAX_DEPTH} and more than {@value #MAX_ITEMS} items.
 */
public final class TtlvCodec {
  static final int HEADER_BYTES = 8;
  static final int MAX_DEPTH = 16;
  static final int MAX_ITEMS = 4096;

  private TtlvCodec() {}

  public static byte[] encode(Ttlv item) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    write(item, out);
    return out.toByteArray();
  }

  private static void write(Ttlv item, ByteArrayOutputStream out) {
    byte[] value = switch (item.type()) {
      case STRUCTURE -> {
        ByteArrayOutputStream inner = new ByteArrayOutputStream(128);
        for (Ttlv child : item.items()) {
          write(child, inner);
        }
        yield inner.toByteArray();
      }
      case INTEGER, ENUMERATION -> ByteBuffer.allocate(4).putInt(item.intValue()).array();
      case LONG_INTEGER, DATE_TIME -> ByteBuffer.allocate(8).putLong(item.longValue()).array();
      case INTERVAL -> ByteBuffer.allocate(4).putInt((int) item.longValue()).array();
      case BOOLEAN -> ByteBuffer.allocate(8).putLong(item.booleanValue() ? 1 : 0).array();
      case TEXT_STRING -> item.textValue().getBytes(StandardCharsets.UTF_8);
      case BYTE_STRING -> (byte[]) item.rawValue();
      case BIG_INTEGER -> bigIntegerBytes(item.bigIntegerValue());
    };
    out.write((item.tag() >>> 16) & 0xFF);
    out.write((item.tag() >>> 8) & 0xFF);
    out.write(item.tag() & 0xFF);
    out.write(item.type().code);
    out.writeBytes(ByteBuffer.allocate(4).putInt(value.length).array());
    out.writeBytes(value);
    out.writeBytes(new byte[padding(value.length)]);
  }

  /** Two's complement, sign-extended to a multiple of 8 bytes. */
  private static byte[] bigIntegerBytes(BigInteger v) {
    byte[] raw = v.toByteArray();
    int len = (raw.length + 7) / 8 * 8;
    byte[] out = new byte[len];
    Arrays.fill(out, 0, len - raw.length, v.signum() < 0 ? (byte) 0xFF : 0);
    System.arraycopy(raw, 0, out, len - raw.length, raw.length);
    return out;
  }

  static int padding(int length) {
    return (8 - (length % 8)) % 8;
  }

  /** Decodes exactly one item that spans all of {@code bytes}. */
  public static Ttlv decode(byte[] bytes) throws KmipException {
    ByteBuffer buf = ByteBuffer.wrap(bytes);
    int[] count = {0};
    Ttlv item = read(buf, 0, count);
    if (buf.hasRemaining()) {
      throw KmipException.malformed(buf.remaining() + " bytes after the item");
    }
    return item;
  }

  /** The value length announced by an item header ({@link #HEADER_BYTES} bytes), padding excluded. */
  static int announcedLength(byte[] header) throws KmipException {
    int len = ByteBuffer.wrap(header, 4, 4).getInt();
    if (len < 0) {
      throw KmipException.malformed("negative length");
    }
    return len;
  }

  private static Ttlv read(ByteBuffer buf, int depth, int[] count) throws KmipException {
    if (depth > MAX_DEPTH) {
      throw KmipException.malformed("nested deeper than " + MAX_DEPTH);
    }
    if (++count[0] > MAX_ITEMS) {
      throw KmipException.malformed("more than " + MAX_ITEMS + " items");
    }
    if (buf.remaining() < HEADER_BYTES) {
      throw KmipException.malformed("truncated item header");
    }
    int tag = ((buf.get() & 0xFF) << 16) | ((buf.get() & 0xFF) << 8) | (buf.get() & 0xFF);
    int typeCode = buf.get() & 0xFF;
    Ttlv.Type type = Ttlv.Type.of(typeCode);
    if (type == null) {
      throw KmipException.malformed(String.format("item 0x%06X has unknown type 0x%02X", tag, typeCode));
    }
    int len = buf.getInt();
    if (len < 0 || (long) len + padding(len) > buf.remaining()) {
      throw KmipException.malformed(String.format("item 0x%06X: length %d exceeds the message", tag, len));
    }
    int fixed = switch (type) {
      case INTEGER, ENUMERATION, INTERVAL -> 4;
      case LONG_INTEGER, BOOLEAN, DATE_TIME -> 8;
      default -> -1;
    };
    if (fixed >= 0 && len != fixed) {
      throw KmipException.malformed(String.format("item 0x%06X: %s must be %d bytes, not %d", tag, type, fixed, len));
    }
    Ttlv item;
    switch (type) {
      case STRUCTURE -> {
        if (len % 8 != 0) {
          throw KmipException.malformed(String.format("structure 0x%06X length %d is not a multiple of 8", tag, len));
        }
        ByteBuffer inner = buf.slice(buf.position(), len);
        buf.position(buf.position() + len);
        List<Ttlv> items = new ArrayList<>();
        while (inner.hasRemaining()) {
          items.add(read(inner, depth + 1, count));
        }
        return Ttlv.structure(tag, items);
      }
      case INTEGER -> item = Ttlv.integer(tag, buf.getInt());
      case ENUMERATION -> item = Ttlv.enumeration(tag, buf.getInt());
      case INTERVAL -> item = Ttlv.interval(tag, buf.getInt() & 0xFFFF_FFFFL);
      case LONG_INTEGER -> item = Ttlv.longInteger(tag, buf.getLong());
      case DATE_TIME -> item = Ttlv.dateTime(tag, buf.getLong());
      case BOOLEAN -> {
        long b = buf.getLong();
        if (b != 0 && b != 1) {
          throw KmipException.malformed(String.format("boolean 0x%06X is %d", tag, b));
        }
        item = Ttlv.bool(tag, b == 1);
      }
      case BIG_INTEGER -> {
        if (len == 0 || len % 8 != 0) {
          throw KmipException.malformed(String.format("big integer 0x%06X length %d is not a multiple of 8", tag, len));
        }
        byte[] b = new byte[len];
        buf.get(b);
        item = Ttlv.bigInteger(tag, new BigInteger(b));
      }
      case TEXT_STRING -> {
        byte[] b = new byte[len];
        buf.get(b);
        try {
          item = Ttlv.text(tag, StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString());
        } catch (CharacterCodingException e) {
          throw KmipException.malformed(String.format("text 0x%06X is not UTF-8", tag));
        }
      }
      case BYTE_STRING -> {
        byte[] b = new byte[len];
        buf.get(b);
        item = Ttlv.bytes(tag, b);
        Arrays.fill(b, (byte) 0);
      }
      default -> throw new IllegalStateException();
    }
    int pad = padding(len);
    for (int i = 0; i < pad; i++) {
      if (buf.get() != 0) {
        throw KmipException.malformed(String.format("item 0x%06X has non-zero padding", tag));
      }
    }
    return item;
  }
}
