package io.cobalt.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.BlobAccessPolicy;
import com.azure.storage.blob.models.BlobContainerAccessPolicies;
import com.azure.storage.blob.models.BlobContainerItem;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobSignedIdentifier;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.LeaseStateType;
import com.azure.storage.blob.models.PublicAccessType;
import com.azure.storage.blob.sas.BlobServiceSasSignatureValues;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Get/Set Container ACL, public access levels, and service SAS that name a stored access policy
 * ({@code si}), with the official SDK; bad ACL and lease input over raw HTTP.
 */
class ContainerAclEndpointTest {
  private static final QueueEndpointTest.TestClock CLOCK = new QueueEndpointTest.TestClock();
  private static final byte[] DATA = "public payload".getBytes();
  private static GatewayFixture gateway;
  private static BlobServiceClient owner;
  private static BlobServiceClient anonymous;

  @BeforeAll
  static void start() throws Exception {
    gateway = new GatewayFixture(c -> c, CLOCK);
    owner = gateway.keyClient();
    anonymous = new BlobServiceClientBuilder()
        .endpoint(gateway.httpEndpoint()).retryOptions(GatewayFixture.NO_RETRY).buildClient();
  }

  @AfterAll
  static void stop() {
    if (gateway != null) {
      gateway.close();
    }
  }

  static void assertRefused(int status, BlobErrorCode code, Executable call) {
    BlobStorageException e = assertThrows(BlobStorageException.class, call);
    assertEquals(status, e.getStatusCode(), e.getMessage());
    assertEquals(code, e.getErrorCode(), e.getMessage());
  }

  static OffsetDateTime at(int hoursFromNow) {
    return OffsetDateTime.now(ZoneOffset.UTC).plusHours(hoursFromNow).truncatedTo(ChronoUnit.SECONDS);
  }

  static BlobSignedIdentifier policy(String id, String permissions, OffsetDateTime start, OffsetDateTime expiry) {
    return new BlobSignedIdentifier().setId(id).setAccessPolicy(
        new BlobAccessPolicy().setPermissions(permissions).setStartsOn(start).setExpiresOn(expiry));
  }

  static BlobContainerClient container(String name, PublicAccessType level) {
    BlobContainerClient c = owner.getBlobContainerClient(name);
    c.createWithResponse(null, level, null, null);
    c.getBlobClient("doc.txt").upload(BinaryData.fromBytes(DATA), true);
    return c;
  }

