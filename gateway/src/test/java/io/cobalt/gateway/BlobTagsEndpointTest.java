package io.cobalt.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpMethod;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobListDetails;
import com.azure.storage.blob.models.BlobProperties;
import com.azure.storage.blob.models.BlobRequestConditions;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.ListBlobsOptions;
import com.azure.storage.blob.models.TaggedBlobItem;
import com.azure.storage.blob.options.BlobGetTagsOptions;
import com.azure.storage.blob.options.BlobParallelUploadOptions;
import com.azure.storage.blob.options.BlobSetTagsOptions;
import com.azure.storage.blob.options.FindBlobsOptions;
import com.azure.storage.blob.specialized.BlobLeaseClientBuilder;
import com.google.protobuf.ByteString;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.GetBlob;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.SetBlobTags;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Blob index tags (ADR 0018) with the official SDK against the node's real partition state machine:
 * Set/Get Blob Tags, x-ms-tags, x-ms-tag-count, include=tags, Find Blobs by Tags, x-ms-if-tags,
 * Azure's limits and errors, and that tags reach the nodes sealed only.
 */
class BlobTagsEndpointTest {
  private static GatewayFixture gateway;
  private static BlobServiceClient client;

  @BeforeAll
  static void start() throws Exception {
    gateway = new GatewayFixture(c -> c);
    client = gateway.keyClient();
  }

  @AfterAll
  static void stop() {
    if (gateway != null) {
      gateway.close();
    }
  }

  private static BlobContainerClient container(String name) {
    BlobContainerClient c = client.getBlobContainerClient(name);
    c.create();
    return c;
  }

  private static BlobClient blob(BlobContainerClient c, String name, Map<String, String> tags) {
    BlobClient b = c.getBlobClient(name);
    b.uploadWithResponse(new BlobParallelUploadOptions(BinaryData.fromString("data of " + name)).setTags(tags),
        null, null);
    return b;
  }

  private static void assertRefused(int status, String code, Executable call) {
    BlobStorageException e = assertThrows(BlobStorageException.class, call);
    assertEquals(status, e.getStatusCode(), e.getMessage());
    assertEquals(BlobErrorCode.fromString(code), e.getErrorCode(), e.getMessage());
  }

  private static BlobRequestConditions ifTags(String expression) {
    return new BlobRequestConditions().setTagsConditions(expression);
  }

  /** A request signed by the SDK's pipeline (Shared Key), for bodies the SDK would never send. */
  private static HttpResponse send(HttpMethod method, String path, String body) {
    HttpRequest req = new HttpRequest(method, gateway.httpEndpoint() + path);
    if (body != null) {
      byte[] b = body.getBytes(StandardCharsets.UTF_8);
      req.setBody(b).setHeader(HttpHeaderName.CONTENT_LENGTH, Integer.toString(b.length))
          .setHeader(HttpHeaderName.CONTENT_TYPE, "application/xml; charset=UTF-8");
    }
    return client.getHttpPipeline().send(req).block(Duration.ofSeconds(30));
  }

  @Test
  void setAndGetTagsRoundTripWithoutChangingTheEtagOrLastModified() {
    BlobContainerClient c = container("roundtrip");
    BlobClient b = blob(c, "b", null);
    BlobProperties before = b.getProperties();
    assertNull(before.getTagCount(), "no x-ms-tag-count without tags");
    // (An empty value is allowed, BlobTagsTest; the SDK reads an empty <Value/> back as null.)
    Map<String, String> tags = Map.of("project", "cobalt", "path key", "a/b:c=d_e+f-g.h");
    b.setTags(tags);

    assertEquals(tags, b.getTags());
    BlobProperties after = b.getProperties();
    assertEquals(before.getETag(), after.getETag(), "tags do not change the ETag");
    assertEquals(before.getLastModified(), after.getLastModified(), "nor Last-Modified");
    assertEquals(2, after.getTagCount(), "x-ms-tag-count");
    assertEquals(2, b.downloadWithResponse(new java.io.ByteArrayOutputStream(), null, null, null, false, null, null)
        .getDeserializedHeaders().getTagCount());

    List<BlobItem> listed = new ArrayList<>();
    c.listBlobs(new ListBlobsOptions().setDetails(new BlobListDetails().setRetrieveTags(true)), null)
        .forEach(listed::add);
    assertEquals(1, listed.size());
    assertEquals(tags, listed.get(0).getTags());
    Map<String, String> without = c.listBlobs().iterator().next().getTags();
    assertTrue(without == null || without.isEmpty(), "only with include=tags");

    b.setTags(Map.of());
    assertEquals(Map.of(), b.getTags());
    assertNull(b.getProperties().getTagCount());
  }

