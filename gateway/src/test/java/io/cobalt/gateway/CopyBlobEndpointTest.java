package io.cobalt.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.http.HttpAuthorization;
import com.azure.core.http.RequestConditions;
import com.azure.core.util.BinaryData;
import com.azure.core.util.Context;
import com.azure.core.util.polling.LongRunningOperationStatus;
import com.azure.core.util.polling.PollResponse;
import com.azure.core.util.polling.SyncPoller;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.models.BlobCopyInfo;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobHttpHeaders;
import com.azure.storage.blob.models.BlobProperties;
import com.azure.storage.blob.models.BlobRequestConditions;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.CopyStatusType;
import com.azure.storage.blob.options.BlobBeginCopyOptions;
import com.azure.storage.blob.options.BlobCopyFromUrlOptions;
import com.azure.storage.blob.options.BlobUploadFromUrlOptions;
import com.azure.storage.blob.sas.BlobSasPermission;
import com.azure.storage.blob.sas.BlobServiceSasSignatureValues;
import com.azure.storage.blob.specialized.BlobLeaseClient;
import com.azure.storage.blob.specialized.BlobLeaseClientBuilder;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.ChunkRef;
import io.cobalt.proto.node.v1.MetadataCommand;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Copy Blob, Copy Blob From URL, Put Blob From URL and Abort Copy Blob (ADR 0019) through the
 * official Azure SDK, on the gateway with strict fakes whose metadata semantics are the node's.
 */
class CopyBlobEndpointTest {
  static final long SEED = new SecureRandom().nextLong();
  static GatewayFixture gateway;
  static BlobServiceClient client;
  static BlobContainerClient box;

  @BeforeAll
  static void start() throws Exception {
    System.out.println("CopyBlobEndpointTest seed " + SEED);
    gateway = new GatewayFixture(c -> c);
    client = gateway.keyClient();
    box = client.getBlobContainerClient("copies");
    box.create();
  }

  @AfterAll
  static void stop() {
    if (gateway != null) {
      gateway.close();
    }
  }

  static byte[] random(int size, long salt) {
    byte[] b = new byte[size];
    new Random(SEED ^ salt).nextBytes(b);
    return b;
  }

  static BlobClient source(String name, byte[] data, Map<String, String> metadata) {
    BlobClient src = box.getBlobClient(name);
    src.upload(BinaryData.fromBytes(data), true);
    if (metadata != null) {
      src.setMetadata(metadata);
    }
    return src;
  }

  static String withSas(BlobClient blob) {
    return blob.getBlobUrl() + "?" + blob.generateSas(
        new BlobServiceSasSignatureValues(OffsetDateTime.now().plusHours(1), BlobSasPermission.parse("r")));
  }

  static BlobRecord lastPut(String name) {
    List<MetadataCommand> commands = gateway.metadata.commands();
    for (int i = commands.size() - 1; i >= 0; i--) {
      MetadataCommand c = commands.get(i);
      if (c.hasPutBlob() && c.getPutBlob().getBlob().getName().equals(name)) {
        return c.getPutBlob().getBlob();
      }
    }
    throw new AssertionError("no Put Blob of " + name);
  }

  static Set<String> chunkIds(BlobRecord b) {
    Set<String> out = new HashSet<>();
    b.getStreamsList().forEach(s -> s.getChunksList().stream().map(ChunkRef::getChunkId)
        .forEach(id -> out.add(java.util.HexFormat.of().formatHex(id.toByteArray()))));
    return out;
  }

