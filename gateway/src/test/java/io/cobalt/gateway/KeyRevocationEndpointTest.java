package io.cobalt.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobListDetails;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.ListBlobsOptions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What an Azure SDK client sees when the kms-agent refuses the account's key (DESIGN.md §5.4): a
 * revoked key → 403 KeyVaultEncryptionKeyNotFound for reads and writes of data and of metadata (Get
 * Blob Properties, Get/Set Blob Metadata, Set Blob Properties, List Blobs with metadata), while
 * delete, list without metadata and container operations proceed; an agent outage → 503 ServerBusy with
 * Retry-After, never 403; a wrapped key that does not authenticate → 500. Accepting again restores
 * every blob.
 */
class KeyRevocationEndpointTest {
  private static final long SEED = new SecureRandom().nextLong();
  private static final AtomicInteger CONTAINERS = new AtomicInteger();
  /** A scope under its own key {@code account/<a>/scope/<name>}. */
  private static final String OWN_KEY_SCOPE = "listed-scope";
  /** A scope whose key source is a customer key (ADR 0031), {@code cmk/fabrikam}, "latest". */
  private static final String CUSTOMER_KEY_SCOPE = "cmk-scope";

  private static ExecutorService backendThreads;
  private static FakeKeyClient keys;
  private static GatewayServer server;
  private static BlobServiceClient client;