  @Test
  void putBlobAndPutBlockListSetTheTagsOfTheNewVersion() {
    BlobContainerClient c = container("onwrite");
    BlobClient b = blob(c, "b", Map.of("stage", "one"));
    assertEquals(Map.of("stage", "one"), b.getTags());
    String blockId = Base64.getEncoder().encodeToString("block-0".getBytes(StandardCharsets.UTF_8));
    b.getBlockBlobClient().stageBlock(blockId, BinaryData.fromString("block data"));
    b.getBlockBlobClient().commitBlockListWithResponse(
        new com.azure.storage.blob.options.BlockBlobCommitBlockListOptions(List.of(blockId))
            .setTags(Map.of("stage", "two", "by", "blocklist")), null, null);
    assertEquals(Map.of("stage", "two", "by", "blocklist"), b.getTags());
    assertEquals("block data", b.downloadContent().toString());
    // An overwrite without x-ms-tags leaves the new version untagged.
    b.upload(BinaryData.fromString("v3"), true);
    assertEquals(Map.of(), b.getTags());
  }

  @Test
  void refusesTagsOutsideAzuresLimitsAndLeavesTheStoredOnesUnchanged() {
    BlobContainerClient c = container("limits");
    BlobClient b = blob(c, "b", Map.of("keep", "me"));
    Map<String, String> eleven = new HashMap<>();
    for (int i = 0; i < 11; i++) {
      eleven.put("k" + i, "v");
    }
    assertRefused(400, "TagsTooLarge", () -> b.setTags(eleven));
    assertRefused(400, "InvalidTag", () -> b.setTags(Map.of("k".repeat(129), "v")));
    assertRefused(400, "InvalidTag", () -> b.setTags(Map.of("k", "v".repeat(257))));
    assertRefused(400, "InvalidTag", () -> b.setTags(Map.of("bad!", "v")));
    assertRefused(400, "InvalidTag", () -> b.setTags(Map.of("k", "caf\u00e9")));
    assertRefused(400, "InvalidTag", () -> blob(c, "new", Map.of("k", "<v>")));
    assertFalse(c.getBlobClient("new").exists(), "a Put Blob with invalid tags stores nothing");
    // The longest allowed key and value, ten of them, are fine.
    Map<String, String> ten = new TreeMap<>();
    for (int i = 0; i < 10; i++) {
      ten.put(i + "k".repeat(127), "v".repeat(256));
    }
    BlobClient big = blob(c, "big", ten);
    assertEquals(ten, big.getTags());
    assertEquals(Map.of("keep", "me"), b.getTags());

    HttpResponse dup = send(HttpMethod.PUT, "/limits/b?comp=tags",
        "<Tags><TagSet><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>a</Key><Value>2</Value></Tag></TagSet></Tags>");
    assertEquals(400, dup.getStatusCode());
    assertEquals("InvalidTag", dup.getHeaderValue("x-ms-error-code"));
    for (String malformed : new String[] {"<Tags><TagSet><Tag><Key>a</Key></Tag></TagSet></Tags>",
        "<Tags><TagSet><Tag><Key>a</Key><Value>1</Value></Tag>", "<NotTags/>", "not xml",
        "<!DOCTYPE Tags [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><Tags><TagSet><Tag><Key>a</Key><Value>&x;</Value>"
            + "</Tag></TagSet></Tags>"}) {
      HttpResponse r = send(HttpMethod.PUT, "/limits/b?comp=tags", malformed);
      assertEquals(400, r.getStatusCode(), malformed);
      assertEquals("InvalidXmlDocument", r.getHeaderValue("x-ms-error-code"), malformed);
    }
    HttpResponse tooLarge = send(HttpMethod.PUT, "/limits/b?comp=tags", "<Tags>" + " ".repeat(70_000) + "</Tags>");
    assertEquals(413, tooLarge.getStatusCode());
    assertEquals(Map.of("keep", "me"), b.getTags(), "no refused request changed the tags");
    assertRefused(404, "BlobNotFound", () -> c.getBlobClient("missing").setTags(Map.of("a", "b")));
    assertRefused(404, "BlobNotFound", () -> c.getBlobClient("missing").getTags());
  }