  @Test
  void beginCopyWithinTheAccountCompletesAtOnceUnderANewKeyAndObjectId() {
    byte[] data = random(9_000_000, 1); // three chunks
    BlobClient src = source("big-source.bin", data, Map.of("origin", "camera"));
    src.setHttpHeaders(new BlobHttpHeaders().setContentType("image/raw").setContentLanguage("en"));
    BlobClient dst = box.getBlobClient("big-copy.bin");

    SyncPoller<BlobCopyInfo, Void> poller = dst.beginCopy(src.getBlobUrl(), Duration.ofMillis(50));
    PollResponse<BlobCopyInfo> done = poller.waitForCompletion(Duration.ofSeconds(60));
    assertEquals(LongRunningOperationStatus.SUCCESSFULLY_COMPLETED, done.getStatus());
    assertEquals(CopyStatusType.SUCCESS, done.getValue().getCopyStatus());

    assertArrayEquals(data, dst.downloadContent().toBytes());
    BlobProperties p = dst.getProperties();
    assertEquals(done.getValue().getCopyId(), p.getCopyId());
    assertEquals(CopyStatusType.SUCCESS, p.getCopyStatus());
    assertEquals(src.getBlobUrl(), p.getCopySource());
    assertEquals(data.length + "/" + data.length, p.getCopyProgress());
    assertNotNull(p.getCopyCompletionTime());
    assertEquals(Map.of("origin", "camera"), p.getMetadata(), "no metadata given: the source's is copied");
    assertEquals("image/raw", p.getContentType());
    assertEquals("en", p.getContentLanguage());

    BlobRecord from = lastPut("big-source.bin");
    BlobRecord to = lastPut("big-copy.bin");
    assertNotEquals(from.getObjectId(), to.getObjectId());
    assertNotEquals(from.getDeks(0), to.getDeks(0), "the copy has a DEK of its own");
    Set<String> shared = chunkIds(from);
    shared.retainAll(chunkIds(to));
    assertTrue(shared.isEmpty(), "no chunk is shared between source and copy");
    assertFalse(to.getCopySource().contains("?"), "no query string (and so no SAS) is stored");
  }

  @Test
  void copyFromUrlWithASasCopiesSynchronouslyAndReplacesMetadataWhenGiven() {
    byte[] data = random(70_000, 2);
    BlobClient src = source("sync-source.bin", data, Map.of("a", "1", "b", "2"));
    BlobClient dst = box.getBlobClient("sync-copy.bin");

    String copyId = dst.copyFromUrlWithResponse(
        new BlobCopyFromUrlOptions(withSas(src)).setMetadata(Map.of("c", "3")), null, Context.NONE).getValue();

    assertArrayEquals(data, dst.downloadContent().toBytes());
    BlobProperties p = dst.getProperties();
    assertEquals(copyId, p.getCopyId());
    assertEquals(CopyStatusType.SUCCESS, p.getCopyStatus());
    assertEquals(Map.of("c", "3"), p.getMetadata(), "metadata on the request replaces the source's");
    assertEquals(src.getBlobUrl(), p.getCopySource(), "shown without the SAS");

    // A copy of an empty blob (a known failure of other services).
    BlobClient empty = source("empty-source.bin", new byte[0], null);
    box.getBlobClient("empty-copy.bin").copyFromUrl(withSas(empty));
    assertEquals(0, box.getBlobClient("empty-copy.bin").downloadContent().toBytes().length);
  }

  @Test
  void copyFromUrlOfAPrivateSourceWithoutSasIsRefusedAsAzureDoes() {
    BlobClient src = source("private.bin", random(100, 3), null);
    BlobStorageException e = assertThrows(BlobStorageException.class,
        () -> box.getBlobClient("private-copy.bin").copyFromUrl(src.getBlobUrl()));
    assertEquals(404, e.getStatusCode());
    assertEquals(BlobErrorCode.CANNOT_VERIFY_COPY_SOURCE, e.getErrorCode());
    assertEquals("ResourceNotFound", e.getResponse().getHeaderValue("x-ms-copy-source-error-code"));
    assertFalse(box.getBlobClient("private-copy.bin").exists());
  }

