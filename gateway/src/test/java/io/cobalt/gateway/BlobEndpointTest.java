package io.cobalt.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.BlobContainerItem;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobHttpHeaders;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobListDetails;
import com.azure.storage.blob.models.BlobProperties;
import com.azure.storage.blob.models.BlobRange;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.BlobType;
import com.azure.storage.blob.models.ListBlobContainersOptions;
import com.azure.storage.blob.models.ListBlobsOptions;
import com.azure.storage.blob.options.BlobParallelUploadOptions;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import com.azure.core.http.rest.PagedResponse;
import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The gateway driven by the official Azure SDK for Java, over HTTP, with strict in-memory fakes for
 * the nodes and the kms-agent.
 */
class BlobEndpointTest {
  static final String ACCOUNT = "devstoreaccount1";
  static final String KEY =
      "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
  static final long SEED = new SecureRandom().nextLong();

  static ExecutorService backendThreads;
  static FakeChunkClient chunks;
  static FakeMetadataClient metadata;
  static FakeKeyClient keys;
  static GatewayServer server;
  static BlobServiceClient client;

  @BeforeAll
  static void start() throws Exception {
    System.out.println("BlobEndpointTest seed " + SEED);
    backendThreads = Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "fake-backend");
      t.setDaemon(true);
      return t;
    });
    chunks = new FakeChunkClient(backendThreads);
    metadata = new FakeMetadataClient(backendThreads);
    keys = new FakeKeyClient(new SecureRandom(), backendThreads);
    byte[] key2 = new byte[64];
    new SecureRandom().nextBytes(key2);
    GatewayConfig config =
        GatewayConfig.withDefaults(
            "127.0.0.1",
            0,
            List.of(new AccountKeys(ACCOUNT, Base64.getDecoder().decode(KEY), key2)),
            List.of(
                new NodeEndpoint("node-a", "127.0.0.1", 1),
                new NodeEndpoint("node-b", "127.0.0.1", 2),
                new NodeEndpoint("node-c", "127.0.0.1", 3)),
            "127.0.0.1",
            4,
            null);
    server = GatewayServer.start(config, new Backends(chunks, metadata, keys));
    client = clientWithKey(KEY);
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
    backendThreads.shutdownNow();
  }

  static BlobServiceClient clientWithKey(String key) {
    return new BlobServiceClientBuilder()
        .connectionString(
            "DefaultEndpointsProtocol=http;AccountName=" + ACCOUNT + ";AccountKey=" + key
                + ";BlobEndpoint=http://127.0.0.1:" + server.blobPort() + "/" + ACCOUNT + ";")
        .retryOptions(new RequestRetryOptions(RetryPolicyType.FIXED, 1, Duration.ofSeconds(30), null, null, null))
        .buildClient();
  }

  static byte[] random(int size, long salt) {
    byte[] b = new byte[size];
    new Random(SEED ^ salt).nextBytes(b);
    return b;
  }

  static BlobContainerClient newContainer(String name) {
    BlobContainerClient c = client.getBlobContainerClient(name);
    c.create();
    return c;
  }

  @Test
  void roundTripsBlobsOfEdgeSizesByteForByte() throws Exception {
    BlobContainerClient c = newContainer("sizes");
    int[] sizes = {0, 1, 65535, 65537, 4 * 1024 * 1024, 5 * 1024 * 1024 + 3};
    for (int size : sizes) {
      byte[] data = random(size, size);
      BlobClient blob = c.getBlobClient("blob-" + size);
      blob.upload(BinaryData.fromBytes(data), true);
      assertArrayEquals(data, blob.downloadContent().toBytes(), "size " + size);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      blob.downloadStream(out);
      assertArrayEquals(data, out.toByteArray(), "stream size " + size);
      BlobProperties p = blob.getProperties();
      assertEquals(size, p.getBlobSize());
      assertArrayEquals(MessageDigest.getInstance("MD5").digest(data), p.getContentMd5());
    }
  }

  @Test
  void uploadsUnderAWriteQuorumWhenOneNodeIsDownAndReadsFromTheOthers() {
    BlobContainerClient c = newContainer("quorum");
    byte[] data = random(3 * 1024 * 1024, 7);
    chunks.down.add("node-b");
    try {
      c.getBlobClient("q").upload(BinaryData.fromBytes(data), true);
      assertArrayEquals(data, c.getBlobClient("q").downloadContent().toBytes());
    } finally {
      chunks.down.remove("node-b");
    }
  }

  @Test
  void refusesAWriteThatCannotReachItsQuorum() {
    BlobContainerClient c = newContainer("noquorum");
    chunks.down.add("node-a");
    chunks.down.add("node-b");
    try {
      BlobStorageException e =
          assertThrows(
              BlobStorageException.class,
              () -> c.getBlobClient("q").upload(BinaryData.fromBytes(random(1000, 8)), true));
      assertEquals(503, e.getStatusCode());
      assertEquals(BlobErrorCode.SERVER_BUSY, e.getErrorCode());
    } finally {
      chunks.down.remove("node-a");
      chunks.down.remove("node-b");
    }
  }

  @Test
  void failsOverToAnotherReplicaWhenOneReplicaIsCorrupt() {
    BlobContainerClient c = newContainer("failover");
    byte[] data = random(200_000, 9);
    BlobClient blob = c.getBlobClient("f");
    blob.upload(BinaryData.fromBytes(data), true);
    // Every replica a node holds of every chunk is swapped for garbage on one node: reads must fail over.
    for (Map.Entry<String, byte[]> e : new ArrayList<>(chunks.stores.get("node-a").entrySet())) {
      byte[] bad = e.getValue().clone();
      bad[bad.length - 1] ^= 1;
      chunks.stores.get("node-a").put(e.getKey(), bad);
    }
    try {
      assertArrayEquals(data, blob.downloadContent().toBytes());
    } finally {
      restoreNodeA();
    }
  }

  @Test
  void rangeReadRefusesAReplicaCutAtASegmentBoundary() throws Exception {
    BlobContainerClient c = newContainer("truncated");
    byte[] data = random(3 * 65536 + 100, 10);
    BlobClient blob = c.getBlobClient("t");
    blob.upload(BinaryData.fromBytes(data), true);
    // Every copy is cut after its second segment, by nodes that no longer check content addresses:
    // the first segment still authenticates on its own, so only the manifest's length tells that the
    // replica is short. Nothing may be served.
    Map<String, Map<String, byte[]>> originals = new java.util.HashMap<>();
    chunks.lying.addAll(List.of("node-a", "node-b", "node-c"));
    for (String node : List.of("node-a", "node-b", "node-c")) {
      originals.put(node, new java.util.HashMap<>(chunks.stores.getOrDefault(node, Map.of())));
      for (Map.Entry<String, byte[]> e : originals.get(node).entrySet()) {
        chunks.stores.get(node).put(e.getKey(), Arrays.copyOf(e.getValue(), 48 + 2 * (65536 + 16)));
      }
    }
    try {
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      assertThrows(
          RuntimeException.class,
          () -> blob.downloadStreamWithResponse(out, new BlobRange(0, 1000L), null, null, false, null, null));
      assertEquals(0, out.size(), "no byte of a short replica is served");
    } finally {
      chunks.lying.clear();
      originals.forEach((node, copies) -> chunks.stores.get(node).putAll(copies));
    }
  }

  /** Puts back good copies on node-a from the other nodes. */
  private static void restoreNodeA() {
    for (String other : List.of("node-b", "node-c")) {
      chunks.stores.getOrDefault(other, Map.of()).forEach((k, v) -> chunks.stores.get("node-a").put(k, v));
    }
    chunks.stores.get("node-a").entrySet().removeIf(e ->
        !Arrays.equals(FakeChunkClient.sha256(e.getValue()), java.util.HexFormat.of().parseHex(e.getKey())));
  }

  @Test
  void neverServesAChunkThatFailsAuthenticationOnEveryReplica() {
    BlobContainerClient c = newContainer("forged");
    BlobClient blob = c.getBlobClient("x");
    blob.upload(BinaryData.fromBytes(random(100_000, 10)), true);
    // A forged chunk that hashes to its (new) id: replace the record's chunk id everywhere.
    byte[] forged = random(100_000 + 48 + 32, 11);
    byte[] forgedId = FakeChunkClient.sha256(forged);
    for (String n : List.of("node-a", "node-b", "node-c")) {
      chunks.stores.computeIfAbsent(n, k -> new java.util.concurrent.ConcurrentHashMap<>())
          .put(FakeChunkClient.hex(forgedId), forged);
    }
    metadata.tamper(
        b -> b.getName().equals("x")
            ? b.toBuilder().setStreams(0, b.getStreams(0).toBuilder().setChunks(0,
                b.getStreams(0).getChunks(0).toBuilder().setChunkId(com.google.protobuf.ByteString.copyFrom(forgedId)))).build()
            : b);
    // The manifest MAC catches the swapped chunk id before any byte is sent.
    BlobStorageException e = assertThrows(BlobStorageException.class, () -> blob.downloadContent());
    assertEquals(500, e.getStatusCode());
  }

  @Test
  void readsRangesAtRandomOffsets() {
    BlobContainerClient c = newContainer("ranges");
    byte[] data = random(9 * 1024 * 1024 + 17, 12);
    BlobClient blob = c.getBlobClient("r");
    blob.upload(BinaryData.fromBytes(data), true);
    Random rnd = new Random(SEED);
    for (int i = 0; i < 12; i++) {
      long offset = i == 0 ? 4 * 1024 * 1024 - 5 : (long) (rnd.nextDouble() * data.length);
      long count = Math.min(data.length - offset, 1 + rnd.nextInt(5 * 1024 * 1024));
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      blob.downloadStreamWithResponse(out, new BlobRange(offset, count), null, null, false, null, null);
      assertArrayEquals(
          Arrays.copyOfRange(data, (int) offset, (int) (offset + count)), out.toByteArray(),
          "offset " + offset + " count " + count + " seed " + SEED);
    }
    ByteArrayOutputStream tail = new ByteArrayOutputStream();
    blob.downloadStreamWithResponse(tail, new BlobRange(data.length - 10), null, null, false, null, null);
    assertArrayEquals(Arrays.copyOfRange(data, data.length - 10, data.length), tail.toByteArray());
    BlobStorageException e =
        assertThrows(
            BlobStorageException.class,
            () -> blob.downloadStreamWithResponse(
                new ByteArrayOutputStream(), new BlobRange(data.length, 5L), null, null, false, null, null));
    assertEquals(416, e.getStatusCode());
    assertEquals(BlobErrorCode.INVALID_RANGE, e.getErrorCode());
  }

  @Test
  void storesPropertiesAndMetadata() {
    BlobContainerClient c = newContainer("props");
    BlobClient blob = c.getBlobClient("dir/with space/ünïcode+plus.txt");
    byte[] data = "hello".getBytes();
    blob.uploadWithResponse(
        new BlobParallelUploadOptions(BinaryData.fromBytes(data))
            .setHeaders(new BlobHttpHeaders().setContentType("text/plain").setContentLanguage("en")
                .setCacheControl("no-cache").setContentDisposition("inline").setContentEncoding("identity"))
            .setMetadata(Map.of("colour", "blue", "Owner", "me")),
        null, null);
    BlobProperties p = blob.getProperties();
    assertEquals("text/plain", p.getContentType());
    assertEquals("en", p.getContentLanguage());
    assertEquals("no-cache", p.getCacheControl());
    assertEquals("inline", p.getContentDisposition());
    assertEquals("identity", p.getContentEncoding());
    assertEquals(BlobType.BLOCK_BLOB, p.getBlobType());
    assertTrue(p.isServerEncrypted());
    assertEquals("blue", p.getMetadata().get("colour"));
    assertNotNull(p.getETag());
    assertNotNull(p.getLastModified());
    assertNotNull(p.getCreationTime());
    assertArrayEquals(data, blob.downloadContent().toBytes());
    BlobItem item =
        c.listBlobs(new ListBlobsOptions().setDetails(new BlobListDetails().setRetrieveMetadata(true)), null)
            .iterator().next();
    assertEquals("dir/with space/ünïcode+plus.txt", item.getName());
    assertEquals("blue", item.getMetadata().get("colour"));
    assertEquals(5L, item.getProperties().getContentLength());
    assertEquals("text/plain", item.getProperties().getContentType());
    assertTrue(item.getProperties().isServerEncrypted());
  }

  @Test
  void listsBlobsWithPrefixAndPaging() {
    BlobContainerClient c = newContainer("listing");
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 11; i++) {
      String name = String.format("p/%02d", i);
      c.getBlobClient(name).upload(BinaryData.fromBytes(new byte[] {(byte) i}), true);
      expected.add(name);
    }
    c.getBlobClient("q/other").upload(BinaryData.fromBytes(new byte[1]), true);
    List<String> names = new ArrayList<>();
    int pages = 0;
    for (PagedResponse<BlobItem> page :
        c.listBlobs(new ListBlobsOptions().setPrefix("p/").setMaxResultsPerPage(3), null).iterableByPage()) {
      pages++;
      assertTrue(page.getValue().size() <= 3);
      page.getValue().forEach(b -> names.add(b.getName()));
    }
    assertEquals(expected, names);
    assertEquals(4, pages);
  }

  @Test
  void createsListsAndDeletesContainers() {
    List<String> created = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      String name = "lc-" + i;
      client.getBlobContainerClient(name).createWithResponse(Map.of("k", "v" + i), null, null, null);
      created.add(name);
    }
    List<String> listed = new ArrayList<>();
    int pages = 0;
    for (PagedResponse<BlobContainerItem> page :
        client.listBlobContainers(new ListBlobContainersOptions().setPrefix("lc-").setMaxResultsPerPage(2)
            .setDetails(new com.azure.storage.blob.models.BlobContainerListDetails().setRetrieveMetadata(true)), null)
            .iterableByPage()) {
      pages++;
      for (BlobContainerItem item : page.getValue()) {
        listed.add(item.getName());
        assertEquals("v" + item.getName().substring(3), item.getMetadata().get("k"));
      }
    }
    assertEquals(created, listed);
    assertEquals(3, pages);
    BlobStorageException dup =
        assertThrows(BlobStorageException.class, () -> client.getBlobContainerClient("lc-0").create());
    assertEquals(BlobErrorCode.CONTAINER_ALREADY_EXISTS, dup.getErrorCode());
    assertTrue(client.getBlobContainerClient("lc-0").exists());
    client.getBlobContainerClient("lc-0").delete();
    assertFalse(client.getBlobContainerClient("lc-0").exists());
    BlobStorageException gone =
        assertThrows(BlobStorageException.class, () -> client.getBlobContainerClient("lc-0").delete());
    assertEquals(BlobErrorCode.CONTAINER_NOT_FOUND, gone.getErrorCode());
  }

  @Test
  void deletesBlobs() {
    BlobContainerClient c = newContainer("deletes");
    BlobClient blob = c.getBlobClient("d");
    blob.upload(BinaryData.fromBytes(new byte[10]), true);
    assertTrue(blob.exists());
    blob.delete();
    assertFalse(blob.exists());
    BlobStorageException e = assertThrows(BlobStorageException.class, blob::delete);
    assertEquals(404, e.getStatusCode());
    assertEquals(BlobErrorCode.BLOB_NOT_FOUND, e.getErrorCode());
    BlobStorageException get = assertThrows(BlobStorageException.class, blob::downloadContent);
    assertEquals(BlobErrorCode.BLOB_NOT_FOUND, get.getErrorCode());
  }

  @Test
  void rejectsAWrongAccountKeyWithAuthenticationFailed() {
    byte[] wrong = new byte[64];
    new Random(SEED).nextBytes(wrong);
    BlobServiceClient bad = clientWithKey(Base64.getEncoder().encodeToString(wrong));
    BlobStorageException e =
        assertThrows(BlobStorageException.class, () -> bad.getBlobContainerClient("nope").create());
    assertEquals(403, e.getStatusCode());
    assertEquals(BlobErrorCode.AUTHENTICATION_FAILED, e.getErrorCode());
  }

  @Test
  void answersContainerNotFoundForBlobOperationsInAMissingContainer() {
    BlobClient blob = client.getBlobContainerClient("missing").getBlobClient("b");
    BlobStorageException up =
        assertThrows(BlobStorageException.class, () -> blob.upload(BinaryData.fromBytes(new byte[3]), true));
    assertEquals(404, up.getStatusCode());
    assertEquals(BlobErrorCode.CONTAINER_NOT_FOUND, up.getErrorCode());
    BlobStorageException down = assertThrows(BlobStorageException.class, blob::downloadContent);
    assertEquals(BlobErrorCode.CONTAINER_NOT_FOUND, down.getErrorCode());
  }

  @Test
  void keepsOnlyCiphertextOnTheNodes() {
    BlobContainerClient c = newContainer("ciphertext");
    byte[] marker = "COBALT-PLAINTEXT-MARKER-0123456789".getBytes();
    byte[] data = new byte[300_000];
    for (int i = 0; i + marker.length <= data.length; i += marker.length) {
      System.arraycopy(marker, 0, data, i, marker.length);
    }
    c.getBlobClient("m").upload(BinaryData.fromBytes(data), true);
    for (Map<String, byte[]> store : chunks.stores.values()) {
      for (byte[] chunk : store.values()) {
        assertFalse(contains(chunk, marker), "plaintext marker found in a stored chunk");
      }
    }
  }

  @Test
  void answersUnauthenticatedRequestsWithAnAzureErrorBodyAndTheCommonHeaders() throws Exception {
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    String base = "http://127.0.0.1:" + server.blobPort();
    java.net.http.HttpResponse<String> r = http.send(
        // Account level: 403 (under a container an anonymous caller gets 404 ResourceNotFound, ADR 0015).
        java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/" + ACCOUNT + "?comp=list"))
            .header("x-ms-version", "2021-12-02").GET().build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(403, r.statusCode());
    assertEquals("AuthenticationFailed", r.headers().firstValue("x-ms-error-code").orElseThrow());
    assertEquals("2021-12-02", r.headers().firstValue("x-ms-version").orElseThrow());
    String id = r.headers().firstValue("x-ms-request-id").orElseThrow();
    assertEquals(id, java.util.UUID.fromString(id).toString());
    assertTrue(r.headers().firstValue("Date").isPresent());
    assertTrue(r.body().startsWith("<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>AuthenticationFailed</Code>"
        + "<Message>Server failed to authenticate the request."), r.body());
    assertTrue(r.body().contains("\nRequestId:" + id + "\nTime:"), r.body());

    java.net.http.HttpResponse<String> head = http.send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/" + ACCOUNT + "/c1/b"))
            .method("HEAD", java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(404, head.statusCode(), "anonymous read of a private container's blob");
    assertEquals("", head.body());

    java.net.http.HttpResponse<String> unknown = http.send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/nosuchaccount/c1")).GET().build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(400, unknown.statusCode());
    assertEquals("InvalidOperation", unknown.headers().firstValue("x-ms-error-code").orElseThrow());

    java.net.http.HttpResponse<String> root = http.send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/")).GET().build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(400, root.statusCode());
    assertTrue(root.headers().firstValue("x-ms-request-id").isPresent());
  }

  @Test
  void answersUnsupportedOperationsWithNotImplementedNever500() {
    BlobContainerClient c = newContainer("unsupported");
    BlobClient blob = c.getBlobClient("b");
    blob.upload(BinaryData.fromBytes(new byte[1]), true);
    // (Snapshots, tags and copies are supported: ADRs 0022, 0018, 0019.)
    BlobStorageException undelete = assertThrows(BlobStorageException.class, () -> blob.undelete());
    assertEquals(501, undelete.getStatusCode());
    BlobStorageException name = assertThrows(BlobStorageException.class,
        () -> client.getBlobContainerClient("Bad_Name").create());
    assertEquals(BlobErrorCode.INVALID_RESOURCE_NAME, name.getErrorCode());
  }

  static boolean contains(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