  @Test
  void ifTagsGuardsReadsAndWritesWith412() {
    BlobContainerClient c = container("iftags");
    BlobClient b = blob(c, "b", Map.of("state", "ready", "n", "5"));
    BlobRequestConditions no = ifTags("\"state\" = 'done'");
    BlobRequestConditions yes = ifTags("\"state\" = 'ready' AND \"n\" >= '3'");

    assertRefused(412, "ConditionNotMet", () -> b.getPropertiesWithResponse(no, null, null));
    assertRefused(412, "ConditionNotMet", () -> b.downloadContentWithResponse(null, no, null, null));
    assertRefused(412, "ConditionNotMet", () -> b.setMetadataWithResponse(Map.of("k", "v"), no, null, null));
    assertRefused(412, "ConditionNotMet", () -> b.setHttpHeadersWithResponse(null, no, null, null));
    assertRefused(412, "ConditionNotMet", () -> b.getTagsWithResponse(new BlobGetTagsOptions()
        .setRequestConditions(no), null, null));
    assertRefused(412, "ConditionNotMet", () -> b.setTagsWithResponse(new BlobSetTagsOptions(Map.of("x", "y"))
        .setRequestConditions(no), null, null));
    assertRefused(412, "ConditionNotMet", () -> b.uploadWithResponse(
        new BlobParallelUploadOptions(BinaryData.fromString("over")).setRequestConditions(no), null, null));
    assertRefused(412, "ConditionNotMet", () -> b.deleteWithResponse(null, no, null, null));
    assertRefused(412, "ConditionNotMet", () -> new BlobLeaseClientBuilder().blobClient(b).buildClient()
        .acquireLeaseWithResponse(new com.azure.storage.blob.options.BlobAcquireLeaseOptions(-1)
            .setRequestConditions(no), null, null));
    assertEquals("data of b", b.downloadContent().toString(), "no refused write changed the blob");
    assertEquals(Map.of("state", "ready", "n", "5"), b.getTags());

    assertEquals(200, b.getPropertiesWithResponse(yes, null, null).getStatusCode());
    assertEquals("data of b", b.downloadContentWithResponse(null, yes, null, null).getValue().toString());
    b.setMetadataWithResponse(Map.of("k", "v"), yes, null, null);
    b.setTagsWithResponse(new BlobSetTagsOptions(Map.of("state", "done")).setRequestConditions(yes), null, null);
    assertEquals(Map.of("state", "done"), b.getTags());
    // OR, <> and parentheses are x-ms-if-tags syntax.
    b.getPropertiesWithResponse(ifTags("(\"state\" <> 'ready' OR \"n\" = '1') AND \"state\" = 'done'"), null, null);
    b.deleteWithResponse(null, ifTags("\"state\" = 'done'"), null, null);
    assertFalse(b.exists());
    assertRefused(412, "ConditionNotMet", () -> c.getBlobClient("absent").uploadWithResponse(
        new BlobParallelUploadOptions(BinaryData.fromString("x")).setRequestConditions(no), null, null));

    BlobClient other = blob(c, "other", Map.of("a", "b"));
    for (String bad : new String[] {"state = 'x'", "\"state\" = x", "\"a\" = 'b' AND", "\"a\" ! 'b'",
        "@container = 'iftags'", "\"a\" = 'b' XOR \"c\" = 'd'"}) {
      assertRefused(400, "InvalidHeaderValue", () -> other.getPropertiesWithResponse(ifTags(bad), null, null));
    }
  }

