package io.cobalt.crypto.kdf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HexFormat;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** RFC 5869 Appendix A, test cases 1–3 (the SHA-256 ones). */
class HkdfSha256Test {
  private static final HexFormat HEX = HexFormat.of();

  static Stream<Arguments> rfc5869() {
    return Stream.of(
        Arguments.of(
            "A.1 basic",
            "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
            "000102030405060708090a0b0c",
            "f0f1f2f3f4f5f6f7f8f9",
            42,
            "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"),
        Arguments.of(
            "A.2 long inputs",
            range(0x00, 0x50),
            range(0x60, 0xb0),
            range(0xb0, 0x100),
            82,
            "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
            "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
                + "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
                + "cc30c58179ec3e87c14c01d5c1f3434f1d87"),
        Arguments.of(
            "A.3 empty salt and info",
            "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
            "",
            "",
            42,
            "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"));
  }

  private static String range(int fromInclusive, int toExclusive) {
    StringBuilder sb = new StringBuilder();
    for (int i = fromInclusive; i < toExclusive; i++) {
      sb.append(String.format("%02x", i));
    }
    return sb.toString();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rfc5869")
  void matchesRfc5869TestVectors(
      String name, String ikm, String salt, String info, int length, String prk, String okm) {
    byte[] actualPrk = HkdfSha256.extract(HEX.parseHex(salt), HEX.parseHex(ikm));
    assertArrayEquals(HEX.parseHex(prk), actualPrk, name + " PRK");
    assertArrayEquals(
        HEX.parseHex(okm), HkdfSha256.expand(actualPrk, HEX.parseHex(info), length), name + " OKM");
    assertArrayEquals(
        HEX.parseHex(okm),
        HkdfSha256.derive(HEX.parseHex(ikm), HEX.parseHex(salt), HEX.parseHex(info), length),
        name + " derive");
  }

  @Test
  void nullSaltMeansZeroSalt() {
    byte[] ikm = HEX.parseHex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
    assertArrayEquals(
        HkdfSha256.extract(new byte[32], ikm), HkdfSha256.extract(null, ikm));
  }

  @Test
  void rejectsOutputLengthsOutsideRfcBounds() {
    byte[] prk = new byte[32];
    assertThrows(IllegalArgumentException.class, () -> HkdfSha256.expand(prk, new byte[0], 0));
    assertThrows(
        IllegalArgumentException.class,
        () -> HkdfSha256.expand(prk, new byte[0], HkdfSha256.MAX_OUTPUT_LENGTH + 1));
    byte[] longest = HkdfSha256.expand(prk, new byte[0], HkdfSha256.MAX_OUTPUT_LENGTH);
    // A shorter output is a prefix of a longer one (T(1) ‖ T(2) ‖ …).
    assertArrayEquals(
        java.util.Arrays.copyOf(longest, 65), HkdfSha256.expand(prk, new byte[0], 65));
  }

  @Test
  void infoEncodingIsUnambiguous() {
    // ("ab", "c") and ("a", "bc") would collide under plain concatenation.
    byte[] x = new KdfInfo().utf8("ab").utf8("c").toByteArray();
    byte[] y = new KdfInfo().utf8("a").utf8("bc").toByteArray();
    assertNotEquals(HEX.formatHex(x), HEX.formatHex(y));
    assertArrayEquals(HEX.parseHex("00000002616200000001" + "63"), x);
    assertArrayEquals(
        HEX.parseHex("00000001" + "07" + "00000004" + "ffffffff"),
        new KdfInfo().uint8(7).uint32(-1).toByteArray());
  }
}
