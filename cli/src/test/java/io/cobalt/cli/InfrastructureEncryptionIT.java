package io.cobalt.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.BlobRange;
import com.azure.storage.blob.specialized.AppendBlobClient;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An account created with {@code requireInfrastructureEncryption} (ADR 0032), judged by the Azure SDK
 * on a real in-process cluster: blobs of every shape store and read back, and no node file holds
 * the plaintext or a first-layer chunk: every chunk on disk is the nodes' second, sealed layer.
 */
class InfrastructureEncryptionIT {
  private static final long SEED = Long.getLong("cobalt.seed", System.nanoTime());
  /** The crypto module's first-layer chunk header: magic "CBLT", version 1, suite 1, 64 KiB segments, flags 0. */
  private static final byte[] FIRST_LAYER_HEADER = {'C', 'B', 'L', 'T', 1, 1, 16, 0};
  /** The nodes' sealed-value header: magic "CBIE", format 1. */
  private static final byte[] SEALED_HEADER = {'C', 'B', 'I', 'E', 1};

  @TempDir static Path data;

  private static DevCluster cluster;
  private static BlobServiceClient service;

  @BeforeAll
  static void startCluster() throws Exception {
    System.out.println("InfrastructureEncryptionIT seed " + SEED + " (replay with -Dcobalt.seed=" + SEED + ")");
    // The account is created with the option: the dev cluster's account file, written before first start.
    Properties p = new Properties();
    byte[] key2 = new byte[64];
    new SecureRandom().nextBytes(key2);
    p.setProperty(DevCluster.DEV_ACCOUNT + ".key2", Base64.getEncoder().encodeToString(key2));
    p.setProperty(DevCluster.DEV_ACCOUNT + ".requireInfrastructureEncryption", "true");
    Path file = data.resolve("account-keys.properties");
    Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try (OutputStream out = Files.newOutputStream(file)) {
      p.store(out, null);
    }
    cluster = DevCluster.start(DevCluster.Options.defaults(data).withBlobPort(0));
    service = new BlobServiceClientBuilder().connectionString(cluster.connectionString()).buildClient();
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void blobsOfEveryShapeStoreAndReadBackWithThePlaintextNowhereOnDisk() throws IOException {
    Random random = new Random(SEED);
    byte[] marker = ("COBALT-PLAINTEXT-MARKER-" + HexFormat.of().formatHex(bytes(random, 16)))
        .getBytes(StandardCharsets.US_ASCII);
    BlobContainerClient c = service.getBlobContainerClient("double");
    c.create();

    for (int size : new int[] {0, 1, 64 * 1024 + 1, 5 * 1024 * 1024}) {
      byte[] content = marked(marker, size);
      BlobClient b = c.getBlobClient("put-" + size);
      b.upload(BinaryData.fromBytes(content), true);
      assertArrayEquals(content, b.downloadContent().toBytes(), size + " bytes");
    }
    // Staged blocks (the SDK splits a large upload into Put Block + Put Block List).
    byte[] large = marked(marker, 9 * 1024 * 1024 + 17);
    BlobClient staged = c.getBlobClient("staged");
    staged.upload(new ByteArrayInputStream(large), large.length, true);
    assertArrayEquals(large, staged.downloadContent().toBytes());
    ByteArrayOutputStream range = new ByteArrayOutputStream();
    staged.downloadStreamWithResponse(range, new BlobRange(4 * 1024 * 1024 - 5, 100_000L), null, null, false, null,
        null);
    assertArrayEquals(java.util.Arrays.copyOfRange(large, 4 * 1024 * 1024 - 5, 4 * 1024 * 1024 - 5 + 100_000),
        range.toByteArray());
    // Append blocks.
    AppendBlobClient append = c.getBlobClient("append").getAppendBlobClient();
    append.create();
    byte[] part = marked(marker, 300_000);
    append.appendBlock(new ByteArrayInputStream(part), part.length);
    append.appendBlock(new ByteArrayInputStream(part), part.length);
    byte[] both = new byte[2 * part.length];
    System.arraycopy(part, 0, both, 0, part.length);
    System.arraycopy(part, 0, both, part.length, part.length);
    assertArrayEquals(both, c.getBlobClient("append").downloadContent().toBytes());
    assertTrue(c.getBlobClient("put-1").getProperties().isServerEncrypted());

    List<Path> files;
    try (Stream<Path> walk = Files.walk(cluster.dataDir())) {
      files = walk.filter(Files::isRegularFile).toList();
    }
    assertFalse(files.isEmpty());
    int sealed = 0;
    for (Path f : files) {
      byte[] bytes = Files.readAllBytes(f);
      assertEquals(-1, BlobEndToEndIT.indexOf(bytes, marker), "plaintext marker found in " + f);
      if (f.startsWith(cluster.dataDir().resolve("nodes"))) {
        assertEquals(-1, BlobEndToEndIT.indexOf(bytes, FIRST_LAYER_HEADER),
            "a chunk without its infrastructure layer in " + f);
        sealed += count(bytes, SEALED_HEADER);
      }
    }
    assertTrue(sealed > 0, "sealed chunk values are on the nodes' disks");
    for (int i = 1; i <= 3; i++) {
      Path key = cluster.dataDir().resolve("nodes").resolve("node-" + i).resolve("infrastructure.key");
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
    }
  }

  private static byte[] marked(byte[] marker, int size) {
    byte[] content = new byte[size];
    for (int i = 0; i < size; i++) {
      content[i] = marker[i % marker.length];
    }
    return content;
  }

  private static byte[] bytes(Random random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  private static int count(byte[] hay, byte[] needle) {
    int n = 0;
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      n++;
    }
    return n;
  }
}