  @Test
  void aTagChangeBetweenEvaluationAndApplyAnswers412() {
    BlobContainerClient c = container("race");
    BlobClient b = blob(c, "b", Map.of("state", "ready"));
    String blockId = Base64.getEncoder().encodeToString("block-0".getBytes(StandardCharsets.UTF_8));
    b.getBlockBlobClient().stageBlock(blockId, BinaryData.fromString("new"));
    gateway.metadata.beforeCommit = cmd -> {
      // Another writer clears the tags after the gateway evaluated x-ms-if-tags, before the commit applies.
      MetadataCommand.Builder clear = MetadataCommand.newBuilder().setPartition(cmd.getPartition()).setRequestId("race");
      BlobRecord now = gateway.metadata.queryDirect(MetadataQuery.newBuilder().setPartition(cmd.getPartition())
          .setGetBlob(GetBlob.newBuilder().setAccount(GatewayFixture.ACCOUNT)
              .setContainerId(cmd.getCommitBlockList().getBlob().getContainerId()).setName("b")).build()).getBlobs(0);
      gateway.metadata.applyDirect(clear.setSetBlobTags(SetBlobTags.newBuilder().setAccount(GatewayFixture.ACCOUNT)
          .setContainerId(now.getContainerId()).setName("b").setVersionId(now.getVersionId())).build());
    };
    try {
      assertRefused(412, "ConditionNotMet", () -> b.getBlockBlobClient().commitBlockListWithResponse(
          new com.azure.storage.blob.options.BlockBlobCommitBlockListOptions(List.of(blockId))
              .setRequestConditions(ifTags("\"state\" = 'ready'")), null, null));
    } finally {
      gateway.metadata.beforeCommit = null;
    }
    assertEquals("data of b", b.downloadContent().toString(), "the commit did not apply");
  }

  @Test
  void findsBlobsByTagsInTheAccountAndInOneContainerAcrossPages() {
    BlobContainerClient one = container("find-one");
    BlobContainerClient two = container("find-two");
    for (int i = 0; i < 6; i++) {
      blob(one, "one-" + i, Map.of("project", "find", "n", Integer.toString(i)));
      blob(two, "two-" + i, Map.of("project", i % 2 == 0 ? "find" : "other", "n", Integer.toString(i)));
    }
    blob(one, "untagged", null);

    assertEquals(names("one-", 0, 1, 2, 3, 4, 5, "two-", 0, 2, 4),
        found(client.findBlobsByTags("\"project\" = 'find'")));
    assertEquals(names("one-", 2, 3, "two-", 2),
        found(client.findBlobsByTags("\"project\" = 'find' AND \"n\" >= '2' AND \"n\" < '4'")));
    assertEquals(names("two-", 0, 2, 4),
        found(client.findBlobsByTags("@container = 'find-two' AND \"project\" = 'find'")));
    assertEquals(names("one-", 4, 5), found(one.findBlobsByTags("\"n\" > '3'")));

    // One blob a page: every match exactly once, with the tags the expression names.
    List<String> paged = new ArrayList<>();
    for (var page : client.findBlobsByTags(new FindBlobsOptions("\"project\" = 'find'").setMaxResultsPerPage(1),
        null, null).iterableByPage()) {
      assertTrue(page.getValue().size() <= 1);
      for (TaggedBlobItem item : page.getValue()) {
        paged.add(item.getContainerName() + "/" + item.getName());
        assertEquals(Map.of("project", "find"), item.getTags());
      }
    }
    assertEquals(new ArrayList<>(names("one-", 0, 1, 2, 3, 4, 5, "two-", 0, 2, 4)), paged);

    for (String bad : new String[] {"\"project\" <> 'find'", "\"a\" = 'b' OR \"c\" = 'd'", "project = 'find'",
        "(\"a\" = 'b')"}) {
      assertRefused(400, "InvalidQueryParameterValue", () -> found(client.findBlobsByTags(bad)));
    }
    assertRefused(400, "InvalidQueryParameterValue",
        () -> found(one.findBlobsByTags("@container = 'find-one' AND \"a\" = 'b'")));
    assertRefused(400, "InvalidQueryParameterValue", () -> client.findBlobsByTags(
        new FindBlobsOptions("\"project\" = 'find'"), null, null).iterableByPage("not-a-marker!").iterator().next());
  }

