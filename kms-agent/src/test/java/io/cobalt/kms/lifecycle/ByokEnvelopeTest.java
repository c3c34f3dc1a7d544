package io.cobalt.kms.lifecycle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.cobalt.kms.keys.KeyOperationException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ByokEnvelopeTest {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static KeyPair rsa;

  @BeforeAll
  static void keyPair() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(3072, RANDOM);
    rsa = g.generateKeyPair();
  }

  /** RFC 5649 §6, second example (20-octet key): the JDK's KWP is the standard one, on 17 and 25 alike. */
  @Test
  void aesKwpMatchesTheRfc5649Vector() throws Exception {
    HexFormat hex = HexFormat.of();
    byte[] kek = hex.parseHex("5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8");
    byte[] key = hex.parseHex("c37b7e6492584340bed12207808941155068f738");
    Cipher kwp = Cipher.getInstance(ByokEnvelope.KWP);
    kwp.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(kek, "AES"));
    assertEquals("138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a", hex.formatHex(kwp.doFinal(key)));
  }

  @Test
  void unwrapsWhatAnExternalToolWrapsByteForByte() throws Exception {
    byte[] target = new byte[32];
    RANDOM.nextBytes(target);
    byte[] ephemeral = new byte[32];
    RANDOM.nextBytes(ephemeral);
    // Built by hand from the documented layout, not with ByokEnvelope.wrap.
    Cipher oaep = Cipher.getInstance("RSA/ECB/OAEPPadding");
    oaep.init(Cipher.ENCRYPT_MODE, rsa.getPublic(),
        new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT));
    byte[] head = oaep.doFinal(ephemeral);
    Cipher kwp = Cipher.getInstance("AESWrapPad");
    kwp.init(Cipher.WRAP_MODE, new SecretKeySpec(ephemeral, "AES"));
    byte[] tail = kwp.wrap(new SecretKeySpec(target, "AES"));
    byte[] envelope = Arrays.copyOf(head, head.length + tail.length);
    System.arraycopy(tail, 0, envelope, head.length, tail.length);
    assertEquals(384 + 40, envelope.length);
    assertArrayEquals(target, ByokEnvelope.unwrap((RSAPrivateKey) rsa.getPrivate(), envelope));
    assertArrayEquals(target, ByokEnvelope.unwrap((RSAPrivateKey) rsa.getPrivate(),
        ByokEnvelope.wrap((RSAPublicKey) rsa.getPublic(), target, RANDOM)));
  }

  @Test
  void refusesWrongSizesAndDamagedParts() throws Exception {
    RSAPrivateKey priv = (RSAPrivateKey) rsa.getPrivate();
    byte[] good = ByokEnvelope.wrap((RSAPublicKey) rsa.getPublic(), new byte[32], RANDOM);
    for (byte[] bad : new byte[][] {
        null, new byte[0], Arrays.copyOf(good, good.length - 8), Arrays.copyOf(good, good.length + 8),
        ByokEnvelope.wrap((RSAPublicKey) rsa.getPublic(), new byte[16], RANDOM),
        ByokEnvelope.wrap((RSAPublicKey) rsa.getPublic(), new byte[48], RANDOM),
        flipped(good, 0), flipped(good, 383), flipped(good, 384), flipped(good, good.length - 1)}) {
      KeyOperationException e = assertThrows(KeyOperationException.class, () -> ByokEnvelope.unwrap(priv, bad));
      assertEquals(KeyOperationException.Kind.BAD_IMPORT, e.kind());
    }
  }

  private static byte[] flipped(byte[] b, int at) {
    byte[] c = b.clone();
    c[at] ^= 1;
    return c;
  }
}