  @BeforeAll
  static void start() throws Exception {
    System.out.println("KeyRevocationEndpointTest seed " + SEED);
    backendThreads = Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "fake-backend");
      t.setDaemon(true);
      return t;
    });
    keys = new FakeKeyClient(new SecureRandom(), backendThreads);
    keys.createScope(GatewayFixture.ACCOUNT, OWN_KEY_SCOPE);
    keys.createScope(GatewayFixture.ACCOUNT, CUSTOMER_KEY_SCOPE);
    byte[] key2 = new byte[64];
    new SecureRandom().nextBytes(key2);
    GatewayConfig config = GatewayConfig.withDefaults("127.0.0.1", 0,
        List.of(new AccountKeys(GatewayFixture.ACCOUNT, Base64.getDecoder().decode(GatewayFixture.KEY), key2)),
        List.of(new NodeEndpoint("node-a", "127.0.0.1", 1), new NodeEndpoint("node-b", "127.0.0.1", 2),
            new NodeEndpoint("node-c", "127.0.0.1", 3)),
        "127.0.0.1", 4, null);
    server = GatewayServer.start(config,
        new Backends(new FakeChunkClient(backendThreads), new FakeMetadataClient(backendThreads), keys));
    client = sdk(null);
  }

  /** An SDK client of the account; with {@code scope}, its writes name that encryption scope. */
  private static BlobServiceClient sdk(String scope) {
    BlobServiceClientBuilder b = new BlobServiceClientBuilder()
        .connectionString("DefaultEndpointsProtocol=http;AccountName=" + GatewayFixture.ACCOUNT + ";AccountKey="
            + GatewayFixture.KEY + ";BlobEndpoint=http://127.0.0.1:" + server.blobPort() + "/"
            + GatewayFixture.ACCOUNT + ";")
        .retryOptions(GatewayFixture.NO_RETRY);
    if (scope != null) {
      b.encryptionScope(scope);
    }
    return b.buildClient();
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
    backendThreads.shutdownNow();
  }

  @AfterEach
  void acceptAgain() {
    keys.refuseWith(null);
  }

  private static BlobContainerClient newContainer() {
    BlobContainerClient c = client.getBlobContainerClient("revoke-" + CONTAINERS.incrementAndGet());
    c.create();
    return c;
  }

  private static byte[] content(int size, long salt) {
    byte[] b = new byte[size];
    new Random(SEED ^ salt).nextBytes(b);
    return b;
  }

  private static void assertError(int status, String code, BlobStorageException e) {
    assertEquals(status, e.getStatusCode(), e.getMessage());
    assertEquals(code, e.getErrorCode().toString(), e.getMessage());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"KEY_DISABLED", "KEY_DESTROYED", "KEY_DELETED", "VERSION_RETIRED", "UNKNOWN_KEY",
      "UNKNOWN_KEY_VERSION"})
  void revokedKeyRefusesDataWith403KeyVaultEncryptionKeyNotFoundAndRestoresWhenAccepted(String kind) {
    BlobContainerClient c = newContainer();
    byte[] data = content(200_000, kind.hashCode());
    c.getBlobClient("kept").upload(BinaryData.fromBytes(data));
    c.getBlobClient("doomed").upload(BinaryData.fromString("bye"));

    keys.refuseWith(kind);
    assertError(403, "KeyVaultEncryptionKeyNotFound",
        assertThrows(BlobStorageException.class, () -> c.getBlobClient("kept").downloadContent()));
    assertError(403, "KeyVaultEncryptionKeyNotFound", assertThrows(BlobStorageException.class,
        () -> c.getBlobClient("kept").upload(BinaryData.fromBytes(content(70_000, 1)), true)));
    assertError(403, "KeyVaultEncryptionKeyNotFound", assertThrows(BlobStorageException.class,
        () -> c.getBlobClient("new").upload(BinaryData.fromString("x"))));

    // Metadata under the revoked key is refused like data (issue 4 point 4).
    assertError(403, "KeyVaultEncryptionKeyNotFound",
        assertThrows(BlobStorageException.class, () -> c.getBlobClient("kept").getProperties()));
    assertError(403, "KeyVaultEncryptionKeyNotFound", assertThrows(BlobStorageException.class,
        () -> c.getBlobClient("kept").setMetadata(java.util.Map.of("k", "v"))));
    assertError(403, "KeyVaultEncryptionKeyNotFound", assertThrows(BlobStorageException.class,
        () -> c.getBlobClient("kept").setHttpHeaders(new com.azure.storage.blob.models.BlobHttpHeaders()
            .setContentType("text/plain"))));
    if (!kind.equals("VERSION_RETIRED") && !kind.equals("UNKNOWN_KEY_VERSION")) {
      // The whole key is revoked (a listing cannot see which version each blob uses; see docs).
      assertError(403, "KeyVaultEncryptionKeyNotFound", assertThrows(BlobStorageException.class,
          () -> c.listBlobs(new com.azure.storage.blob.models.ListBlobsOptions().setDetails(
              new com.azure.storage.blob.models.BlobListDetails().setRetrieveMetadata(true)), null)
              .stream().count()));
    }

    // What needs no key proceeds.
    assertEquals(List.of("doomed", "kept"),
        c.listBlobs().stream().map(BlobItem::getName).sorted().collect(Collectors.toList()));
    c.getBlobClient("doomed").delete();
    BlobContainerClient other = client.getBlobContainerClient("revoke-other-" + CONTAINERS.incrementAndGet());
    other.create();
    assertTrue(other.exists());
    other.delete();
    assertFalse(other.exists());

    keys.refuseWith(null);
    assertArrayEquals(data, c.getBlobClient("kept").downloadContent().toBytes(), "seed " + SEED);
    assertEquals(data.length, c.getBlobClient("kept").getProperties().getBlobSize());
    assertTrue(c.getBlobClient("kept").getProperties().getMetadata().isEmpty(), "the refused Set Blob Metadata changed nothing");
    assertEquals(1, c.listBlobs(new com.azure.storage.blob.models.ListBlobsOptions().setDetails(
        new com.azure.storage.blob.models.BlobListDetails().setRetrieveMetadata(true)), null).stream().count());
    assertFalse(c.getBlobClient("new").exists(), "a refused Put Blob must not leave a blob");
    assertFalse(c.getBlobClient("doomed").exists());
  }

  /**
   * After a switch to a customer key (ADR 0031), List Blobs with metadata checks the key the agent
   * names as the account's source (ADR 0036): the former service key disabled does not refuse it,
   * the customer key disabled does — while a listing without metadata proceeds.
   */
  @Test
  void listingWithMetadataChecksTheAccountsCustomerKeySourceNotItsFormerServiceKey() {
    BlobContainerClient c = newContainer();
    c.getBlobClient("b").upload(BinaryData.fromString("under the customer key"));
    com.azure.storage.blob.models.ListBlobsOptions withMetadata = new com.azure.storage.blob.models.ListBlobsOptions()
        .setDetails(new com.azure.storage.blob.models.BlobListDetails().setRetrieveMetadata(true));
    String serviceKey = "account/" + GatewayFixture.ACCOUNT;
    keys.accountSource("cmk/contoso");
    try {
      keys.disableForGetKey(serviceKey, true);
      assertEquals(1, c.listBlobs(withMetadata, null).stream().count());
      keys.disableForGetKey(serviceKey, false);

      keys.disableForGetKey("cmk/contoso", true);
      assertError(403, "KeyVaultEncryptionKeyNotFound", assertThrows(BlobStorageException.class,
          () -> c.listBlobs(withMetadata, null).stream().count()));
      assertEquals(1, c.listBlobs().stream().count());
      keys.disableForGetKey("cmk/contoso", false);
      assertEquals(1, c.listBlobs(withMetadata, null).stream().count());
    } finally {
      keys.accountSource("");
      keys.disableForGetKey(serviceKey, false);
      keys.disableForGetKey("cmk/contoso", false);
    }
  }

  private static ListBlobsOptions withMetadata() {
    return new ListBlobsOptions().setDetails(new BlobListDetails().setRetrieveMetadata(true));
  }

  private static ListBlobsOptions withTags() {
    return new ListBlobsOptions().setDetails(new BlobListDetails().setRetrieveTags(true));
  }

  private static void assertListingRefused(Runnable listing) {
    assertError(403, "KeyVaultEncryptionKeyNotFound", assertThrows(BlobStorageException.class, listing::run));
  }

  /**
   * ADR 0036 addendum: a listing with metadata or tags checks the key sources of the encryption
   * scopes of the blobs in its page — a scope's key disabled refuses a page that lists one of its
   * blobs, and no other page: not a prefix or container without them, not a hierarchical page that
   * lists only prefixes; a listing without metadata proceeds; enabling the key again restores it.
   */
  @Test
  void listingWithMetadataIsRefusedWhileTheKeyOfAListedBlobsScopeIsDisabledAndOnlyThen() {
    String scopeKey = "account/" + GatewayFixture.ACCOUNT + "/scope/" + OWN_KEY_SCOPE;
    BlobContainerClient c = newContainer();
    c.getBlobClient("plain/a").upload(BinaryData.fromString("under the account's key"));
    BlobContainerClient scoped = sdk(OWN_KEY_SCOPE).getBlobContainerClient(c.getBlobContainerName());
    scoped.getBlobClient("scoped/b").upload(BinaryData.fromString("under the scope's key"));
    scoped.getBlobClient("scoped/b").setTags(java.util.Map.of("k", "scoped"));
    assertEquals(OWN_KEY_SCOPE, c.getBlobClient("scoped/b").getProperties().getEncryptionScope());
    BlobContainerClient accountOnly = newContainer();
    accountOnly.getBlobClient("a").upload(BinaryData.fromString("under the account's key"));
    String findScoped = "@container = '" + c.getBlobContainerName() + "' AND \"k\" = 'scoped'";

    keys.disableForGetKey(scopeKey, true);
    try {
      assertListingRefused(() -> c.listBlobs(withMetadata(), null).stream().count());
      assertListingRefused(() -> c.listBlobs(withTags(), null).stream().count());
      assertListingRefused(() -> client.findBlobsByTags(findScoped).stream().count());
      assertError(403, "KeyVaultEncryptionKeyNotFound", assertThrows(BlobStorageException.class,
          () -> c.getBlobClient("scoped/b").getProperties()));

      assertEquals(List.of("plain/a", "scoped/b"),
          c.listBlobs().stream().map(BlobItem::getName).sorted().collect(Collectors.toList()));
      assertEquals(List.of("plain/a"), c.listBlobs(withMetadata().setPrefix("plain/"), null).stream()
          .map(BlobItem::getName).collect(Collectors.toList()));
      assertEquals(1, accountOnly.listBlobs(withMetadata(), null).stream().count());
      assertEquals(List.of("plain/", "scoped/"), c.listBlobsByHierarchy("/", withMetadata(), null).stream()
          .map(BlobItem::getName).sorted().collect(Collectors.toList()), "a page of prefixes lists no blob");
      assertEquals("under the account's key".length(), c.getBlobClient("plain/a").getProperties().getBlobSize());
    } finally {
      keys.disableForGetKey(scopeKey, false);
    }
    List<BlobItem> listed = c.listBlobs(withMetadata(), null).stream().collect(Collectors.toList());
    assertEquals(List.of("plain/a", "scoped/b"), listed.stream().map(BlobItem::getName).sorted().collect(Collectors.toList()));
    assertEquals(1, c.listBlobs(withTags(), null).stream().filter(b -> b.getTags() != null && !b.getTags().isEmpty()).count());
    assertEquals(1, client.findBlobsByTags(findScoped).stream().count());
  }

  /**
   * A scope whose key source is a customer key (ADR 0031): the listing check follows the source, as
   * for the account (ADR 0036) — the customer key disabled refuses the listing with metadata, the
   * scope's own (unused) key disabled does not.
   */
  @Test
  void listingWithMetadataFollowsTheCustomerKeySourceOfAListedBlobsScope() {
    String scopeKey = "account/" + GatewayFixture.ACCOUNT + "/scope/" + CUSTOMER_KEY_SCOPE;
    BlobContainerClient c = newContainer();
    sdk(CUSTOMER_KEY_SCOPE).getBlobContainerClient(c.getBlobContainerName()).getBlobClient("b")
        .upload(BinaryData.fromString("under the scope"));
    keys.scopeSource(scopeKey, "cmk/fabrikam");
    try {
      keys.disableForGetKey(scopeKey, true);
      assertEquals(1, c.listBlobs(withMetadata(), null).stream().count());
      keys.disableForGetKey(scopeKey, false);

      keys.disableForGetKey("cmk/fabrikam", true);
      assertListingRefused(() -> c.listBlobs(withMetadata(), null).stream().count());
      assertEquals(1, c.listBlobs().stream().count());
      keys.disableForGetKey("cmk/fabrikam", false);
      assertEquals(1, c.listBlobs(withMetadata(), null).stream().count());
    } finally {
      keys.scopeSource(scopeKey, "");
      keys.disableForGetKey(scopeKey, false);
      keys.disableForGetKey("cmk/fabrikam", false);
    }
  }

  @Test
  void gatewayDeniedTheKeyIs403KeyVaultAccessTokenCannotBeAcquired() {
    BlobContainerClient c = newContainer();
    c.getBlobClient("b").upload(BinaryData.fromString("hello"));
    keys.refuseWith("PERMISSION_DENIED");
    assertError(403, "KeyVaultAccessTokenCannotBeAcquired",
        assertThrows(BlobStorageException.class, () -> c.getBlobClient("b").downloadContent()));
    assertError(403, "KeyVaultAccessTokenCannotBeAcquired",
        assertThrows(BlobStorageException.class, () -> c.getBlobClient("c").upload(BinaryData.fromString("x"))));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"NOT_AUTHENTIC", "WRONG_KEY", "MALFORMED_WRAPPED_KEY", "INVALID_ACCOUNT"})
  void wrappedKeyThatDoesNotAuthenticateIs500InternalErrorNot403(String kind) {
    BlobContainerClient c = newContainer();
    c.getBlobClient("b").upload(BinaryData.fromString("hello"));
    keys.refuseWith(kind);
    assertError(500, "InternalError",
        assertThrows(BlobStorageException.class, () -> c.getBlobClient("b").downloadContent()));
  }

  @Test
  void agentOutageIs503ServerBusyWithRetryAfterNever403() {
    BlobContainerClient c = newContainer();
    c.getBlobClient("b").upload(BinaryData.fromString("hello"));
    keys.refuseWith("UNAVAILABLE");
    BlobStorageException get =
        assertThrows(BlobStorageException.class, () -> c.getBlobClient("b").downloadContent());
    assertError(503, "ServerBusy", get);
    assertEquals("1", get.getResponse().getHeaderValue("Retry-After"));
    BlobStorageException put =
        assertThrows(BlobStorageException.class, () -> c.getBlobClient("c").upload(BinaryData.fromString("x")));
    assertError(503, "ServerBusy", put);
    assertEquals("1", put.getResponse().getHeaderValue("Retry-After"));
    keys.refuseWith(null);
    assertEquals("hello", c.getBlobClient("b").downloadContent().toString());
  }
}
