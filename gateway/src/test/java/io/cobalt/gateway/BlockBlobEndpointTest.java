package io.cobalt.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobHttpHeaders;
import com.azure.storage.blob.models.BlobProperties;
import com.azure.storage.blob.models.BlobRequestConditions;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.Block;
import com.azure.storage.blob.models.BlockList;
import com.azure.storage.blob.models.BlockListType;
import com.azure.storage.blob.models.ParallelTransferOptions;
import com.azure.storage.blob.options.BlobParallelUploadOptions;
import com.azure.storage.blob.specialized.BlockBlobClient;
import com.azure.core.util.Context;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Block blobs, properties/metadata and conditional requests through the official Azure SDK, on the
 * gateway with strict fakes whose metadata semantics are the node's real PartitionStateMachine.
 */
class BlockBlobEndpointTest {
  static final long SEED = new SecureRandom().nextLong();
  static GatewayFixture gateway;
  static BlobServiceClient client;
  static BlobContainerClient box;

  @BeforeAll
  static void start() throws Exception {
    System.out.println("BlockBlobEndpointTest seed " + SEED);
    gateway = new GatewayFixture(c -> c);
    client = gateway.keyClient();
    box = client.getBlobContainerClient("blocks");
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

  static String id(int n) {
    return Base64.getEncoder().encodeToString(String.format("block-%06d", n).getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void stagesBlocksAndCommitsThemInTheListedOrder() {
    BlockBlobClient blob = box.getBlobClient("staged.bin").getBlockBlobClient();
    byte[] a = random(70_000, 1);
    byte[] b = random(5_000_000, 2); // spans two chunks
    byte[] c = random(10, 3);
    blob.stageBlock(id(1), BinaryData.fromBytes(a));
    blob.stageBlock(id(2), BinaryData.fromBytes(b));
    blob.stageBlock(id(3), BinaryData.fromBytes(c));

    BlockList before = blob.listBlocks(BlockListType.ALL);
    assertEquals(0, before.getCommittedBlocks().size());
    assertEquals(List.of(id(1), id(2), id(3)), before.getUncommittedBlocks().stream().map(Block::getName).toList());
    assertEquals(5_000_000L, before.getUncommittedBlocks().get(1).getSizeLong());

    blob.commitBlockList(List.of(id(3), id(1), id(2)));
    assertArrayEquals(concat(c, a, b), blob.downloadContent().toBytes());

    BlockList after = blob.listBlocks(BlockListType.ALL);
    assertEquals(List.of(id(3), id(1), id(2)), after.getCommittedBlocks().stream().map(Block::getName).toList());
    assertEquals(0, after.getUncommittedBlocks().size(), "commit drops the uncommitted blocks");

    // A new version reuses a committed block and a newly staged one; a range across both decrypts
    // with two different DEKs.
    byte[] d = random(1000, 4);
    blob.stageBlock(id(4), BinaryData.fromBytes(d));
    BlobStorageException noOverwrite = assertThrows(BlobStorageException.class,
        () -> blob.commitBlockList(List.of(id(1), id(4))));
    assertEquals(BlobErrorCode.BLOB_ALREADY_EXISTS, noOverwrite.getErrorCode(), "commitBlockList(ids) sends If-None-Match: *");
    blob.commitBlockList(List.of(id(1), id(4)), true);
    assertArrayEquals(concat(a, d), blob.downloadContent().toBytes());
    ByteArrayOutputStreamWithRange partial = new ByteArrayOutputStreamWithRange();
    blob.downloadStreamWithResponse(partial, new com.azure.storage.blob.models.BlobRange(69_990, 20L),
        null, null, false, null, Context.NONE);
    assertArrayEquals(java.util.Arrays.copyOfRange(concat(a, d), 69_990, 70_010), partial.toByteArray());
  }

  static final class ByteArrayOutputStreamWithRange extends java.io.ByteArrayOutputStream {}

  /**
   * The rewrap job (ADR 0013) swaps a staged block's wrapped DEK between the gateway's read of the
   * block list and its commit: the node refuses the stale wrapping, the gateway resolves the list
   * again and the commit succeeds with the new wrapping.
   */
  @Test
  void aCommitRacingARewrapOfItsBlocksResolvesAgainAndSucceeds() {
    BlockBlobClient blob = box.getBlobClient("rewrapped-meanwhile.bin").getBlockBlobClient();
    byte[] a = random(3000, 11);
    blob.stageBlock(id(1), BinaryData.fromBytes(a));
    java.util.concurrent.atomic.AtomicInteger swapped = new java.util.concurrent.atomic.AtomicInteger();
    gateway.metadata.beforeCommit = commit -> {
      io.cobalt.proto.node.v1.BlobRecord b = commit.getCommitBlockList().getBlob();
      io.cobalt.proto.node.v1.QueryResult state = gateway.metadata.queryDirect(
          io.cobalt.proto.node.v1.MetadataQuery.newBuilder().setPartition(commit.getPartition())
              .setGetBlockList(io.cobalt.proto.node.v1.GetBlockList.newBuilder().setAccount(b.getAccount())
                  .setContainerId(b.getContainerId()).setName(b.getName())).build());
      for (io.cobalt.proto.node.v1.UncommittedBlock u : state.getUncommittedBlocksList()) {
        io.cobalt.proto.node.v1.CommandResult r = gateway.metadata.applyDirect(
            io.cobalt.proto.node.v1.MetadataCommand.newBuilder().setPartition(commit.getPartition())
                .setRequestId("rewrap").setDekSwaps(io.cobalt.proto.node.v1.DekSwaps.newBuilder()
                    .addSwaps(io.cobalt.proto.node.v1.DekSwap.newBuilder()
                        .setKind(io.cobalt.proto.node.v1.DekHolderKind.DEK_HOLDER_UNCOMMITTED_BLOCK)
                        .setAccount(b.getAccount()).setContainerId(b.getContainerId()).setName(b.getName())
                        .setBlockId(u.getBlockId()).setRecordId(u.getStream().getStreamId())
                        .setExpected(u.getDek()).setReplacement(gateway.keys.rewrap(b.getAccount(), u.getDek()))))
                .build());
        if (r.getDekSwapOutcomes(0) == io.cobalt.proto.node.v1.DekSwapOutcome.DEK_SWAPPED) {
          swapped.incrementAndGet();
        }
      }
    };
    blob.commitBlockList(List.of(id(1)));
    assertEquals(1, swapped.get(), "the staged block's DEK was rewrapped between read and commit");
    assertArrayEquals(a, blob.downloadContent().toBytes());
  }

  @Test
  void uploadsThroughTheSdkBlockPathWhenTheBodyIsAboveTheSingleShotSize() throws Exception {
    byte[] data = random(3 * 1024 * 1024 + 17, 5);
    BlobClient blob = box.getBlobClient("parallel.bin");
    blob.uploadWithResponse(
        new BlobParallelUploadOptions(BinaryData.fromBytes(data))
            .setParallelTransferOptions(new ParallelTransferOptions()
                .setMaxSingleUploadSizeLong(1024L * 1024)
                .setBlockSizeLong(1024L * 1024)
                .setMaxConcurrency(2))
            .setMetadata(Map.of("origin", "parallel"))
            .setHeaders(new BlobHttpHeaders().setContentType("application/x-test")),
        null, Context.NONE);
    assertEquals(4, blob.getBlockBlobClient().listBlocks(BlockListType.COMMITTED).getCommittedBlocks().size());
    assertArrayEquals(data, blob.downloadContent().toBytes());
    BlobProperties p = blob.getProperties();
    assertEquals(data.length, p.getBlobSize());
    assertEquals("application/x-test", p.getContentType());
    assertEquals("parallel", p.getMetadata().get("origin"));
  }

  @Test
  void setsPropertiesAndMetadataWithANewEtagEachTime() {
    BlobClient blob = box.getBlobClient("props.txt");
    blob.upload(BinaryData.fromString("hello"), true);
    String etag0 = blob.getProperties().getETag();

    blob.setHttpHeaders(new BlobHttpHeaders().setContentType("text/plain").setContentLanguage("en")
        .setCacheControl("no-cache").setContentDisposition("inline").setContentEncoding("identity"));
    BlobProperties p1 = blob.getProperties();
    assertEquals("text/plain", p1.getContentType());
    assertEquals("en", p1.getContentLanguage());
    assertEquals("no-cache", p1.getCacheControl());
    assertEquals("inline", p1.getContentDisposition());
    assertEquals("identity", p1.getContentEncoding());
    assertNotEquals(etag0, p1.getETag());

    blob.setMetadata(Map.of("color", "blue", "size", "L"));
    BlobProperties p2 = blob.getProperties();
    assertEquals(Map.of("color", "blue", "size", "L"), p2.getMetadata());
    assertNotEquals(p1.getETag(), p2.getETag());
    assertEquals("text/plain", p2.getContentType(), "metadata leaves the properties alone");
    assertEquals("hello", blob.downloadContent().toString(), "the data is unchanged and still authenticates");

    // Get Blob Metadata (comp=metadata) through the raw endpoint is covered by the SDK's getProperties;
    // container metadata:
    box.setMetadata(Map.of("team", "storage"));
    assertEquals(Map.of("team", "storage"), box.getProperties().getMetadata());
  }

  @Test
  void conditionalWritesAndReadsAnswerAsAzure() {
    BlobClient blob = box.getBlobClient("cond.txt");
    blob.upload(BinaryData.fromString("v1"), true);
    String etag = blob.getProperties().getETag();

    // If-None-Match: * on an existing blob: 409 BlobAlreadyExists
    BlobStorageException exists = assertThrows(BlobStorageException.class,
        () -> blob.upload(BinaryData.fromString("v2"), false));
    assertEquals(409, exists.getStatusCode());
    assertEquals(BlobErrorCode.BLOB_ALREADY_EXISTS, exists.getErrorCode());

    // If-Match with a stale ETag: 412, nothing changed
    BlobStorageException stale = assertThrows(BlobStorageException.class,
        () -> blob.setMetadataWithResponse(Map.of("x", "y"),
            new BlobRequestConditions().setIfMatch("\"0x0000000000000000\""), null, Context.NONE));
    assertEquals(412, stale.getStatusCode());
    assertEquals(BlobErrorCode.CONDITION_NOT_MET, stale.getErrorCode());
    assertEquals(etag, blob.getProperties().getETag());

    // If-Match with the current ETag succeeds
    blob.setMetadataWithResponse(Map.of("x", "y"), new BlobRequestConditions().setIfMatch(etag), null, Context.NONE);
    String etag2 = blob.getProperties().getETag();

    // Reads: If-None-Match current → 304; If-Match stale → 412
    BlobStorageException notModified = assertThrows(BlobStorageException.class,
        () -> blob.getPropertiesWithResponse(new BlobRequestConditions().setIfNoneMatch(etag2), null, Context.NONE));
    assertEquals(304, notModified.getStatusCode());
    BlobStorageException readStale = assertThrows(BlobStorageException.class,
        () -> blob.downloadContentWithResponse(null, new BlobRequestConditions().setIfMatch(etag), null, Context.NONE));
    assertEquals(412, readStale.getStatusCode());

    // If-Unmodified-Since in the past: 412 on delete; If-Modified-Since in the future → 304 on read
    OffsetDateTime past = OffsetDateTime.now().minusDays(1);
    BlobStorageException unmodified = assertThrows(BlobStorageException.class,
        () -> blob.deleteWithResponse(null, new BlobRequestConditions().setIfUnmodifiedSince(past), null, Context.NONE));
    assertEquals(412, unmodified.getStatusCode());
    BlobStorageException future = assertThrows(BlobStorageException.class,
        () -> blob.getPropertiesWithResponse(
            new BlobRequestConditions().setIfModifiedSince(OffsetDateTime.now().plusDays(1)), null, Context.NONE));
    assertEquals(304, future.getStatusCode());
    assertTrue(blob.exists());

    // Put Block List with If-Match stale → 412; the staged block survives
    BlockBlobClient bb = blob.getBlockBlobClient();
    bb.stageBlock(id(1), BinaryData.fromString("v3"));
    BlobStorageException commitStale = assertThrows(BlobStorageException.class,
        () -> bb.commitBlockListWithResponse(List.of(id(1)), null, null, null,
            new BlobRequestConditions().setIfMatch(etag), null, Context.NONE));
    assertEquals(412, commitStale.getStatusCode());
    assertEquals(1, bb.listBlocks(BlockListType.UNCOMMITTED).getUncommittedBlocks().size());
    bb.commitBlockListWithResponse(List.of(id(1)), null, null, null,
        new BlobRequestConditions().setIfMatch(etag2), null, Context.NONE);
    assertEquals("v3", blob.downloadContent().toString());

    // Delete Container with If-Unmodified-Since in the past → 412
    BlobContainerClient other = client.getBlobContainerClient("condbox");
    other.create();
    BlobStorageException containerCond = assertThrows(BlobStorageException.class,
        () -> other.deleteWithResponse(
            new com.azure.storage.blob.models.BlobRequestConditions().setIfUnmodifiedSince(past), null, Context.NONE));
    assertEquals(412, containerCond.getStatusCode());
    assertTrue(other.exists());
  }

  @Test
  void twoConcurrentCreatesOfOneBlobHaveExactlyOneWinner() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      for (int round = 0; round < 5; round++) {
        BlobClient blob = box.getBlobClient("race-" + round);
        List<Callable<Integer>> racers = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
          byte[] body = random(100_000, 100 + i);
          racers.add(() -> {
            try {
              blob.upload(BinaryData.fromBytes(body), false);
              return 201;
            } catch (BlobStorageException e) {
              assertEquals(BlobErrorCode.BLOB_ALREADY_EXISTS, e.getErrorCode());
              return e.getStatusCode();
            }
          });
        }
        List<Integer> outcomes = new ArrayList<>();
        for (Future<Integer> f : pool.invokeAll(racers)) {
          outcomes.add(f.get());
        }
        outcomes.sort(null);
        assertEquals(List.of(201, 409), outcomes, "round " + round);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** One bad request: what it is, the request, and Azure's answer. */
  record BadInput(String what, String method, String path, Map<String, String> headers, String body,
      int status, String code) {}

  @Test
  void badInputGetsAzures4xxAndLeavesStoredDataUnchanged() throws Exception {
    BlobClient target = box.getBlobClient("target.bin");
    byte[] original = random(1000, 9);
    target.upload(BinaryData.fromBytes(original), true);
    String etag = target.getProperties().getETag();
    BlockBlobClient bb = target.getBlockBlobClient();
    bb.stageBlock(id(7), BinaryData.fromBytes(new byte[3]));
    String blockList = "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList><Latest>" + id(7) + "</Latest></BlockList>";
    String p = "/blocks/target.bin";
    String mixed = Base64.getEncoder().encodeToString("short".getBytes(StandardCharsets.US_ASCII));
    String tooLong = Base64.getEncoder().encodeToString(new byte[65]);
    List<BadInput> table = List.of(
        new BadInput("block id not base64", "PUT", p + "?comp=block&blockid=%25%25%25", Map.of(), "abc", 400,
            "InvalidQueryParameterValue"),
        new BadInput("block id longer than 64 bytes", "PUT", p + "?comp=block&blockid=" + enc(tooLong), Map.of(),
            "abc", 400, "InvalidQueryParameterValue"),
        new BadInput("block id of another length than the blob's", "PUT", p + "?comp=block&blockid=" + enc(mixed),
            Map.of(), "abc", 400, "InvalidBlobOrBlock"),
        new BadInput("block Content-MD5 mismatch", "PUT", p + "?comp=block&blockid=" + enc(id(8)),
            Map.of("Content-MD5", Base64.getEncoder().encodeToString(new byte[16])), "abc", 400, "Md5Mismatch"),
        new BadInput("malformed block list XML", "PUT", p + "?comp=blocklist", Map.of(), "<BlockList><Latest>", 400,
            "InvalidXmlDocument"),
        new BadInput("block list with an unknown element", "PUT", p + "?comp=blocklist", Map.of(),
            "<BlockList><Oldest>" + id(7) + "</Oldest></BlockList>", 400, "InvalidXmlDocument"),
        new BadInput("block list with a DTD", "PUT", p + "?comp=blocklist", Map.of(),
            "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><BlockList><Latest>&e;</Latest></BlockList>",
            400, "InvalidXmlDocument"),
        new BadInput("block list with a missing block", "PUT", p + "?comp=blocklist", Map.of(),
            "<BlockList><Uncommitted>" + id(9) + "</Uncommitted></BlockList>", 400, "InvalidBlockList"),
        new BadInput("block list naming a committed block that is not", "PUT", p + "?comp=blocklist", Map.of(),
            "<BlockList><Committed>" + id(7) + "</Committed></BlockList>", 400, "InvalidBlockList"),
        new BadInput("block list with bad base64", "PUT", p + "?comp=blocklist", Map.of(),
            "<BlockList><Latest>!!</Latest></BlockList>", 400, "InvalidBlockList"),
        new BadInput("block list with mixed id lengths", "PUT", p + "?comp=blocklist", Map.of(),
            "<BlockList><Latest>" + id(7) + "</Latest><Latest>" + mixed + "</Latest></BlockList>", 400,
            "InvalidBlockList"),
        new BadInput("metadata name not an identifier", "PUT", p + "?comp=metadata", Map.of("x-ms-meta-1bad", "v"),
            "", 400, "InvalidMetadata"),
        new BadInput("block list metadata name not an identifier", "PUT", p + "?comp=blocklist",
            Map.of("x-ms-meta-a-b", "v"), blockList, 400, "InvalidMetadata"),
        new BadInput("bad x-ms-blob-content-md5", "PUT", p + "?comp=properties",
            Map.of("x-ms-blob-content-md5", "nope"), "", 400, "InvalidHeaderValue"),
        new BadInput("unparseable If-Modified-Since", "GET", p, Map.of("If-Modified-Since", "yesterday"), null, 400,
            "InvalidHeaderValue"),
        new BadInput("unknown blocklisttype", "GET", p + "?comp=blocklist&blocklisttype=some", Map.of(), null, 400,
            "InvalidQueryParameterValue"),
        new BadInput("unknown comp", "PUT", p + "?comp=frobnicate", Map.of(), "", 400, "InvalidQueryParameterValue"),
        new BadInput("Put Block on a missing container", "PUT", "/nobox/x?comp=block&blockid=" + enc(id(1)), Map.of(),
            "abc", 404, "ContainerNotFound"),
        new BadInput("Set Properties of a missing blob", "PUT", "/blocks/nothing?comp=properties", Map.of(), "", 404,
            "BlobNotFound"),
        new BadInput("Get Block List of a missing blob", "GET", "/blocks/nothing?comp=blocklist", Map.of(), null,
            404, "BlobNotFound"));
    HttpClient http = HttpClient.newHttpClient();
    String sas = client.generateAccountSas(new com.azure.storage.common.sas.AccountSasSignatureValues(
        OffsetDateTime.now().plusHours(1),
        com.azure.storage.common.sas.AccountSasPermission.parse("rwdlacup"),
        com.azure.storage.common.sas.AccountSasService.parse("b"),
        com.azure.storage.common.sas.AccountSasResourceType.parse("sco")));
    for (BadInput c : table) {
      String url = gateway.httpEndpoint() + c.path() + (c.path().contains("?") ? "&" : "?") + sas;
      HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(url))
          .method(c.method(), c.body() == null ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofString(c.body()))
          .header("x-ms-version", "2025-11-05");
      c.headers().forEach(req::header);
      HttpResponse<String> resp = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(c.status(), resp.statusCode(), c.what() + ": " + resp.body());
      assertEquals(c.code(), resp.headers().firstValue("x-ms-error-code").orElse(""), c.what());
    }
    assertArrayEquals(original, target.downloadContent().toBytes());
    assertEquals(etag, target.getProperties().getETag(), "no bad request changed the blob");
    assertEquals(List.of(id(7)), bb.listBlocks(BlockListType.UNCOMMITTED).getUncommittedBlocks().stream()
        .map(Block::getName).toList(), "no bad request staged or dropped a block");
    assertEquals(Map.of(), target.getProperties().getMetadata());
  }

  static String enc(String s) {
    return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  static byte[] concat(byte[]... parts) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  static byte[] md5(byte[] b) throws Exception {
    return MessageDigest.getInstance("MD5").digest(b);
  }
}