  @Test
  void setAndGetAccessPolicyRoundTrip() throws Exception {
    BlobContainerClient c = container("acl-roundtrip", null);
    String before = c.getProperties().getETag();
    OffsetDateTime start = at(-1);
    OffsetDateTime expiry = at(2);
    c.setAccessPolicy(PublicAccessType.CONTAINER, List.of(
        policy("readers", "lr", start, expiry), policy("writers", "wc", null, expiry)));
    BlobContainerAccessPolicies got = c.getAccessPolicy();
    assertEquals(PublicAccessType.CONTAINER, got.getBlobAccessType());
    assertEquals(2, got.getIdentifiers().size());
    BlobSignedIdentifier readers = got.getIdentifiers().get(0);
    assertEquals("readers", readers.getId());
    assertEquals("rl", readers.getAccessPolicy().getPermissions(), "returned in Azure's order");
    assertEquals(start.toInstant(), readers.getAccessPolicy().getStartsOn().toInstant());
    assertEquals(expiry.toInstant(), readers.getAccessPolicy().getExpiresOn().toInstant());
    assertNull(got.getIdentifiers().get(1).getAccessPolicy().getStartsOn());
    assertEquals("cw", got.getIdentifiers().get(1).getAccessPolicy().getPermissions());
    assertNotEquals(before, c.getProperties().getETag(), "Set Container ACL changes the ETag");
    assertEquals(PublicAccessType.CONTAINER, c.getProperties().getBlobPublicAccess());

    // HEAD: the headers of Get Container ACL, no body.
    String sas = owner.generateAccountSas(new com.azure.storage.common.sas.AccountSasSignatureValues(
        OffsetDateTime.now().plusHours(1), com.azure.storage.common.sas.AccountSasPermission.parse("r"),
        com.azure.storage.common.sas.AccountSasService.parse("b"),
        com.azure.storage.common.sas.AccountSasResourceType.parse("c")));
    HttpResponse<String> head = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create(gateway.httpEndpoint() + "/acl-roundtrip?restype=container&comp=acl&" + sas))
        .method("HEAD", HttpRequest.BodyPublishers.noBody()).header("x-ms-version", "2025-11-05").build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, head.statusCode());
    assertEquals("container", head.headers().firstValue("x-ms-blob-public-access").orElse(""));
    assertEquals("", head.body());

    c.setAccessPolicy(null, List.of());
    BlobContainerAccessPolicies cleared = c.getAccessPolicy();
    assertNull(cleared.getBlobAccessType());
    assertTrue(cleared.getIdentifiers() == null || cleared.getIdentifiers().isEmpty(), "" + cleared.getIdentifiers());
  }

  @Test
  void createContainerWithPublicAccessShowsItEverywhere() {
    BlobContainerClient c = container("created-public", PublicAccessType.BLOB);
    assertEquals(PublicAccessType.BLOB, c.getProperties().getBlobPublicAccess());
    assertEquals(PublicAccessType.BLOB, c.getAccessPolicy().getBlobAccessType());
    BlobContainerItem item = owner.listBlobContainers().stream()
        .filter(i -> i.getName().equals("created-public")).findFirst().orElseThrow();
    assertEquals(PublicAccessType.BLOB, item.getProperties().getPublicAccess());
  }

  @Test
  void sasNamingAStoredPolicyWorksUntilThePolicyIsRemoved() {
    BlobContainerClient c = container("policy-box", null);
    c.setAccessPolicy(null, List.of(policy("readers", "rl", null, at(1))));
    String sas = c.generateSas(new BlobServiceSasSignatureValues("readers"));
    BlobContainerClient viaSas = gateway.sasClient(sas).getBlobContainerClient("policy-box");
    assertArrayEquals(DATA, viaSas.getBlobClient("doc.txt").downloadContent().toBytes());
    assertEquals(List.of("doc.txt"),
        viaSas.listBlobs().stream().map(b -> b.getName()).collect(Collectors.toList()));
    assertRefused(403, BlobErrorCode.AUTHORIZATION_PERMISSION_MISMATCH,
        () -> viaSas.getBlobClient("new.txt").upload(BinaryData.fromBytes(DATA)));

    // A blob SAS (sr=b) may name the container's policy too.
    String blobSas = c.getBlobClient("doc.txt").generateSas(new BlobServiceSasSignatureValues("readers"));
    BlobClient viaBlobSas = gateway.sasClient(blobSas).getBlobContainerClient("policy-box").getBlobClient("doc.txt");
    assertArrayEquals(DATA, viaBlobSas.downloadContent().toBytes());

    c.setAccessPolicy(null, List.of(policy("others", "r", null, at(1))));
    assertRefused(403, BlobErrorCode.AUTHENTICATION_FAILED,
        () -> viaSas.getBlobClient("doc.txt").downloadContent());
    assertRefused(403, BlobErrorCode.AUTHENTICATION_FAILED, viaBlobSas::downloadContent);
  }

  @Test
  void sasFieldsMergeWithTheStoredPolicy() {
    BlobContainerClient c = container("merge-box", null);
    // The policy holds only the expiry; the SAS brings its permissions.
    c.setAccessPolicy(null, List.of(policy("expiry-only", null, null, at(1))));
    String sas = c.generateSas(new BlobServiceSasSignatureValues("expiry-only")
        .setPermissions(com.azure.storage.blob.sas.BlobContainerSasPermission.parse("r")));
    assertArrayEquals(DATA,
        gateway.sasClient(sas).getBlobContainerClient("merge-box").getBlobClient("doc.txt").downloadContent().toBytes());
    // A policy that already expired refuses the SAS.
    c.setAccessPolicy(null, List.of(policy("expiry-only", "r", at(-3), at(-2))));
    String expired = c.generateSas(new BlobServiceSasSignatureValues("expiry-only"));
    assertRefused(403, BlobErrorCode.AUTHENTICATION_FAILED,
        () -> gateway.sasClient(expired).getBlobContainerClient("merge-box").getBlobClient("doc.txt").downloadContent());
  }

  @Test
  void anotherGatewaySeesARevokedPolicyWithinTheCacheDelay() throws Exception {
    BlobContainerClient c = container("revoke-box", null);
    c.setAccessPolicy(null, List.of(policy("readers", "r", null, at(1))));
    String sas = c.generateSas(new BlobServiceSasSignatureValues("readers"));
    try (GatewayFixture second = new GatewayFixture(x -> x, CLOCK, gateway.metadata)) {
      BlobClient viaSecond = second.sasClient(sas).getBlobContainerClient("revoke-box").getBlobClient("doc.txt");
      assertEquals(DATA.length, viaSecond.getProperties().getBlobSize());
      c.setAccessPolicy(null, List.of());
      CLOCK.advance(Duration.ofMillis(2_000));
      assertRefused(403, BlobErrorCode.AUTHENTICATION_FAILED, viaSecond::getProperties);
    }
  }

  @Test
  void anonymousReadsFollowTheContainersLevel() throws Exception {
    container("level-container", PublicAccessType.CONTAINER);
    container("level-blob", PublicAccessType.BLOB);
    container("level-private", null);

    BlobContainerClient pc = anonymous.getBlobContainerClient("level-container");
    assertArrayEquals(DATA, pc.getBlobClient("doc.txt").downloadContent().toBytes());
    assertEquals(DATA.length, pc.getBlobClient("doc.txt").getProperties().getBlobSize());
    assertEquals(List.of("doc.txt"), pc.listBlobs().stream().map(b -> b.getName()).toList());
    assertEquals(PublicAccessType.CONTAINER, pc.getProperties().getBlobPublicAccess());
    assertRefused(404, BlobErrorCode.RESOURCE_NOT_FOUND,
        () -> pc.getBlobClient("new.txt").upload(BinaryData.fromBytes(DATA)));
    assertRefused(404, BlobErrorCode.RESOURCE_NOT_FOUND, () -> pc.getBlobClient("doc.txt").delete());
    assertRefused(404, BlobErrorCode.RESOURCE_NOT_FOUND, () -> pc.getBlobClient("doc.txt").setMetadata(Map.of()));
    assertRefused(404, BlobErrorCode.RESOURCE_NOT_FOUND, pc::getAccessPolicy);
    assertRefused(404, BlobErrorCode.RESOURCE_NOT_FOUND, pc::delete);

    BlobContainerClient pb = anonymous.getBlobContainerClient("level-blob");
    assertArrayEquals(DATA, pb.getBlobClient("doc.txt").downloadContent().toBytes());
    assertEquals(DATA.length, pb.getBlobClient("doc.txt").getProperties().getBlobSize());
    assertRefused(404, BlobErrorCode.RESOURCE_NOT_FOUND, () -> pb.listBlobs().stream().count());
    assertRefused(404, BlobErrorCode.RESOURCE_NOT_FOUND, pb::getProperties);

    BlobContainerClient pp = anonymous.getBlobContainerClient("level-private");
    assertRefused(404, BlobErrorCode.RESOURCE_NOT_FOUND, () -> pp.getBlobClient("doc.txt").downloadContent());
    assertRefused(404, BlobErrorCode.RESOURCE_NOT_FOUND, () -> pp.listBlobs().stream().count());
    assertRefused(404, BlobErrorCode.RESOURCE_NOT_FOUND,
        () -> anonymous.getBlobContainerClient("no-such-container").getBlobClient("doc.txt").downloadContent());
    // List Containers is never public (the SDK refuses it client-side; raw HTTP gets 403).
    HttpResponse<String> list = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(gateway.httpEndpoint() + "?comp=list")).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(403, list.statusCode());
    assertEquals("AuthenticationFailed", list.headers().firstValue("x-ms-error-code").orElse(""));

    // Making it private takes effect at once on this gateway.
    owner.getBlobContainerClient("level-container").setAccessPolicy(null, List.of());
    assertRefused(404, BlobErrorCode.RESOURCE_NOT_FOUND, () -> pc.getBlobClient("doc.txt").downloadContent());
  }

  record BadInput(String what, String method, String path, Map<String, String> headers, String body, int status,
      String code) {}

  @Test
  void badAclAndLeaseInputGetsAzures4xxAndChangesNothing() throws Exception {
    BlobContainerClient c = container("bad-input", null);
    c.setAccessPolicy(null, List.of(policy("keep", "r", null, at(1))));
    String etag = c.getProperties().getETag();
    BlobClient blob = c.getBlobClient("doc.txt");
    String blobEtag = blob.getProperties().getETag();
    String acl = "/bad-input?restype=container&comp=acl";
    String lease = "/bad-input/doc.txt?comp=lease";
    String six = "<SignedIdentifiers>" + IntStream.range(0, 6)
        .mapToObj(i -> "<SignedIdentifier><Id>id" + i + "</Id><AccessPolicy><Permission>r</Permission>"
            + "</AccessPolicy></SignedIdentifier>")
        .collect(Collectors.joining()) + "</SignedIdentifiers>";
    String guid = "11111111-2222-3333-4444-555555555555";
    List<BadInput> table = List.of(
        new BadInput("truncated ACL XML", "PUT", acl, Map.of(), "<SignedIdentifiers><SignedIdentifier>", 400,
            "InvalidXmlDocument"),
        new BadInput("not XML", "PUT", acl, Map.of(), "readers=r", 400, "InvalidXmlDocument"),
        new BadInput("six signed identifiers", "PUT", acl, Map.of(), six, 400, "InvalidXmlDocument"),
        new BadInput("unknown element", "PUT", acl, Map.of(),
            "<SignedIdentifiers><SignedIdentifier><Id>a</Id><Color>red</Color></SignedIdentifier></SignedIdentifiers>",
            400, "InvalidXmlDocument"),
        new BadInput("identifier without Id", "PUT", acl, Map.of(),
            "<SignedIdentifiers><SignedIdentifier><AccessPolicy/></SignedIdentifier></SignedIdentifiers>", 400,
            "InvalidXmlDocument"),
        new BadInput("DTD with an entity", "PUT", acl, Map.of(),
            "<!DOCTYPE x [<!ENTITY e \"r\">]><SignedIdentifiers><SignedIdentifier><Id>&e;</Id></SignedIdentifier>"
                + "</SignedIdentifiers>", 400, "InvalidXmlDocument"),
        new BadInput("Id of 65 characters", "PUT", acl, Map.of(),
            "<SignedIdentifiers><SignedIdentifier><Id>" + "i".repeat(65) + "</Id></SignedIdentifier></SignedIdentifiers>",
            400, "InvalidXmlNodeValue"),
        new BadInput("duplicate Ids", "PUT", acl, Map.of(),
            "<SignedIdentifiers><SignedIdentifier><Id>a</Id></SignedIdentifier><SignedIdentifier><Id>a</Id>"
                + "</SignedIdentifier></SignedIdentifiers>", 400, "InvalidXmlNodeValue"),
        new BadInput("unknown permission letter", "PUT", acl, Map.of(),
            "<SignedIdentifiers><SignedIdentifier><Id>a</Id><AccessPolicy><Permission>rz</Permission></AccessPolicy>"
                + "</SignedIdentifier></SignedIdentifiers>", 400, "InvalidXmlNodeValue"),
        new BadInput("unparseable start", "PUT", acl, Map.of(),
            "<SignedIdentifiers><SignedIdentifier><Id>a</Id><AccessPolicy><Start>yesterday</Start></AccessPolicy>"
                + "</SignedIdentifier></SignedIdentifiers>", 400, "InvalidXmlNodeValue"),
        new BadInput("unknown public access level", "PUT", acl, Map.of("x-ms-blob-public-access", "everyone"), "",
            400, "InvalidHeaderValue"),
        new BadInput("create with an unknown public access level", "PUT", "/bad-input-2?restype=container",
            Map.of("x-ms-blob-public-access", "all"), "", 400, "InvalidHeaderValue"),
        new BadInput("ACL of a missing container", "PUT", "/no-such-box?restype=container&comp=acl", Map.of(), "", 404,
            "ContainerNotFound"),
        new BadInput("lease id on ACL of an unleased container", "PUT", acl, Map.of("x-ms-lease-id", guid), "", 412,
            "LeaseNotPresentWithContainerOperation"),
        new BadInput("no lease action", "PUT", lease, Map.of(), "", 400, "MissingRequiredHeader"),
        new BadInput("unknown lease action", "PUT", lease, Map.of("x-ms-lease-action", "steal"), "", 400,
            "InvalidHeaderValue"),
        new BadInput("acquire without duration", "PUT", lease, Map.of("x-ms-lease-action", "acquire"), "", 400,
            "MissingRequiredHeader"),
        new BadInput("duration of 14 s", "PUT", lease,
            Map.of("x-ms-lease-action", "acquire", "x-ms-lease-duration", "14"), "", 400, "InvalidHeaderValue"),
        new BadInput("duration of 61 s", "PUT", lease,
            Map.of("x-ms-lease-action", "acquire", "x-ms-lease-duration", "61"), "", 400, "InvalidHeaderValue"),
        new BadInput("duration not a number", "PUT", lease,
            Map.of("x-ms-lease-action", "acquire", "x-ms-lease-duration", "soon"), "", 400, "InvalidHeaderValue"),
        new BadInput("proposed id not a GUID", "PUT", lease, Map.of("x-ms-lease-action", "acquire",
            "x-ms-lease-duration", "-1", "x-ms-proposed-lease-id", "mine"), "", 400, "InvalidHeaderValue"),
        new BadInput("renew without lease id", "PUT", lease, Map.of("x-ms-lease-action", "renew"), "", 400,
            "MissingRequiredHeader"),
        new BadInput("change without proposed id", "PUT", lease,
            Map.of("x-ms-lease-action", "change", "x-ms-lease-id", guid), "", 400, "MissingRequiredHeader"),
        new BadInput("break period of 61 s", "PUT", lease,
            Map.of("x-ms-lease-action", "break", "x-ms-lease-break-period", "61"), "", 400, "InvalidHeaderValue"),
        new BadInput("lease GET", "GET", lease, Map.of("x-ms-lease-action", "acquire"), null, 405,
            "UnsupportedHttpVerb"),
        new BadInput("container lease with If-Match", "PUT", "/bad-input?restype=container&comp=lease",
            Map.of("x-ms-lease-action", "acquire", "x-ms-lease-duration", "-1", "If-Match", "\"x\""), "", 400,
            "UnsupportedHeader"),
        new BadInput("lease id not a GUID on a write", "PUT", "/bad-input/doc.txt?comp=metadata",
            Map.of("x-ms-lease-id", "mine"), "", 400, "InvalidHeaderValue"),
        new BadInput("release of an unleased blob", "PUT", lease,
            Map.of("x-ms-lease-action", "release", "x-ms-lease-id", guid), "", 409, "LeaseNotPresentWithLeaseOperation"));
    HttpClient http = HttpClient.newHttpClient();
    String sas = owner.generateAccountSas(new com.azure.storage.common.sas.AccountSasSignatureValues(
        OffsetDateTime.now().plusHours(1),
        com.azure.storage.common.sas.AccountSasPermission.parse("rwdlacup"),
        com.azure.storage.common.sas.AccountSasService.parse("b"),
        com.azure.storage.common.sas.AccountSasResourceType.parse("sco")));
    for (BadInput t : table) {
      String url = gateway.httpEndpoint() + t.path() + "&" + sas;
      HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(url))
          .method(t.method(), t.body() == null ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofString(t.body()))
          .header("x-ms-version", "2025-11-05");
      t.headers().forEach(req::header);
      HttpResponse<String> resp = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(t.status(), resp.statusCode(), t.what() + ": " + resp.body());
      assertEquals(t.code(), resp.headers().firstValue("x-ms-error-code").orElse(""), t.what());
    }
    assertEquals(etag, c.getProperties().getETag(), "no bad request changed the container");
    BlobContainerAccessPolicies policies = c.getAccessPolicy();
    assertNull(policies.getBlobAccessType());
    assertEquals(List.of("keep"), policies.getIdentifiers().stream().map(BlobSignedIdentifier::getId).toList());
    assertEquals(blobEtag, blob.getProperties().getETag(), "no bad request changed the blob");
    assertEquals(LeaseStateType.AVAILABLE, blob.getProperties().getLeaseState());
    assertEquals(LeaseStateType.AVAILABLE, c.getProperties().getLeaseState());
    assertEquals(false, owner.getBlobContainerClient("bad-input-2").exists());
  }
}
