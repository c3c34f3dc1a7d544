package io.cobalt.kms.backend.kmip;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One KMIP TTLV item: a 3-byte tag ({@code 0x42xxxx}), a type and a value. Byte strings may hold
 * key material, so {@link #toString()} never shows them; only their length.
 */
public final class Ttlv {
  /** The TTLV item types of KMIP 1.x and their type bytes. */
  public enum Type {
    STRUCTURE(0x01),
    INTEGER(0x02),
    LONG_INTEGER(0x03),
    BIG_INTEGER(0x04),
    ENUMERATION(0x05),
    BOOLEAN(0x06),
    TEXT_STRING(0x07),
    BYTE_STRING(0x08),
    DATE_TIME(0x09),
    INTERVAL(0x0A);

    final int code;

    Type(int code) {
      this.code = code;
    }

    static Type of(int code) {
      for (Type t : values()) {
        if (t.code == code) {
          return t;
        }
      }
      return null;
    }
  }

  private final int tag;
  private final Type type;
  private final Object value;

  private Ttlv(int tag, Type type, Object value) {
    if ((tag & 0xFF000000) != 0) {
      throw new IllegalArgumentException("a tag has 3 bytes");
    }
    this.tag = tag;
    this.type = type;
    this.value = Objects.requireNonNull(value);
  }

  public static Ttlv structure(int tag, List<Ttlv> items) {
    return new Ttlv(tag, Type.STRUCTURE, List.copyOf(items));
  }

  public static Ttlv structure(int tag, Ttlv... items) {
    return structure(tag, List.of(items));
  }

  public static Ttlv integer(int tag, int value) {
    return new Ttlv(tag, Type.INTEGER, value);
  }

  public static Ttlv longInteger(int tag, long value) {
    return new Ttlv(tag, Type.LONG_INTEGER, value);
  }

  public static Ttlv bigInteger(int tag, BigInteger value) {
    return new Ttlv(tag, Type.BIG_INTEGER, value);
  }

  public static Ttlv enumeration(int tag, int value) {
    return new Ttlv(tag, Type.ENUMERATION, value);
  }

  public static Ttlv bool(int tag, boolean value) {
    return new Ttlv(tag, Type.BOOLEAN, value);
  }

  public static Ttlv text(int tag, String value) {
    return new Ttlv(tag, Type.TEXT_STRING, value);
  }

  public static Ttlv bytes(int tag, byte[] value) {
    return new Ttlv(tag, Type.BYTE_STRING, value.clone());
  }

  /** Seconds since the epoch (KMIP Date-Time is a signed 64-bit count of seconds). */
  public static Ttlv dateTime(int tag, long epochSeconds) {
    return new Ttlv(tag, Type.DATE_TIME, epochSeconds);
  }

  /** Seconds (KMIP Interval is an unsigned 32-bit count of seconds). */
  public static Ttlv interval(int tag, long seconds) {
    if (seconds < 0 || seconds > 0xFFFF_FFFFL) {
      throw new IllegalArgumentException("an interval is 0..2^32-1 seconds");
    }
    return new Ttlv(tag, Type.INTERVAL, seconds);
  }

  public int tag() {
    return tag;
  }

  public Type type() {
    return type;
  }

  @SuppressWarnings("unchecked")
  public List<Ttlv> items() {
    return (List<Ttlv>) as(Type.STRUCTURE);
  }

  public int intValue() {
    if (type == Type.INTEGER || type == Type.ENUMERATION) {
      return (Integer) value;
    }
    throw wrongType("Integer or Enumeration");
  }

  /** Long Integer, Date-Time or Interval. */
  public long longValue() {
    if (type == Type.LONG_INTEGER || type == Type.DATE_TIME || type == Type.INTERVAL) {
      return (Long) value;
    }
    throw wrongType("Long Integer, Date-Time or Interval");
  }

  public BigInteger bigIntegerValue() {
    return (BigInteger) as(Type.BIG_INTEGER);
  }

  public boolean booleanValue() {
    return (Boolean) as(Type.BOOLEAN);
  }

  public String textValue() {
    return (String) as(Type.TEXT_STRING);
  }

  /** A copy of a Byte String's bytes. */
  public byte[] bytesValue() {
    return ((byte[]) as(Type.BYTE_STRING)).clone();
  }

  /** The first direct child with {@code childTag}. */
  public Optional<Ttlv> child(int childTag) {
    for (Ttlv t : items()) {
      if (t.tag == childTag) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }

  /** The first direct child with {@code childTag}, or a {@link KmipException} naming it. */
  public Ttlv required(int childTag) throws KmipException {
    return child(childTag).orElseThrow(() -> KmipException.malformed(
        String.format("item 0x%06X has no child 0x%06X", tag, childTag)));
  }

  public List<Ttlv> children(int childTag) {
    List<Ttlv> out = new ArrayList<>();
    for (Ttlv t : items()) {
      if (t.tag == childTag) {
        out.add(t);
      }
    }
    return out;
  }

  Object rawValue() {
    return value;
  }

  private Object as(Type wanted) {
    if (type != wanted) {
      throw wrongType(wanted.name());
    }
    return value;
  }

  private IllegalStateException wrongType(String wanted) {
    return new IllegalStateException(String.format("item 0x%06X is %s, not %s", tag, type, wanted));
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Ttlv t) || t.tag != tag || t.type != type) {
      return false;
    }
    return type == Type.BYTE_STRING ? Arrays.equals((byte[]) value, (byte[]) t.value) : value.equals(t.value);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * tag + type.hashCode()) + (type == Type.BYTE_STRING ? Arrays.hashCode((byte[]) value) : value.hashCode());
  }

  @Override
  public String toString() {
    String v = switch (type) {
      case STRUCTURE -> items().toString();
      case BYTE_STRING -> "<" + ((byte[]) value).length + " bytes>";
      case TEXT_STRING -> "\"" + value + "\"";
      default -> String.valueOf(value);
    };
    return String.format("0x%06X %s %s", tag, type, v);
  }
}
