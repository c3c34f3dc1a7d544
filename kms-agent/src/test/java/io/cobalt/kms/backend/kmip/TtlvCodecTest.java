package io.cobalt.kms.backend.kmip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * TTLV against the encoding examples of the KMIP 1.x specification (§9.1.2, tag 0x420020), which
 * PyKMIP 0.10's own encoder reproduces byte for byte, and round trips through a whole request.
 */
class TtlvCodecTest {
  private static final int T = 0x420020;

  private static void assertEncodes(String hex, Ttlv item) throws Exception {
    byte[] bytes = HexFormat.of().parseHex(hex.replace(" ", "").replace("|", ""));
    assertArrayEquals(bytes, TtlvCodec.encode(item), item.toString());
    assertEquals(item, TtlvCodec.decode(bytes));
  }

  @Test
  void encodesTheSpecificationExamplesOfEveryType() throws Exception {
    assertEncodes("420020 | 02 | 00000004 | 00000008 00000000", Ttlv.integer(T, 8));
    assertEncodes("420020 | 03 | 00000008 | 01B69B4BA5749200", Ttlv.longInteger(T, 123456789000000000L));
    assertEncodes("420020 | 04 | 00000010 | 0000000003FD35EB 6BC2DF4618080000",
        Ttlv.bigInteger(T, new BigInteger("1234567890000000000000000000")));
    assertEncodes("420020 | 05 | 00000004 | 000000FF 00000000", Ttlv.enumeration(T, 255));
    assertEncodes("420020 | 06 | 00000008 | 0000000000000001", Ttlv.bool(T, true));
    assertEncodes("420020 | 07 | 0000000B | 48656C6C6F20576F 726C640000000000", Ttlv.text(T, "Hello World"));
    assertEncodes("420020 | 08 | 00000003 | 0102030000000000", Ttlv.bytes(T, new byte[] {1, 2, 3}));
    assertEncodes("420020 | 09 | 00000008 | 0000000047DA67F8", Ttlv.dateTime(T, 1205495800L));
    assertEncodes("420020 | 0A | 00000004 | 000D2F00 00000000", Ttlv.interval(T, 864000));
    assertEncodes("420020 | 01 | 00000020 | 420004 | 05 | 00000004 | 000000FE 00000000"
        + " | 420005 | 02 | 00000004 | 000000FF 00000000",
        Ttlv.structure(T, Ttlv.enumeration(0x420004, 254), Ttlv.integer(0x420005, 255)));
  }

  @Test
  void roundTripsARequestMessage() throws Exception {
    Ttlv request = KmipClient.request(KmipTags.OP_ENCRYPT, 1 << 20, Ttlv.text(KmipTags.UNIQUE_IDENTIFIER, "42"),
        Ttlv.bytes(KmipTags.DATA, new byte[33]), Ttlv.bigInteger(0x420001, BigInteger.valueOf(-5)),
        Ttlv.longInteger(0x420002, -1L), Ttlv.bool(0x420003, false), Ttlv.text(0x420006, "é"));
    byte[] bytes = TtlvCodec.encode(request);
    assertEquals(0, bytes.length % 8);
    assertEquals(request, TtlvCodec.decode(bytes));
  }

  @Test
  void refusesTruncatedPaddedOrMistypedInput() {
    byte[] good = TtlvCodec.encode(Ttlv.text(T, "Hello World"));
    assertThrows(KmipException.class, () -> TtlvCodec.decode(java.util.Arrays.copyOf(good, good.length - 1)));
    byte[] badPad = good.clone();
    badPad[good.length - 1] = 1;
    assertThrows(KmipException.class, () -> TtlvCodec.decode(badPad));
    byte[] badType = good.clone();
    badType[3] = 0x0B;
    assertThrows(KmipException.class, () -> TtlvCodec.decode(badType));
    byte[] badBool = HexFormat.of().parseHex("4200200600000008" + "0000000000000002");
    assertThrows(KmipException.class, () -> TtlvCodec.decode(badBool));
    byte[] shortInt = HexFormat.of().parseHex("4200200200000008" + "0000000000000001");
    assertThrows(KmipException.class, () -> TtlvCodec.decode(shortInt));
    byte[] hugeLength = HexFormat.of().parseHex("420020017FFFFFF0");
    assertThrows(KmipException.class, () -> TtlvCodec.decode(hugeLength));
  }

  @Test
  void refusesNestingDeeperThanItsLimit() {
    Ttlv t = Ttlv.integer(T, 1);
    for (int i = 0; i < TtlvCodec.MAX_DEPTH + 2; i++) {
      t = Ttlv.structure(T, t);
    }
    byte[] deep = TtlvCodec.encode(t);
    KmipException e = assertThrows(KmipException.class, () -> TtlvCodec.decode(deep));
    assertTrue(e.getMessage().contains("deeper"), e.getMessage());
  }

  @Test
  void neverShowsByteStringsInItsStringForm() {
    Ttlv t = Ttlv.bytes(T, HexFormat.of().parseHex("DEADBEEFCAFE"));
    assertFalse(t.toString().toLowerCase(java.util.Locale.ROOT).contains("deadbeef"));
    assertTrue(t.toString().contains("6 bytes"), t.toString());
  }

  @Test
  void readsAServersFailureAsItsResultReason() throws Exception {
    Ttlv response = Ttlv.structure(KmipTags.RESPONSE_MESSAGE,
        Ttlv.structure(KmipTags.RESPONSE_HEADER, Ttlv.integer(KmipTags.BATCH_COUNT, 1)),
        Ttlv.structure(KmipTags.BATCH_ITEM, Ttlv.enumeration(KmipTags.OPERATION, KmipTags.OP_DECRYPT),
            Ttlv.enumeration(KmipTags.RESULT_STATUS, 1), Ttlv.enumeration(KmipTags.RESULT_REASON, 1),
            Ttlv.text(KmipTags.RESULT_MESSAGE, "Could not locate object: 7")));
    KmipException e = assertThrows(KmipException.class,
        () -> KmipClient.payloadOf(TtlvCodec.decode(TtlvCodec.encode(response)), KmipTags.OP_DECRYPT));
    assertEquals(KmipTags.REASON_ITEM_NOT_FOUND, e.resultReason());
  }
}