  @Test
  void uploadFromUrlWritesABlockBlobFromASasSource() {
    byte[] data = random(5_000_000, 4);
    BlobClient src = source("put-source.bin", data, Map.of("x", "y"));
    src.setHttpHeaders(new BlobHttpHeaders().setContentType("text/csv"));
    BlobClient dst = box.getBlobClient("put-copy.bin");

    dst.getBlockBlobClient().uploadFromUrl(withSas(src));

    assertArrayEquals(data, dst.downloadContent().toBytes());
    BlobProperties p = dst.getProperties();
    assertNull(p.getCopyId(), "Put Blob From URL is a put, not a copy");
    assertEquals("text/csv", p.getContentType(), "the source's properties are copied by default");
    assertTrue(p.getMetadata().isEmpty(), "metadata is the request's only");
    assertNotNull(p.getContentMd5());

    BlobStorageException exists = assertThrows(BlobStorageException.class,
        () -> dst.getBlockBlobClient().uploadFromUrl(withSas(src))); // overwrite=false: If-None-Match: *
    assertEquals(BlobErrorCode.BLOB_ALREADY_EXISTS, exists.getErrorCode());

    BlobStorageException bearer = assertThrows(BlobStorageException.class,
        () -> dst.getBlockBlobClient().uploadFromUrlWithResponse(
            new BlobUploadFromUrlOptions(withSas(src)).setSourceAuthorization(new HttpAuthorization("Bearer", "token")),
            null, Context.NONE));
    assertEquals(401, bearer.getStatusCode());
    assertEquals(BlobErrorCode.CANNOT_VERIFY_COPY_SOURCE, bearer.getErrorCode());
  }

  @Test
  void sourceConditionsThatFailAre412AndWriteNothing() {
    BlobClient src = source("conditional-source.bin", random(1000, 5), null);
    String etag = src.getProperties().getETag();
    BlobClient dst = box.getBlobClient("conditional-copy.bin");

    BlobStorageException ifMatch = assertThrows(BlobStorageException.class,
        () -> dst.copyFromUrlWithResponse(new BlobCopyFromUrlOptions(withSas(src))
            .setSourceRequestConditions(new RequestConditions().setIfMatch("\"0x1234\"")), null, Context.NONE));
    assertEquals(412, ifMatch.getStatusCode());
    assertEquals(BlobErrorCode.SOURCE_CONDITION_NOT_MET, ifMatch.getErrorCode());

    BlobStorageException ifNoneMatch = assertThrows(BlobStorageException.class,
        () -> dst.beginCopy(new BlobBeginCopyOptions(src.getBlobUrl())
            .setSourceRequestConditions(new com.azure.storage.blob.models.BlobBeginCopySourceRequestConditions().setIfNoneMatch(etag))
            .setPollInterval(Duration.ofMillis(50))).waitForCompletion());
    assertEquals(412, ifNoneMatch.getStatusCode());
    assertEquals(BlobErrorCode.SOURCE_CONDITION_NOT_MET, ifNoneMatch.getErrorCode());
    assertFalse(dst.exists());

    // The matching ETag copies.
    dst.copyFromUrlWithResponse(new BlobCopyFromUrlOptions(withSas(src))
        .setSourceRequestConditions(new RequestConditions().setIfMatch(etag)), null, Context.NONE);
    assertTrue(dst.exists());
  }

  @Test
  void destinationConditionsAndLeaseApply() {
    BlobClient src = source("dest-cond-source.bin", random(1000, 6), null);
    BlobClient dst = box.getBlobClient("dest-cond.bin");
    dst.upload(BinaryData.fromBytes(random(10, 7)));

    BlobStorageException exists = assertThrows(BlobStorageException.class,
        () -> dst.copyFromUrlWithResponse(new BlobCopyFromUrlOptions(withSas(src))
            .setDestinationRequestConditions(new BlobRequestConditions().setIfNoneMatch("*")), null, Context.NONE));
    assertEquals(BlobErrorCode.BLOB_ALREADY_EXISTS, exists.getErrorCode());

    BlobLeaseClient lease = new BlobLeaseClientBuilder().blobClient(dst).buildClient();
    String leaseId = lease.acquireLease(-1);
    BlobStorageException noLease = assertThrows(BlobStorageException.class,
        () -> dst.copyFromUrl(withSas(src)));
    assertEquals(412, noLease.getStatusCode());
    assertEquals(BlobErrorCode.LEASE_ID_MISSING, noLease.getErrorCode());
    dst.copyFromUrlWithResponse(new BlobCopyFromUrlOptions(withSas(src))
        .setDestinationRequestConditions(new BlobRequestConditions().setLeaseId(leaseId)), null, Context.NONE);
    assertArrayEquals(src.downloadContent().toBytes(), dst.downloadContent().toBytes());
    lease.releaseLease();
  }

