package io.cobalt.gateway.table.edm;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.UUID;

/**
 * A typed property value. Each record holds exactly what Azure stores for its type, so a value
 * survives any round trip through JSON or a filter literal unchanged; equality is exact (a Double
 * NaN equals NaN, -0.0 differs from 0.0, as record equality compares doubles with {@link
 * Double#compare}).
 */
public sealed interface EdmValue {

  /** The largest string value: 64 KiB of UTF-16, i.e. 32 Ki code units. */
  int MAX_STRING_CHARS = 32 * 1024;
  /** The largest binary value: 64 KiB. */
  int MAX_BINARY_BYTES = 64 * 1024;

  EdmType type();

  /**
   * The bytes this value counts for in Azure's entity size formula ({@code Sizeof(.Net Property
   * Type)}): strings 2 per UTF-16 code unit + 4, binaries their length + 4, DateTime/Int64/Double
   * 8, Guid 16, Int32 4, Boolean 1.
   */
  long sizeBytes();

  /** An Edm.String; at most {@link #MAX_STRING_CHARS} UTF-16 code units (checked by {@link Entity}). */
  record EdmString(String value) implements EdmValue {
    public EdmString {
      if (value == null) {
        throw new NullPointerException("value");
      }
    }

    @Override
    public EdmType type() {
      return EdmType.STRING;
    }

    @Override
    public long sizeBytes() {
      return 2L * value.length() + 4;
    }
  }

  record EdmInt32(int value) implements EdmValue {
    @Override
    public EdmType type() {
      return EdmType.INT32;
    }

    @Override
    public long sizeBytes() {
      return 4;
    }
  }

  record EdmInt64(long value) implements EdmValue {
    @Override
    public EdmType type() {
      return EdmType.INT64;
    }

    @Override
    public long sizeBytes() {
      return 8;
    }
  }

  /** An Edm.Double, including NaN, the infinities and -0.0. */
  record EdmDouble(double value) implements EdmValue {
    @Override
    public EdmType type() {
      return EdmType.DOUBLE;
    }

    @Override
    public long sizeBytes() {
      return 8;
    }
  }

  record EdmBoolean(boolean value) implements EdmValue {
    @Override
    public EdmType type() {
      return EdmType.BOOLEAN;
    }

    @Override
    public long sizeBytes() {
      return 1;
    }
  }

  /**
   * An Edm.DateTime: a UTC instant with 100-ns precision (the .NET tick Azure keeps, 7 fractional
   * digits), from 1601-01-01T00:00:00Z to 9999-12-31T23:59:59.9999999Z.
   */
  record EdmDateTime(Instant value) implements EdmValue {
    /** The earliest Edm.DateTime Azure stores. */
    public static final Instant MIN = Instant.parse("1601-01-01T00:00:00Z");
    /** The latest Edm.DateTime Azure stores. */
    public static final Instant MAX = Instant.parse("9999-12-31T23:59:59.9999999Z");

    private static final DateTimeFormatter SEVEN_DIGITS =
        DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSSS'Z'").withZone(ZoneOffset.UTC);

    public EdmDateTime {
      if (value.getNano() % 100 != 0) {
        throw new IllegalArgumentException("Edm.DateTime has 100-ns precision: " + value);
      }
      if (value.isBefore(MIN) || value.isAfter(MAX)) {
        throw new TableInputException(
            TableInputException.OUT_OF_RANGE_INPUT, "Edm.DateTime out of range: " + value);
      }
    }

    /** The value truncated to 100 ns, the precision Azure keeps. */
    public static EdmDateTime of(Instant instant) {
      long nanos = instant.getNano();
      return new EdmDateTime(instant.truncatedTo(ChronoUnit.SECONDS).plusNanos(nanos - nanos % 100));
    }

    /**
     * Parses an ISO-8601 date-time as Azure accepts it: {@code Z}, an offset, or no zone (taken as
     * UTC); any number of fractional digits, truncated to 100 ns. InvalidInput if it does not parse,
     * OutOfRangeInput if outside 1601..9999.
     */
    public static EdmDateTime parse(String text) {
      Instant instant;
      try {
        instant = OffsetDateTime.parse(text, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
      } catch (DateTimeParseException withoutZone) {
        try {
          instant =
              java.time.LocalDateTime.parse(text, DateTimeFormatter.ISO_LOCAL_DATE_TIME)
                  .toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
          throw TableInputException.invalidInput("not an Edm.DateTime: " + text);
        }
      }
      return of(instant);
    }

    /** Azure's form: UTC, always 7 fractional digits, e.g. {@code 2024-01-01T00:00:00.0000000Z}. */
    public String format() {
      return SEVEN_DIGITS.format(value);
    }

    @Override
    public EdmType type() {
      return EdmType.DATE_TIME;
    }

    @Override
    public long sizeBytes() {
      return 8;
    }
  }

  record EdmGuid(UUID value) implements EdmValue {
    public EdmGuid {
      if (value == null) {
        throw new NullPointerException("value");
      }
    }

    /** Parses the canonical 8-4-4-4-12 hexadecimal form (either case); InvalidInput otherwise. */
    public static EdmGuid parse(String text) {
      if (text.length() != 36) {
        throw TableInputException.invalidInput("not an Edm.Guid: " + text);
      }
      for (int i = 0; i < 36; i++) {
        char c = text.charAt(i);
        boolean dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? c != '-' : Character.digit(c, 16) < 0) {
          throw TableInputException.invalidInput("not an Edm.Guid: " + text);
        }
      }
      return new EdmGuid(UUID.fromString(text));
    }

    /** Lower-case canonical form. */
    public String format() {
      return value.toString();
    }

    @Override
    public EdmType type() {
      return EdmType.GUID;
    }

    @Override
    public long sizeBytes() {
      return 16;
    }
  }

  /** An Edm.Binary; at most {@link #MAX_BINARY_BYTES} (checked by {@link Entity}). Immutable. */
  final class EdmBinary implements EdmValue {
    private final byte[] bytes;

    public EdmBinary(byte[] bytes) {
      this.bytes = bytes.clone();
    }

    /** Decodes standard base64 (with padding); InvalidInput otherwise. */
    public static EdmBinary fromBase64(String text) {
      try {
        return new EdmBinary(Base64.getDecoder().decode(text.getBytes(StandardCharsets.US_ASCII)));
      } catch (IllegalArgumentException e) {
        throw TableInputException.invalidInput("not base64: " + e.getMessage());
      }
    }

    public byte[] bytes() {
      return bytes.clone();
    }

    public int length() {
      return bytes.length;
    }

    public String base64() {
      return Base64.getEncoder().encodeToString(bytes);
    }

    /** Compares unsigned, byte by byte, shorter first on a common prefix. */
    public int compareTo(EdmBinary other) {
      return Arrays.compareUnsigned(bytes, other.bytes);
    }

    @Override
    public EdmType type() {
      return EdmType.BINARY;
    }

    @Override
    public long sizeBytes() {
      return bytes.length + 4L;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof EdmBinary other && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
      return bytes.length <= 32
          ? "EdmBinary[" + HexFormat.of().formatHex(bytes) + "]"
          : "EdmBinary[" + bytes.length + " bytes]";
    }
  }
}
