package io.cobalt.gateway.blob;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureException;
import org.junit.jupiter.api.Test;

class ByteRangeTest {
  @Test
  void parsesClosedAndOpenRanges() {
    assertEquals(new ByteRange(0, 100), ByteRange.resolve("bytes=0-99", null, 1000));
    assertEquals(new ByteRange(900, 100), ByteRange.resolve("bytes=900-", null, 1000));
    assertEquals("bytes 900-999/1000", new ByteRange(900, 100).contentRange(1000));
  }

  @Test
  void clampsARangePastTheEnd() {
    assertEquals(new ByteRange(990, 10), ByteRange.resolve(null, "bytes=990-5000", 1000));
  }

  @Test
  void xmsRangeWinsOverRange() {
    assertEquals(new ByteRange(5, 1), ByteRange.resolve("bytes=0-0", "bytes=5-5", 1000));
  }

  @Test
  void answersInvalidRangeWhenTheStartIsAtOrPastTheEnd() {
    AzureException e = assertThrows(AzureException.class, () -> ByteRange.resolve("bytes=1000-", null, 1000));
    assertEquals(AzureError.INVALID_RANGE, e.error());
    assertEquals(416, e.error().status());
    assertThrows(AzureException.class, () -> ByteRange.resolve(null, "bytes=0-", 0));
  }

  @Test
  void ignoresAMalformedRangeHeaderButRejectsAMalformedXmsRange() {
    assertNull(ByteRange.resolve("bytes=-5", null, 1000));
    assertNull(ByteRange.resolve("bytes=5-1", null, 1000));
    assertNull(ByteRange.resolve("items=0-1", null, 1000));
    assertNull(ByteRange.resolve("bytes=0-1,3-4", null, 1000));
    AzureException e = assertThrows(AzureException.class, () -> ByteRange.resolve(null, "bytes=x-1", 1000));
    assertEquals(AzureError.INVALID_HEADER_VALUE, e.error());
  }

  @Test
  void wholeBlobWhenNoRange() {
    assertNull(ByteRange.resolve(null, null, 1000));
  }
}