  @Test
  void aMissingSourceIs404CannotVerifyCopySource() {
    BlobClient dst = box.getBlobClient("from-nothing.bin");
    BlobStorageException e = assertThrows(BlobStorageException.class,
        () -> dst.beginCopy(box.getBlobClient("no-such-blob.bin").getBlobUrl(), Duration.ofMillis(50))
            .waitForCompletion());
    assertEquals(404, e.getStatusCode());
    assertEquals(BlobErrorCode.CANNOT_VERIFY_COPY_SOURCE, e.getErrorCode());
    assertEquals("BlobNotFound", e.getResponse().getHeaderValue("x-ms-copy-source-error-code"));

    BlobStorageException noContainer = assertThrows(BlobStorageException.class,
        () -> dst.copyFromUrl(client.getBlobContainerClient("no-such-container").getBlobClient("x").getBlobUrl()));
    assertEquals(404, noContainer.getStatusCode());
    assertEquals(BlobErrorCode.CANNOT_VERIFY_COPY_SOURCE, noContainer.getErrorCode());

    BlobStorageException snapshot = assertThrows(BlobStorageException.class,
        () -> dst.copyFromUrl(source("snap-source.bin", random(10, 8), null).getBlobUrl()
            + "?snapshot=2026-01-01T00:00:00.0000000Z"));
    assertEquals(404, snapshot.getStatusCode());
    assertEquals(BlobErrorCode.CANNOT_VERIFY_COPY_SOURCE, snapshot.getErrorCode());
  }

  @Test
  void aTamperedSourceSasIs403CannotVerifyCopySource() {
    BlobClient src = source("sas-source.bin", random(10, 9), null);
    String url = withSas(src).replace("sp=r", "sp=rw");
    BlobStorageException e = assertThrows(BlobStorageException.class,
        () -> box.getBlobClient("sas-copy.bin").copyFromUrl(url));
    assertEquals(403, e.getStatusCode());
    assertEquals(BlobErrorCode.CANNOT_VERIFY_COPY_SOURCE, e.getErrorCode());
    assertEquals("AuthenticationFailed", e.getResponse().getHeaderValue("x-ms-copy-source-error-code"));
  }

  @Test
  void aSourceOutsideThisServiceIsRefused() {
    BlobStorageException e = assertThrows(BlobStorageException.class,
        () -> box.getBlobClient("remote-copy.bin").copyFromUrl("https://elsewhere.invalid/acct/c/b.bin"));
    assertEquals(400, e.getStatusCode());
    assertEquals(BlobErrorCode.CANNOT_VERIFY_COPY_SOURCE, e.getErrorCode());

    BlobStorageException malformed = assertThrows(BlobStorageException.class,
        () -> box.getBlobClient("remote-copy.bin").beginCopy("ftp://127.0.0.1/acct/c/b.bin", Duration.ofMillis(50)).waitForCompletion());
    assertEquals(400, malformed.getStatusCode());
    assertEquals(BlobErrorCode.INVALID_HEADER_VALUE, malformed.getErrorCode());
  }