  @Test
  void tagsReachTheNodesSealedOnly() {
    BlobContainerClient c = container("sealed");
    String marker = "COBALTTAGMARKER0123456789";
    BlobClient b = blob(c, "b", Map.of("secret", marker));
    b.setTags(Map.of("other", marker + "2"));
    String blockId = Base64.getEncoder().encodeToString("block-0".getBytes(StandardCharsets.UTF_8));
    b.getBlockBlobClient().stageBlock(blockId, BinaryData.fromString("x"));
    b.getBlockBlobClient().commitBlockListWithResponse(
        new com.azure.storage.blob.options.BlockBlobCommitBlockListOptions(List.of(blockId))
            .setTags(Map.of("third", marker + "3")), null, null);
    ByteString needle = ByteString.copyFromUtf8(marker);
    ByteString key = ByteString.copyFromUtf8("secret");
    int tagged = 0;
    for (MetadataCommand cmd : gateway.metadata.commands()) {
      ByteString wire = cmd.toByteString();
      assertFalse(contains(wire, needle), "a tag value reached a node in a command: " + cmd.getCommandCase());
      assertFalse(contains(wire, key), "a tag key reached a node in a command: " + cmd.getCommandCase());
      if (cmd.hasSetBlobTags() || (cmd.hasPutBlob() && cmd.getPutBlob().getBlob().getTagCount() > 0)
          || (cmd.hasCommitBlockList() && cmd.getCommitBlockList().getBlob().getTagCount() > 0)) {
        tagged++;
      }
    }
    assertTrue(tagged >= 3, "the commands carrying tags were seen: " + tagged);
    assertEquals(Map.of("third", marker + "3"), b.getTags());
  }

  private static boolean contains(ByteString haystack, ByteString needle) {
    for (int i = 0; i + needle.size() <= haystack.size(); i++) {
      if (haystack.substring(i, i + needle.size()).equals(needle)) {
        return true;
      }
    }
    return false;
  }

  private static List<String> found(Iterable<TaggedBlobItem> items) {
    List<String> out = new ArrayList<>();
    for (TaggedBlobItem i : items) {
      out.add(i.getContainerName() + "/" + i.getName());
    }
    return out;
  }

  /** names("one-", 1, 2, "two-", 3) = [find-one/one-1, find-one/one-2, find-two/two-3]. */
  private static List<String> names(Object... spec) {
    TreeSet<String> out = new TreeSet<>();
    String prefix = null;
    for (Object o : spec) {
      if (o instanceof String s) {
        prefix = s;
      } else {
        out.add((prefix.startsWith("one") ? "find-one/" : "find-two/") + prefix + o);
      }
    }
    return new ArrayList<>(out);
  }
}
