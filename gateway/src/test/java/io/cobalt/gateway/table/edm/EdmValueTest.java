package io.cobalt.gateway.table.edm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class EdmValueTest {

  @Test
  void dateTimeKeepsSevenFractionalDigits() {
    EdmValue.EdmDateTime t = EdmValue.EdmDateTime.parse("2024-01-02T03:04:05.1234567Z");
    assertEquals(Instant.parse("2024-01-02T03:04:05.123456700Z"), t.value());
    assertEquals("2024-01-02T03:04:05.1234567Z", t.format());
  }

  @Test
  void dateTimeAlwaysFormatsSevenDigits() {
    assertEquals("2024-01-01T00:00:00.0000000Z", EdmValue.EdmDateTime.parse("2024-01-01T00:00:00Z").format());
    assertEquals("2024-01-01T00:00:00.5000000Z", EdmValue.EdmDateTime.parse("2024-01-01T00:00:00.5Z").format());
  }

  @Test
  void dateTimeTruncatesBeyond100Nanoseconds() {
    assertEquals(
        "2024-01-01T00:00:00.1234567Z",
        EdmValue.EdmDateTime.parse("2024-01-01T00:00:00.123456789Z").format());
  }

  @Test
  void dateTimeWithoutZoneIsUtcAndOffsetsAreConverted() {
    assertEquals("2024-01-01T10:00:00.0000000Z", EdmValue.EdmDateTime.parse("2024-01-01T10:00:00").format());
    assertEquals("2024-01-01T09:00:00.0000000Z", EdmValue.EdmDateTime.parse("2024-01-01T10:00:00+01:00").format());
  }

  @Test
  void dateTimeRangeIs1601To9999() {
    EdmValue.EdmDateTime.parse("1601-01-01T00:00:00Z");
    EdmValue.EdmDateTime.parse("9999-12-31T23:59:59.9999999Z");
    assertEquals(
        TableInputException.OUT_OF_RANGE_INPUT,
        assertThrows(TableInputException.class, () -> EdmValue.EdmDateTime.parse("1600-12-31T23:59:59.9999999Z")).code());
  }

  @Test
  void malformedDateTimeIsInvalidInput() {
    for (String bad : new String[] {"", "2024-13-01T00:00:00Z", "2024-01-01", "yesterday", "2024-01-01T25:00:00Z"}) {
      assertEquals(
          TableInputException.INVALID_INPUT,
          assertThrows(TableInputException.class, () -> EdmValue.EdmDateTime.parse(bad)).code(), bad);
    }
  }

  @Test
  void guidParsesCanonicalFormOnly() {
    UUID u = UUID.fromString("0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9");
    assertEquals(u, EdmValue.EdmGuid.parse("0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F9").value());
    assertEquals("0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9", new EdmValue.EdmGuid(u).format());
    for (String bad : new String[] {"0a1b2c3d4e5f607182 93a4b5c6d7e8f9", "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f", "{0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9}", "1-1-1-1-1"}) {
      assertEquals(
          TableInputException.INVALID_INPUT,
          assertThrows(TableInputException.class, () -> EdmValue.EdmGuid.parse(bad)).code(), bad);
    }
  }

  @Test
  void doubleEqualityIsExact() {
    assertEquals(new EdmValue.EdmDouble(Double.NaN), new EdmValue.EdmDouble(Double.NaN));
    assertNotEquals(new EdmValue.EdmDouble(0.0), new EdmValue.EdmDouble(-0.0));
  }

  @Test
  void binaryIsImmutableAndComparedByContent() {
    byte[] raw = {1, 2, 3};
    EdmValue.EdmBinary b = new EdmValue.EdmBinary(raw);
    raw[0] = 9;
    b.bytes()[1] = 9;
    assertEquals(new EdmValue.EdmBinary(new byte[] {1, 2, 3}), b);
    assertEquals("AQID", b.base64());
    assertEquals(b, EdmValue.EdmBinary.fromBase64("AQID"));
    assertEquals(
        TableInputException.INVALID_INPUT,
        assertThrows(TableInputException.class, () -> EdmValue.EdmBinary.fromBase64("A?ID")).code());
  }

  @Test
  void unknownTypeNameIsInvalidInput() {
    assertEquals(EdmType.INT64, EdmType.fromOdataName("Edm.Int64"));
    assertEquals(
        TableInputException.INVALID_INPUT,
        assertThrows(TableInputException.class, () -> EdmType.fromOdataName("Edm.Decimal")).code());
  }
}
