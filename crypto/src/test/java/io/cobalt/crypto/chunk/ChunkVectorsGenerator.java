package io.cobalt.crypto.chunk;

import io.cobalt.crypto.key.DataKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Writes src/test/resources/vectors/chunk-v1.json. Run once when the format is introduced (never
 * to "fix" a failing vector test: a changed vector is a format change):
 *
 * <pre>
 * java -cp crypto/target/test-classes:crypto/target/classes io.cobalt.crypto.chunk.ChunkVectorsGenerator \
 *     crypto/src/test/resources/vectors/chunk-v1.json
 * </pre>
 */
final class ChunkVectorsGenerator {
  static final String PATTERN = "i mod 251";
  private static final HexFormat HEX = HexFormat.of();
  /** Chunks up to this size are written out in full; bigger ones as SHA-256 plus their head. */
  private static final int INLINE_LIMIT = 512;

  private ChunkVectorsGenerator() {}

  static byte[] pattern(int length) {
    byte[] b = new byte[length];
    for (int i = 0; i < length; i++) {
      b[i] = (byte) (i % 251);
    }
    return b;
  }

  private static byte[] seq(int from, int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (from + i);
    }
    return b;
  }

  public static void main(String[] args) throws IOException, NoSuchAlgorithmException {
    StringBuilder json = new StringBuilder();
    json.append("{\n")
        .append("  \"format\": \"cobalt chunk v1\",\n")
        .append("  \"description\": \"docs/encryption-format.md. Byte strings are lowercase hex. ")
        .append("Where plaintextPattern is given, plaintext byte i = i mod 251 for i in [0, plaintextLength). ")
        .append("Where chunk is absent, chunkSha256 is the SHA-256 of the whole chunk and chunkHead its first 96 bytes.\",\n")
        .append("  \"vectors\": [\n");
    byte[] dek = seq(0x00, 32);
    byte[] objectId = seq(0x10, 16);
    byte[] streamId = seq(0x20, 16);
    byte[] salt = seq(0xa0, 32);
    byte[] prefix = seq(0xc0, 7);
    byte[] shortText = "Cobalt chunk format v1 test vector".getBytes(StandardCharsets.US_ASCII);
    Object[][] specs = {
      {"empty chunk", "devstoreaccount1", 0, new byte[0], false},
      {"short, one final segment", "devstoreaccount1", 1, shortText, false},
      {"non-ASCII account, largest chunk index", "k\u00f6nto-\u00fc", Integer.MAX_VALUE, pattern(33), true},
      {"exactly one full segment", "devstoreaccount1", 2, pattern(65536), true},
      {"two segments, one-byte final segment", "devstoreaccount1", 3, pattern(65537), true},
      {"four segments, 17-byte final segment", "account2", 4, pattern(3 * 65536 + 17), true},
      {"largest chunk, 64 full segments", "account2", 5, pattern(4 * 1024 * 1024), true},
    };
    for (int v = 0; v < specs.length; v++) {
      String name = (String) specs[v][0];
      String account = (String) specs[v][1];
      int index = (Integer) specs[v][2];
      byte[] plaintext = (byte[]) specs[v][3];
      boolean patterned = (Boolean) specs[v][4];
      byte[] chunk;
      try (DataKey key = DataKey.of(dek)) {
        chunk =
            ChunkSealer.seal(
                key, new ChunkIdentity(account, objectId, streamId, index), salt, prefix,
                plaintext, 0, plaintext.length);
      }
      json.append("    {\n");
      field(json, "name", name);
      field(json, "dek", HEX.formatHex(dek));
      field(json, "account", account);
      field(json, "objectId", HEX.formatHex(objectId));
      field(json, "streamId", HEX.formatHex(streamId));
      json.append("      \"chunkIndex\": ").append(index).append(",\n");
      field(json, "salt", HEX.formatHex(salt));
      field(json, "noncePrefix", HEX.formatHex(prefix));
      if (patterned) {
        field(json, "plaintextPattern", PATTERN);
        json.append("      \"plaintextLength\": ").append(plaintext.length).append(",\n");
      } else {
        field(json, "plaintext", HEX.formatHex(plaintext));
      }
      json.append("      \"chunkLength\": ").append(chunk.length).append(",\n");
      if (chunk.length <= INLINE_LIMIT) {
        json.append("      \"chunk\": \"").append(HEX.formatHex(chunk)).append("\"\n");
      } else {
        field(json, "chunkHead", HEX.formatHex(chunk, 0, 96));
        json.append("      \"chunkSha256\": \"")
            .append(HEX.formatHex(MessageDigest.getInstance("SHA-256").digest(chunk)))
            .append("\"\n");
      }
      json.append(v == specs.length - 1 ? "    }\n" : "    },\n");
    }
    json.append("  ]\n}\n");
    if (args.length == 0) {
      System.out.print(json);
    } else {
      Files.writeString(Path.of(args[0]), json, StandardCharsets.UTF_8);
    }
  }

  private static void field(StringBuilder json, String name, String value) {
    json.append("      \"").append(name).append("\": \"");
    for (char c : value.toCharArray()) {
      if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
        json.append(String.format("\\u%04x", (int) c));
      } else {
        json.append(c);
      }
    }
    json.append("\",\n");
  }
}
