package io.cobalt.gateway.blob;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Azure's CRC64 against the values the Azure SDK for Java computes: the expected values below are
 * the ones its StorageCrc64CalculatorTests assert for its StorageCrc64Calculator (azure-storage-common,
 * sdk/storage/azure-storage-common/src/test/.../implementation/StorageCrc64CalculatorTests.java),
 * including the "initial CRC" continuation. The SDK version this build tests with (12.34) does not
 * ship the calculator yet, so the vectors are copied rather than computed at test time.
 */
class StorageCrc64Test {

  static long unsigned(String decimal) {
    return new BigInteger(decimal).longValue();
  }

  static long sdk(long initial, byte[] data) {
    StorageCrc64 c = StorageCrc64.continuing(initial);
    c.update(data, 0, data.length);
    return c.value();
  }

  @Test
  void matchesTheSdkOnText() {
    assertEquals(0L, sdk(0, new byte[0]));
    assertEquals(208604604655264165L, sdk(0, "Hello World!".getBytes(StandardCharsets.UTF_8)));
    assertEquals(2153758901452455624L, sdk(0, "123456789!@#$%^&*()".getBytes(StandardCharsets.UTF_8)));
    assertEquals(2736107658526394369L, sdk(0,
        "This is a test where the data is longer than 64 characters so that we can test that code path."
            .getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void matchesTheSdkOnBinaryDataAndContinuations() {
    byte[] a = HexFormat.of().parseHex("C8E11B40D793D1526018");
    byte[] b = HexFormat.of().parseHex("AABBCCDDEEFF");
    assertEquals(unsigned("3386042136331673945"), sdk(0, a));
    assertEquals(unsigned("4570059697646401418"), sdk(208604604655264165L, a));
    assertEquals(unsigned("13366433516720813220"), sdk(2153758901452455624L, a));
    assertEquals(unsigned("5139183895903464380"), sdk(12345L, a));
    assertEquals(unsigned("13410969003359324163"), sdk(0, b));
    assertEquals(unsigned("7077292804802198544"), sdk(208604604655264165L, b));
    assertEquals(unsigned("7845171950889742163"), sdk(2153758901452455624L, b));
    assertEquals(unsigned("1250888331951523569"), sdk(12345L, b));
  }

  @Test
  void isTheCatalogueCrc64Nvme() {
    // The CRC catalogue's check value of CRC-64/NVME for "123456789".
    assertEquals(0xAE8B14860A799888L, StorageCrc64.compute("123456789".getBytes(StandardCharsets.US_ASCII)));
  }

  @Test
  void incrementalUpdatesEqualOneShotAndWireBytesAreLittleEndian() {
    long seed = new SecureRandom().nextLong();
    Random random = new Random(seed);
    byte[] data = new byte[100_003];
    random.nextBytes(data);
    long whole = StorageCrc64.compute(data);
    StorageCrc64 parts = new StorageCrc64();
    int off = 0;
    while (off < data.length) {
      int n = Math.min(data.length - off, random.nextInt(70));
      parts.update(data, off, n);
      off += n;
    }
    assertEquals(whole, parts.value(), "seed " + seed);
    assertArrayEquals(new byte[] {(byte) 0x88, (byte) 0x98, 0x79, 0x0A, (byte) 0x86, 0x14, (byte) 0x8B, (byte) 0xAE},
        StorageCrc64.toBytes(0xAE8B14860A799888L));
  }
}