  @Test
  void abortCopyFindsNoPendingCopy() {
    BlobClient src = source("abort-source.bin", random(10, 10), null);
    BlobClient dst = box.getBlobClient("abort-copy.bin");
    String copyId = dst.copyFromUrl(withSas(src));
    BlobStorageException e = assertThrows(BlobStorageException.class, () -> dst.abortCopyFromUrl(copyId));
    assertEquals(409, e.getStatusCode());
    assertEquals(BlobErrorCode.NO_PENDING_COPY_OPERATION, e.getErrorCode());

    BlobStorageException missing = assertThrows(BlobStorageException.class,
        () -> box.getBlobClient("never-copied.bin").abortCopyFromUrl(copyId));
    assertEquals(BlobErrorCode.BLOB_NOT_FOUND, missing.getErrorCode());
  }

  @Test
  void setBlobPropertiesEndsTheCopyRecordAndSetMetadataKeepsIt() {
    BlobClient src = source("props-source.bin", random(10, 11), null);
    BlobClient dst = box.getBlobClient("props-copy.bin");
    String copyId = dst.copyFromUrl(withSas(src));
    dst.setMetadata(Map.of("k", "v"));
    assertEquals(copyId, dst.getProperties().getCopyId());
    dst.setHttpHeaders(new BlobHttpHeaders().setContentType("text/plain"));
    assertNull(dst.getProperties().getCopyId());
  }

  @Test
  void aPublicSourceNeedsNoSasAndASasSignedCopyCannotUseTheAccountKeyForItsSource() {
    BlobContainerClient open = client.getBlobContainerClient("public-sources");
    open.createWithResponse(null, com.azure.storage.blob.models.PublicAccessType.BLOB, null, Context.NONE);
    byte[] data = random(3000, 12);
    BlobClient src = open.getBlobClient("open.bin");
    src.upload(BinaryData.fromBytes(data), true);
    BlobClient dst = box.getBlobClient("from-public.bin");
    dst.copyFromUrl(src.getBlobUrl());
    assertArrayEquals(data, dst.downloadContent().toBytes());

    // A destination reached with a SAS: the source (private, same account, no SAS of its own) is
    // read anonymously, so it is not found, as in Azure.
    BlobClient privateSource = source("private-for-sas.bin", random(10, 13), null);
    String destSas = box.generateSas(new BlobServiceSasSignatureValues(OffsetDateTime.now().plusHours(1),
        com.azure.storage.blob.sas.BlobContainerSasPermission.parse("rcw")));
    BlobClient viaSas = gateway.sasClient(destSas).getBlobContainerClient("copies").getBlobClient("sas-dest.bin");
    BlobStorageException e = assertThrows(BlobStorageException.class,
        () -> viaSas.beginCopy(privateSource.getBlobUrl(), Duration.ofMillis(50)).waitForCompletion());
    assertEquals(404, e.getStatusCode());
    assertEquals(BlobErrorCode.CANNOT_VERIFY_COPY_SOURCE, e.getErrorCode());
    viaSas.beginCopy(withSas(privateSource), Duration.ofMillis(50)).waitForCompletion();
    assertArrayEquals(privateSource.downloadContent().toBytes(), box.getBlobClient("sas-dest.bin").downloadContent().toBytes());
  }

  /**
   * Bounded memory: with the copy's chunk writes held, the source is read no further than the
   * writer's in-flight limit (2 chunks) plus the one being read: never the whole blob.
   */
  @Test
  void aCopyReadsItsSourceNoFasterThanItsChunksAreWritten() throws Exception {
    int chunkCount = 8;
    byte[] data = random(chunkCount * 4 * 1024 * 1024, 14);
    BlobClient src = source("paced-source.bin", data, null);
    String url = withSas(src);
    BlobClient dst = box.getBlobClient("paced-copy.bin");
    java.util.concurrent.CompletableFuture<Void> gate = new java.util.concurrent.CompletableFuture<>();
    java.util.concurrent.ExecutorService caller = java.util.concurrent.Executors.newSingleThreadExecutor();
    java.util.concurrent.Future<String> copy;
    int reads = -1;
    try {
      gateway.chunks.gets.set(0);
      gateway.chunks.putGate = gate;
      copy = caller.submit(() -> dst.copyFromUrl(url));
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      long stableSince = System.nanoTime();
      while (System.nanoTime() < deadline) {
        int now = gateway.chunks.gets.get();
        if (now != reads) {
          reads = now;
          stableSince = System.nanoTime();
        } else if (now > 0 && System.nanoTime() - stableSince > Duration.ofSeconds(1).toNanos()) {
          break;
        }
        Thread.sleep(50);
      }
      assertFalse(copy.isDone(), "the copy cannot finish while its writes are held");
    } finally {
      gateway.chunks.putGate = null;
      gate.complete(null);
    }
    assertTrue(reads >= 1 && reads <= 3, "source chunks read while writes were held: " + reads + " of " + chunkCount);
    String copyId = copy.get(60, java.util.concurrent.TimeUnit.SECONDS);
    caller.shutdownNow();
    assertEquals(copyId, dst.getProperties().getCopyId());
    assertArrayEquals(data, dst.downloadContent().toBytes());
  }

