package io.cobalt.crypto.chunk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cobalt.crypto.key.DataKey;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The published vectors in src/test/resources/vectors/chunk-v1.json, checked both ways, and two of
 * them recomputed from first principles with plain JCA calls (HMAC-SHA256 for HKDF, AES/GCM) so the
 * file is not only the implementation agreeing with itself.
 */
class ChunkVectorsTest {
  private static final HexFormat HEX = HexFormat.of();

  record Vector(
      String name,
      byte[] dek,
      String account,
      byte[] objectId,
      byte[] streamId,
      int chunkIndex,
      byte[] salt,
      byte[] noncePrefix,
      byte[] plaintext,
      int chunkLength,
      byte[] chunk,
      byte[] chunkHead,
      byte[] chunkSha256) {
    ChunkIdentity identity() {
      return new ChunkIdentity(account, objectId, streamId, chunkIndex);
    }

    @Override
    public String toString() {
      return name;
    }
  }

  @SuppressWarnings("unchecked")
  static List<Vector> vectors() throws IOException {
    String json;
    try (InputStream in = ChunkVectorsTest.class.getResourceAsStream("/vectors/chunk-v1.json")) {
      assertNotNull(in, "vectors/chunk-v1.json on the test classpath");
      json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    Map<String, Object> root = (Map<String, Object>) MiniJson.parse(json);
    assertEquals("cobalt chunk v1", root.get("format"));
    return ((List<Object>) root.get("vectors"))
        .stream().map(o -> toVector((Map<String, Object>) o)).toList();
  }

  private static Vector toVector(Map<String, Object> m) {
    byte[] plaintext;
    if (m.containsKey("plaintextPattern")) {
      assertEquals("i mod 251", m.get("plaintextPattern"));
      int n = Math.toIntExact((Long) m.get("plaintextLength"));
      plaintext = new byte[n];
      for (int i = 0; i < n; i++) {
        plaintext[i] = (byte) (i % 251);
      }
    } else {
      plaintext = hex(m, "plaintext");
    }
    return new Vector(
        (String) m.get("name"),
        hex(m, "dek"),
        (String) m.get("account"),
        hex(m, "objectId"),
        hex(m, "streamId"),
        Math.toIntExact((Long) m.get("chunkIndex")),
        hex(m, "salt"),
        hex(m, "noncePrefix"),
        plaintext,
        Math.toIntExact((Long) m.get("chunkLength")),
        hex(m, "chunk"),
        hex(m, "chunkHead"),
        hex(m, "chunkSha256"));
  }

  private static byte[] hex(Map<String, Object> m, String key) {
    Object v = m.get(key);
    return v == null ? null : HEX.parseHex((String) v);
  }

  private static Vector vector(String name) throws IOException {
    return vectors().stream().filter(v -> v.name().equals(name)).findFirst().orElseThrow();
  }

  static Stream<Vector> allVectors() throws IOException {
    return vectors().stream();
  }

  @Test
  void fileHasSeveralVectorsIncludingMultiSegmentOnes() throws IOException {
    List<Vector> all = vectors();
    assertTrue(all.size() >= 5, "vectors: " + all.size());
    assertTrue(all.stream().anyMatch(v -> v.plaintext().length > 3 * ChunkFormat.SEGMENT_SIZE));
    assertTrue(all.stream().anyMatch(v -> v.plaintext().length == 0));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("allVectors")
  void sealProducesTheVectorAndOpenRecoversItsPlaintext(Vector v) throws Exception {
    byte[] chunk;
    try (DataKey dek = DataKey.of(v.dek())) {
      chunk =
          ChunkSealer.seal(
              dek, v.identity(), v.salt(), v.noncePrefix(), v.plaintext(), 0, v.plaintext().length);
    }
    assertEquals(v.chunkLength(), chunk.length, v.name());
    assertChunkMatches(v, chunk);

    byte[] stored = v.chunk() != null ? v.chunk() : chunk; // big vectors: verified by hash above
    try (DataKey dek = DataKey.of(v.dek())) {
      assertArrayEquals(v.plaintext(), new ChunkOpener().open(dek, v.identity(), stored), v.name());
    }
  }

  private static void assertChunkMatches(Vector v, byte[] chunk) throws Exception {
    if (v.chunk() != null) {
      assertEquals(HEX.formatHex(v.chunk()), HEX.formatHex(chunk), v.name());
    } else {
      assertArrayEquals(v.chunkHead(), Arrays.copyOf(chunk, v.chunkHead().length), v.name());
      assertArrayEquals(
          v.chunkSha256(), MessageDigest.getInstance("SHA-256").digest(chunk), v.name());
    }
  }

  @Test
  void shortVectorMatchesAnIndependentComputation() throws Exception {
    Vector v = vector("short, one final segment");
    byte[] expected = independentSeal(v);
    assertArrayEquals(v.chunk(), expected);
  }

  @Test
  void twoSegmentVectorMatchesAnIndependentComputation() throws Exception {
    Vector v = vector("two segments, one-byte final segment");
    byte[] expected = independentSeal(v);
    assertEquals(v.chunkLength(), expected.length);
    assertChunkMatches(v, expected);
  }

  @Test
  void emptyVectorMatchesAnIndependentComputation() throws Exception {
    Vector v = vector("empty chunk");
    assertArrayEquals(v.chunk(), independentSeal(v));
  }

  /**
   * The format straight from docs/encryption-format.md, with no Cobalt code: header by hand,
   * HKDF-SHA256 as two HMACs (L = 32 ≤ HashLen, so one expand block), AES-256-GCM per segment.
   */
  private static byte[] independentSeal(Vector v) throws Exception {
    byte[] header =
        ByteBuffer.allocate(48)
            .put("CBLT".getBytes(StandardCharsets.US_ASCII))
            .put((byte) 1) // version
            .put((byte) 1) // suite
            .put((byte) 16) // log2 segment size
            .put((byte) 0) // flags
            .put(v.salt())
            .put(v.noncePrefix())
            .put((byte) 0) // reserved
            .array();

    byte[] account = v.account().getBytes(StandardCharsets.UTF_8);
    byte[] label = "cobalt/chunk/v1".getBytes(StandardCharsets.US_ASCII);
    ByteBuffer info = ByteBuffer.allocate(4 + label.length + 5 + 5 + 4 + account.length + 20 + 20 + 8);
    info.putInt(label.length).put(label);
    info.putInt(1).put((byte) 1);
    info.putInt(1).put((byte) 16);
    info.putInt(account.length).put(account);
    info.putInt(16).put(v.objectId());
    info.putInt(16).put(v.streamId());
    info.putInt(4).putInt(v.chunkIndex());

    Mac extract = Mac.getInstance("HmacSHA256");
    extract.init(new SecretKeySpec(v.salt(), "HmacSHA256"));
    byte[] prk = extract.doFinal(v.dek());
    Mac expand = Mac.getInstance("HmacSHA256");
    expand.init(new SecretKeySpec(prk, "HmacSHA256"));
    expand.update(info.array());
    expand.update((byte) 1);
    SecretKeySpec chunkKey = new SecretKeySpec(expand.doFinal(), "AES");

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(header);
    byte[] pt = v.plaintext();
    int segments = Math.max(1, (pt.length + 65535) / 65536);
    for (int i = 0; i < segments; i++) {
      boolean last = i == segments - 1;
      byte[] nonce =
          ByteBuffer.allocate(12).put(v.noncePrefix()).putInt(i).put((byte) (last ? 1 : 0)).array();
      Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
      gcm.init(Cipher.ENCRYPT_MODE, chunkKey, new GCMParameterSpec(128, nonce));
      gcm.updateAAD(header);
      int from = i * 65536;
      out.write(gcm.doFinal(Arrays.copyOfRange(pt, from, Math.min(from + 65536, pt.length))));
    }
    return out.toByteArray();
  }
}