  /**
   * A source in another account of this service: readable with that account's SAS (the copy is
   * sealed under a DEK of the destination's account), not with the destination's Shared Key.
   */
  @Test
  void aSourceInAnotherAccountNeedsItsOwnSasAndIsReencryptedForTheDestinationAccount() throws Exception {
    String other = "otheraccount";
    byte[] otherKey = new byte[64];
    new SecureRandom().nextBytes(otherKey);
    try (GatewayFixture two = new GatewayFixture(c -> {
      List<AccountKeys> accounts = new java.util.ArrayList<>(c.accounts());
      accounts.add(new AccountKeys(other, otherKey, otherKey));
      return new GatewayConfig(c.bindHost(), c.blobPort(), accounts, c.nodes(), c.kmsHost(), c.kmsPort(), c.tls(),
          c.partitions(), c.replicationFactor(), c.writeQuorum(), c.maxPutBlobBytes(), c.https(), c.tablePort(),
          c.queuePort(), c.keyCache());
    })) {
      String otherEndpoint = two.httpEndpoint().replace("/" + GatewayFixture.ACCOUNT, "/" + other);
      BlobServiceClient otherClient = new com.azure.storage.blob.BlobServiceClientBuilder()
          .connectionString("DefaultEndpointsProtocol=http;AccountName=" + other + ";AccountKey="
              + java.util.Base64.getEncoder().encodeToString(otherKey) + ";BlobEndpoint=" + otherEndpoint + ";")
          .retryOptions(GatewayFixture.NO_RETRY)
          .buildClient();
      BlobContainerClient theirs = otherClient.getBlobContainerClient("theirs");
      theirs.create();
      byte[] data = random(100_000, 15);
      BlobClient src = theirs.getBlobClient("src.bin");
      src.upload(BinaryData.fromBytes(data));
      BlobContainerClient mine = two.keyClient().getBlobContainerClient("mine");
      mine.create();
      BlobClient dst = mine.getBlobClient("dst.bin");

      BlobStorageException noSas = assertThrows(BlobStorageException.class,
          () -> dst.beginCopy(src.getBlobUrl(), Duration.ofMillis(50)).waitForCompletion());
      assertEquals(404, noSas.getStatusCode(), "another account's private blob is not readable with this key");
      assertEquals(BlobErrorCode.CANNOT_VERIFY_COPY_SOURCE, noSas.getErrorCode());

      dst.beginCopy(withSas(src), Duration.ofMillis(50)).waitForCompletion();
      assertArrayEquals(data, dst.downloadContent().toBytes());
      BlobRecord copied = null;
      for (MetadataCommand c : two.metadata.commands()) {
        if (c.hasPutBlob() && c.getPutBlob().getBlob().getName().equals("dst.bin")) {
          copied = c.getPutBlob().getBlob();
        }
      }
      assertNotNull(copied);
      assertEquals(GatewayFixture.ACCOUNT, copied.getAccount());
      assertEquals("account/" + GatewayFixture.ACCOUNT, copied.getDeks(0).getKeyId(),
          "the copy's DEK is wrapped under the destination account's key");
    }
  }
}
