package io.cobalt.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.models.AppendBlobItem;
import com.azure.storage.blob.models.BlobContainerEncryptionScope;
import com.azure.storage.blob.models.BlobContainerProperties;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobListDetails;
import com.azure.storage.blob.models.BlobProperties;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.BlockBlobItem;
import com.azure.storage.blob.models.CustomerProvidedKey;
import com.azure.storage.blob.models.ListBlobsOptions;
import com.azure.core.util.Context;
import com.azure.storage.blob.options.BlobUploadFromUrlOptions;
import com.azure.storage.blob.sas.BlobContainerSasPermission;
import com.azure.storage.blob.sas.BlobSasPermission;
import com.azure.storage.blob.sas.BlobServiceSasSignatureValues;
import com.azure.storage.blob.specialized.AppendBlobClient;
import com.azure.storage.blob.specialized.BlockBlobClient;
import com.azure.storage.blob.specialized.SpecializedBlobClientBuilder;
import com.azure.storage.common.StorageSharedKeyCredential;
import io.cobalt.crypto.tls.ClusterCa;
import io.cobalt.crypto.tls.TlsMaterial;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Customer-provided keys and encryption scopes (ADR 0023) through the official SDK over HTTPS:
 * {@code getCustomerProvidedKeyClient}, {@code BlobContainerEncryptionScope},
 * {@code encryptionScope}; and raw requests for what the SDK will not send (a key over plain HTTP,
 * a wrong digest).
 */
class CustomerKeyEndpointTest {
  static ClusterCa ca;
  static TlsMaterial tls;
  static GatewayFixture gw;
  static BlobServiceClient service;
  static final SecureRandom RANDOM = new SecureRandom();

  @BeforeAll
  static void start() throws Exception {
    ca = ClusterCa.create("cpk-test", RANDOM);
    tls = TlsMaterial.of(ca.issue("gateway", List.of("localhost"), List.of("127.0.0.1")));
    gw = new GatewayFixture(c -> c.withHttps(GatewayHttpsConfig.clusterCertificate(0, tls, true)));
    gw.keys.createScope(GatewayFixture.ACCOUNT, "scope-one");
    gw.keys.createScope(GatewayFixture.ACCOUNT, "scope-two");
    service = sdk().buildClient();
  }

  @AfterAll
  static void stop() {
    if (gw != null) {
      gw.close();
    }
  }

  static com.azure.storage.blob.BlobServiceClientBuilder sdk() throws Exception {
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, tls.trustManagers(), null);
    return new com.azure.storage.blob.BlobServiceClientBuilder()
        .endpoint("https://127.0.0.1:" + gw.server.httpsPort() + "/" + GatewayFixture.ACCOUNT)
        .httpClient(new com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder(
            java.net.http.HttpClient.newBuilder().sslContext(ssl)).build())
        .retryOptions(GatewayFixture.NO_RETRY)
        .credential(new StorageSharedKeyCredential(GatewayFixture.ACCOUNT, GatewayFixture.KEY));
  }

  static CustomerProvidedKey newKey() {
    byte[] k = new byte[32];
    RANDOM.nextBytes(k);
    return new CustomerProvidedKey(k);
  }

  static byte[] data(int n) {
    byte[] d = new byte[n];
    RANDOM.nextBytes(d);
    return d;
  }

  static BlobStorageException refused(org.junit.jupiter.api.function.Executable call) {
    return assertThrows(BlobStorageException.class, call);
  }

  @Test
  void uploadsAndDownloadsWithTheKeyAndRefusesAnyOtherRead() {
    BlobContainerClient c = service.createBlobContainer("cpk-basic");
    CustomerProvidedKey key = newKey();
    BlobClient plain = c.getBlobClient("secret");
    BlobClient withKey = plain.getCustomerProvidedKeyClient(key);
    byte[] body = data(300_000);

    BlockBlobItem put = withKey.getBlockBlobClient().upload(BinaryData.fromBytes(body), false);
    assertEquals(key.getKeySha256(), put.getEncryptionKeySha256());
    assertTrue(put.isServerEncrypted());

    assertArrayEquals(body, withKey.downloadContent().toBytes());
    BlobProperties props = withKey.getProperties();
    assertEquals(key.getKeySha256(), props.getEncryptionKeySha256());
    assertEquals(body.length, props.getBlobSize());

    BlobStorageException noKey = refused(() -> plain.downloadContent());
    assertEquals(409, noKey.getStatusCode());
    assertEquals(BlobErrorCode.BLOB_USES_CUSTOMER_SPECIFIED_ENCRYPTION, noKey.getErrorCode());
    BlobStorageException noKeyProps = refused(plain::getProperties);
    assertEquals(409, noKeyProps.getStatusCode());

    BlobClient otherKey = plain.getCustomerProvidedKeyClient(newKey());
    BlobStorageException wrong = refused(() -> otherKey.downloadContent());
    assertEquals(409, wrong.getStatusCode());
    assertEquals("BlobCustomerSpecifiedEncryptionMismatch", wrong.getErrorCode().toString());
    assertEquals(409, refused(otherKey::getProperties).getStatusCode());

    // Set Blob Metadata needs the key; with it, the metadata is set and readable with it.
    BlobStorageException metaNoKey = refused(() -> plain.setMetadata(Map.of("a", "b")));
    assertEquals(BlobErrorCode.BLOB_USES_CUSTOMER_SPECIFIED_ENCRYPTION, metaNoKey.getErrorCode());
    withKey.setMetadata(Map.of("a", "b"));
    assertEquals(Map.of("a", "b"), withKey.getProperties().getMetadata());

    // A range read decrypts with the key too.
    byte[] range = withKey.downloadContentWithResponse(
        null, null, new com.azure.storage.blob.models.BlobRange(70_000, 5_000L), false, null, null).getValue().toBytes();
    assertArrayEquals(java.util.Arrays.copyOfRange(body, 70_000, 75_000), range);

    // A key on a blob written without one is refused; deletes and listings need no key.
    BlobClient normal = c.getBlobClient("normal");
    normal.upload(BinaryData.fromBytes(data(10)));
    BlobStorageException notCpk = refused(() -> normal.getCustomerProvidedKeyClient(key).downloadContent());
    assertEquals(409, notCpk.getStatusCode());
    List<BlobItem> listed = c.listBlobs().stream().toList();
    assertEquals(2, listed.size());
    plain.delete();
    assertFalse(plain.exists());
  }

  @Test
  void stagedBlocksNeedTheSameKeyAtCommit() {
    BlobContainerClient c = service.createBlobContainer("cpk-blocks");
    CustomerProvidedKey key = newKey();
    BlockBlobClient plain = c.getBlobClient("blocks").getBlockBlobClient();
    BlockBlobClient withKey = c.getBlobClient("blocks").getCustomerProvidedKeyClient(key).getBlockBlobClient();
    byte[] a = data(100_000);
    byte[] b = data(50_000);
    String idA = Base64.getEncoder().encodeToString("block-a".getBytes(StandardCharsets.UTF_8));
    String idB = Base64.getEncoder().encodeToString("block-b".getBytes(StandardCharsets.UTF_8));
    withKey.stageBlock(idA, new ByteArrayInputStream(a), a.length);
    withKey.stageBlock(idB, new ByteArrayInputStream(b), b.length);

    BlobStorageException noKey = refused(() -> plain.commitBlockList(List.of(idA, idB), true));
    assertEquals(409, noKey.getStatusCode());
    assertEquals(BlobErrorCode.BLOB_USES_CUSTOMER_SPECIFIED_ENCRYPTION, noKey.getErrorCode());
    BlockBlobClient otherKey = c.getBlobClient("blocks").getCustomerProvidedKeyClient(newKey()).getBlockBlobClient();
    BlobStorageException wrong = refused(() -> otherKey.commitBlockList(List.of(idA, idB), true));
    assertEquals(409, wrong.getStatusCode());
    assertEquals("BlobCustomerSpecifiedEncryptionMismatch", wrong.getErrorCode().toString());
    // A block staged without a key does not go into a version committed with one.
    String idC = Base64.getEncoder().encodeToString("block-c".getBytes(StandardCharsets.UTF_8));
    plain.stageBlock(idC, new ByteArrayInputStream(b), b.length);
    BlobStorageException unkeyedBlock = refused(() -> withKey.commitBlockList(List.of(idA, idC), true));
    assertEquals("BlobCustomerSpecifiedEncryptionMismatch", unkeyedBlock.getErrorCode().toString());

    BlockBlobItem committed = withKey.commitBlockList(List.of(idA, idB));
    assertEquals(key.getKeySha256(), committed.getEncryptionKeySha256());
    byte[] both = new byte[a.length + b.length];
    System.arraycopy(a, 0, both, 0, a.length);
    System.arraycopy(b, 0, both, a.length, b.length);
    assertArrayEquals(both, withKey.downloadContent().toBytes());
    assertEquals(409, refused(() -> plain.downloadContent()).getStatusCode());

    // The SDK's chunked upload (Put Block + Put Block List) with a key, read back with it.
    byte[] big = data(9 * 1024 * 1024);
    BlobClient chunked = c.getBlobClient("chunked").getCustomerProvidedKeyClient(key);
    chunked.uploadWithResponse(new com.azure.storage.blob.options.BlobParallelUploadOptions(BinaryData.fromBytes(big))
        .setParallelTransferOptions(new com.azure.storage.blob.models.ParallelTransferOptions()
            .setBlockSizeLong(4L * 1024 * 1024).setMaxSingleUploadSizeLong(4L * 1024 * 1024)), null, null);
    assertArrayEquals(big, chunked.downloadContent().toBytes());
  }

  @Test
  void refusesAKeyOverPlainHttpAndAWrongDigest() throws Exception {
    BlobContainerClient c = service.createBlobContainer("cpk-raw");
    String sas = c.generateSas(new BlobServiceSasSignatureValues(
        OffsetDateTime.now(ZoneOffset.UTC).plusHours(1), BlobContainerSasPermission.parse("rcw")));
    byte[] key = data(32);
    String keyB64 = Base64.getEncoder().encodeToString(key);
    String sha = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(key));

    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> overHttp = http.send(put(gw.httpEndpoint() + "/cpk-raw/b?" + sas, keyB64, sha, "AES256"),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(400, overHttp.statusCode());
    assertFalse(overHttp.body().contains(keyB64), "the key is never echoed");
    assertFalse(c.getBlobClient("b").exists(), "nothing was written");

    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, tls.trustManagers(), null);
    HttpClient https = HttpClient.newBuilder().sslContext(ssl).build();
    String base = "https://127.0.0.1:" + gw.server.httpsPort() + "/" + GatewayFixture.ACCOUNT + "/cpk-raw/b?" + sas;
    String otherSha = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(data(32)));
    HttpResponse<String> badSha = https.send(put(base, keyB64, otherSha, "AES256"), HttpResponse.BodyHandlers.ofString());
    assertEquals(400, badSha.statusCode());
    assertEquals("InvalidHeaderValue", badSha.headers().firstValue("x-ms-error-code").orElse(null));
    assertTrue(badSha.body().contains("x-ms-encryption-key-sha256"), badSha.body());
    assertFalse(badSha.body().contains(keyB64));

    HttpResponse<String> shortKey = https.send(put(base, Base64.getEncoder().encodeToString(data(16)), sha, "AES256"),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(400, shortKey.statusCode());
    HttpResponse<String> badAlg = https.send(put(base, keyB64, sha, "AES128"), HttpResponse.BodyHandlers.ofString());
    assertEquals(400, badAlg.statusCode());
    HttpResponse<String> noAlg = https.send(put(base, keyB64, sha, null), HttpResponse.BodyHandlers.ofString());
    assertEquals(400, noAlg.statusCode(), "the algorithm is required on writes");
    assertFalse(c.getBlobClient("b").exists());

    HttpResponse<String> ok = https.send(put(base, keyB64, sha, "AES256"), HttpResponse.BodyHandlers.ofString());
    assertEquals(201, ok.statusCode(), ok.body());
    assertEquals(sha, ok.headers().firstValue("x-ms-encryption-key-sha256").orElse(null));
    assertEquals("true", ok.headers().firstValue("x-ms-request-server-encrypted").orElse(null));
    // A read may leave the algorithm out.
    HttpResponse<String> get = https.send(HttpRequest.newBuilder(URI.create(base)).header("x-ms-version", "2025-11-05")
        .header("x-ms-encryption-key", keyB64).header("x-ms-encryption-key-sha256", sha).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, get.statusCode());
    assertEquals("hello", get.body());
  }

  @Test
  void theKeyNeverAppearsInTheLogsEvenAtTraceLevel() throws Exception {
    ch.qos.logback.classic.Logger root =
        (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> captured =
        new ch.qos.logback.core.read.ListAppender<>();
    captured.start();
    ch.qos.logback.classic.Level before = root.getLevel();
    root.addAppender(captured);
    root.setLevel(ch.qos.logback.classic.Level.TRACE);
    byte[] raw = data(32);
    CustomerProvidedKey key = new CustomerProvidedKey(raw);
    try {
      BlobContainerClient c = service.createBlobContainer("cpk-logs");
      BlobClient withKey = c.getBlobClient("b").getCustomerProvidedKeyClient(key);
      withKey.upload(BinaryData.fromString("logged?"));
      withKey.downloadContent();
      refused(() -> c.getBlobClient("b").downloadContent());
      refused(() -> c.getBlobClient("b").getCustomerProvidedKeyClient(newKey()).downloadContent());
    } finally {
      root.setLevel(before);
      root.detachAppender(captured);
    }
    String hex = java.util.HexFormat.of().formatHex(raw);
    for (ch.qos.logback.classic.spi.ILoggingEvent e : captured.list) {
      String line = e.getFormattedMessage() + (e.getThrowableProxy() == null ? "" : e.getThrowableProxy().getMessage());
      assertFalse(line.contains(key.getKey()), "key in a log line: " + e.getLoggerName());
      assertFalse(line.toLowerCase(java.util.Locale.ROOT).contains(hex), "key (hex) in a log line: " + e.getLoggerName());
    }
  }

  private static HttpRequest put(String uri, String key, String sha, String alg) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(uri))
        .header("x-ms-version", "2025-11-05")
        .header("x-ms-blob-type", "BlockBlob")
        .header("x-ms-encryption-key", key)
        .header("x-ms-encryption-key-sha256", sha)
        .PUT(HttpRequest.BodyPublishers.ofString("hello"));
    if (alg != null) {
      b.header("x-ms-encryption-algorithm", alg);
    }
    return b.build();
  }

  @Test
  void encryptionScopesPerRequestAndContainerDefaultWithDenyOverride() throws Exception {
    // A container whose default scope is scope-one and that denies other scopes.
    sdk().blobContainerEncryptionScope(new BlobContainerEncryptionScope()
            .setDefaultEncryptionScope("scope-one").setEncryptionScopeOverridePrevented(true))
        .buildClient().getBlobContainerClient("scoped-locked").create();
    BlobContainerClient locked = service.getBlobContainerClient("scoped-locked");
    BlobContainerProperties cp = locked.getProperties();
    assertEquals("scope-one", cp.getDefaultEncryptionScope());
    assertTrue(cp.isEncryptionScopeOverridePrevented());

    BlobClient inLocked = locked.getBlobClient("a");
    inLocked.upload(BinaryData.fromString("scoped"));
    assertEquals("scope-one", inLocked.getProperties().getEncryptionScope());
    assertEquals("scoped", inLocked.downloadContent().toString());

    BlobServiceClient scopeTwo = sdk().encryptionScope("scope-two").buildClient();
    BlobStorageException denied =
        refused(() -> scopeTwo.getBlobContainerClient("scoped-locked").getBlobClient("b").upload(BinaryData.fromString("x")));
    // The service's answer (a recorded response in the JS SDK's encryption scope tests).
    assertEquals(403, denied.getStatusCode());
    assertEquals("RequestForbiddenByContainerEncryptionPolicy", denied.getErrorCode().toString());
    assertFalse(locked.getBlobClient("b").exists());
    BlobStorageException keyDenied = refused(() -> locked.getBlobClient("b").getCustomerProvidedKeyClient(newKey())
        .upload(BinaryData.fromString("x")));
    assertEquals(403, keyDenied.getStatusCode());
    assertEquals("RequestForbiddenByContainerEncryptionPolicy", keyDenied.getErrorCode().toString());
    assertFalse(locked.getBlobClient("b").exists());
    // Naming the container's own scope is allowed.
    sdk().encryptionScope("scope-one").buildClient().getBlobContainerClient("scoped-locked").getBlobClient("c")
        .upload(BinaryData.fromString("ok"));

    // A container without a default: a per-request scope is recorded and returned on reads.
    BlobContainerClient open = service.createBlobContainer("scoped-open");
    BlobClient viaTwo = scopeTwo.getBlobContainerClient("scoped-open").getBlobClient("x");
    BlockBlobItem item = viaTwo.getBlockBlobClient().upload(BinaryData.fromString("two"), false);
    assertEquals("scope-two", item.getEncryptionScope());
    BlobProperties props = open.getBlobClient("x").getProperties();
    assertEquals("scope-two", props.getEncryptionScope());
    assertEquals("two", open.getBlobClient("x").downloadContent().toString());
    assertNull(open.getBlobClient("x").getProperties().getEncryptionKeySha256());
    BlobItem listed = open.listBlobs(new ListBlobsOptions().setDetails(new BlobListDetails()), null).stream()
        .filter(i -> i.getName().equals("x")).findFirst().orElseThrow();
    assertEquals("scope-two", listed.getProperties().getEncryptionScope());
    BlobContainerProperties openProps = open.getProperties();
    assertEquals("$account-encryption-key", openProps.getDefaultEncryptionScope());
    assertFalse(openProps.isEncryptionScopeOverridePrevented());

    // Unknown scopes: on a write, and as a container default.
    BlobServiceClient unknown = sdk().encryptionScope("no-such-scope").buildClient();
    BlobStorageException unknownWrite =
        refused(() -> unknown.getBlobContainerClient("scoped-open").getBlobClient("y").upload(BinaryData.fromString("y")));
    assertEquals(400, unknownWrite.getStatusCode());
    assertEquals(BlobErrorCode.INVALID_HEADER_VALUE, unknownWrite.getErrorCode());
    BlobServiceClient badDefault = sdk().blobContainerEncryptionScope(
        new BlobContainerEncryptionScope().setDefaultEncryptionScope("no-such-scope")).buildClient();
    BlobStorageException unknownDefault = refused(() -> badDefault.getBlobContainerClient("scoped-bad").create());
    assertEquals(400, unknownDefault.getStatusCode());
    assertFalse(service.getBlobContainerClient("scoped-bad").exists());

    // Blocks staged under one scope do not go into a version committed under another.
    BlockBlobClient twoBlocks = viaTwo.getBlockBlobClient();
    String id = Base64.getEncoder().encodeToString("s".getBytes(StandardCharsets.UTF_8));
    twoBlocks.stageBlock(id, new ByteArrayInputStream(new byte[] {1, 2, 3}), 3);
    BlobStorageException mixed =
        refused(() -> open.getBlobClient("x").getBlockBlobClient().commitBlockList(List.of(id), true));
    assertEquals(409, mixed.getStatusCode());
    assertEquals("BlobCustomerSpecifiedEncryptionMismatch", mixed.getErrorCode().toString());
    twoBlocks.commitBlockList(List.of(id), true);
    assertEquals("scope-two", open.getBlobClient("x").getProperties().getEncryptionScope());
  }
  /**
   * Append blobs take a customer key (ADR 0023): Create Append Blob wraps the DEK under it, every
   * Append Block must present the same key, reads need it; an append blob created without a key
   * refuses one. SDK {@code AppendBlobClient} built with {@code .customerProvidedKey(...)}.
   */
  @Test
  void appendBlobsTakeTheKeyOnCreateAndOnEveryAppend() {
    BlobContainerClient c = service.createBlobContainer("cpk-append");
    CustomerProvidedKey key = newKey();
    BlobClient plain = c.getBlobClient("log");
    AppendBlobClient withKey = new SpecializedBlobClientBuilder().blobClient(plain).customerProvidedKey(key)
        .buildAppendBlobClient();
    AppendBlobItem created = withKey.create();
    assertEquals(key.getKeySha256(), created.getEncryptionKeySha256());
    byte[] a = data(1000);
    byte[] b = data(70_000);
    AppendBlobItem first = withKey.appendBlock(new ByteArrayInputStream(a), a.length);
    assertEquals(key.getKeySha256(), first.getEncryptionKeySha256());
    assertEquals("0", first.getBlobAppendOffset());
    AppendBlobItem second = withKey.appendBlock(new ByteArrayInputStream(b), b.length);
    assertEquals(Integer.toString(a.length), second.getBlobAppendOffset());

    AppendBlobClient noKey = plain.getAppendBlobClient();
    BlobStorageException missing = refused(() -> noKey.appendBlock(new ByteArrayInputStream(a), a.length));
    assertEquals(409, missing.getStatusCode());
    assertEquals(BlobErrorCode.BLOB_USES_CUSTOMER_SPECIFIED_ENCRYPTION, missing.getErrorCode());
    AppendBlobClient otherKey = plain.getCustomerProvidedKeyClient(newKey()).getAppendBlobClient();
    BlobStorageException wrong = refused(() -> otherKey.appendBlock(new ByteArrayInputStream(a), a.length));
    assertEquals(409, wrong.getStatusCode());
    assertEquals(BlobErrorCode.fromString("BlobCustomerSpecifiedEncryptionMismatch"), wrong.getErrorCode());

    byte[] both = new byte[a.length + b.length];
    System.arraycopy(a, 0, both, 0, a.length);
    System.arraycopy(b, 0, both, a.length, b.length);
    assertArrayEquals(both, withKey.downloadContent().toBytes());
    BlobProperties props = withKey.getProperties();
    assertEquals(key.getKeySha256(), props.getEncryptionKeySha256());
    assertEquals(both.length, props.getBlobSize());
    assertEquals(2, props.getCommittedBlockCount());
    assertEquals(409, refused(plain::downloadContent).getStatusCode());

    AppendBlobClient plainLog = c.getBlobClient("plain-log").getAppendBlobClient();
    plainLog.create();
    AppendBlobClient keyOnPlain = c.getBlobClient("plain-log").getCustomerProvidedKeyClient(key).getAppendBlobClient();
    BlobStorageException notCpk = refused(() -> keyOnPlain.appendBlock(new ByteArrayInputStream(a), a.length));
    assertEquals(409, notCpk.getStatusCode());
    assertEquals(BlobErrorCode.fromString("BlobDoesNotUseCustomerSpecifiedEncryption"), notCpk.getErrorCode());
    plainLog.appendBlock(new ByteArrayInputStream(a), a.length);
    assertArrayEquals(a, plainLog.downloadContent().toBytes());
  }
  /**
   * Put Blob From URL with customer keys: the source's key in {@code x-ms-source-encryption-key}
   * ({@code BlobUploadFromUrlOptions.setSourceCustomerProvidedKey}), the destination's as on Put
   * Blob. Copy Blob From URL has no source key, so a CPK source is refused (409).
   */
  @Test
  void putBlobFromUrlTakesTheSourceKeyAndTheDestinationKey() {
    BlobContainerClient c = service.createBlobContainer("cpk-from-url");
    CustomerProvidedKey srcKey = newKey();
    CustomerProvidedKey dstKey = newKey();
    BlobClient src = c.getBlobClient("src");
    byte[] body = data(200_000);
    src.getCustomerProvidedKeyClient(srcKey).getBlockBlobClient().upload(BinaryData.fromBytes(body), false);
    String url = src.getBlobUrl() + "?" + src.generateSas(
        new BlobServiceSasSignatureValues(OffsetDateTime.now(ZoneOffset.UTC).plusHours(1), BlobSasPermission.parse("r")));
    BlockBlobClient dst = c.getBlobClient("dst").getCustomerProvidedKeyClient(dstKey).getBlockBlobClient();

    BlobStorageException noSourceKey = refused(() -> dst.uploadFromUrl(url, true));
    assertEquals(409, noSourceKey.getStatusCode());
    assertEquals(BlobErrorCode.BLOB_USES_CUSTOMER_SPECIFIED_ENCRYPTION, noSourceKey.getErrorCode());
    BlobStorageException wrongSourceKey = refused(() -> dst.uploadFromUrlWithResponse(
        new BlobUploadFromUrlOptions(url).setSourceCustomerProvidedKey(newKey()), null, Context.NONE));
    assertEquals(409, wrongSourceKey.getStatusCode());
    assertEquals(BlobErrorCode.fromString("BlobCustomerSpecifiedEncryptionMismatch"), wrongSourceKey.getErrorCode());
    assertFalse(c.getBlobClient("dst").exists());

    BlockBlobItem copied = dst.uploadFromUrlWithResponse(
        new BlobUploadFromUrlOptions(url).setSourceCustomerProvidedKey(srcKey), null, Context.NONE).getValue();
    assertEquals(dstKey.getKeySha256(), copied.getEncryptionKeySha256());
    assertArrayEquals(body, dst.downloadContent().toBytes());
    assertEquals(dstKey.getKeySha256(), dst.getProperties().getEncryptionKeySha256());
    assertEquals(409, refused(() -> c.getBlobClient("dst").downloadContent()).getStatusCode());
    assertEquals(409, refused(() -> c.getBlobClient("dst").getCustomerProvidedKeyClient(srcKey).downloadContent())
        .getStatusCode());

    // No destination key: the copy is written under the account's key.
    BlockBlobClient plainDst = c.getBlobClient("plain-dst").getBlockBlobClient();
    plainDst.uploadFromUrlWithResponse(
        new BlobUploadFromUrlOptions(url).setSourceCustomerProvidedKey(srcKey), null, Context.NONE);
    assertArrayEquals(body, plainDst.downloadContent().toBytes());
    assertNull(plainDst.getProperties().getEncryptionKeySha256());
    // A source key for a source written without one.
    String plainUrl = plainDst.getBlobUrl() + "?" + plainDst.generateSas(
        new BlobServiceSasSignatureValues(OffsetDateTime.now(ZoneOffset.UTC).plusHours(1), BlobSasPermission.parse("r")));
    BlobStorageException notCpk = refused(() -> c.getBlobClient("other").getBlockBlobClient().uploadFromUrlWithResponse(
        new BlobUploadFromUrlOptions(plainUrl).setSourceCustomerProvidedKey(srcKey), null, Context.NONE));
    assertEquals(409, notCpk.getStatusCode());
    assertEquals(BlobErrorCode.fromString("BlobDoesNotUseCustomerSpecifiedEncryption"), notCpk.getErrorCode());

    // Copy Blob From URL carries no source key: a CPK source cannot be copied.
    BlobStorageException copyFromUrl = refused(() -> c.getBlobClient("copy-dst").copyFromUrl(url));
    assertEquals(409, copyFromUrl.getStatusCode());
    assertEquals(BlobErrorCode.BLOB_USES_CUSTOMER_SPECIFIED_ENCRYPTION, copyFromUrl.getErrorCode());
    assertFalse(c.getBlobClient("copy-dst").exists());
  }

  /**
   * Blob index tags of customer-key blobs (ADR 0018 §6): written with the key (Put Blob and Put
   * Block List with x-ms-tags), then set, read, listed and found by a client without it, as Azure
   * serves them; the data still needs the key.
   */
  @Test
  void tagsOfCustomerKeyBlobsNeedNoKey() throws Exception {
    BlobContainerClient c = service.createBlobContainer("cpk-tags");
    CustomerProvidedKey key = newKey();
    BlobClient withKey = new com.azure.storage.blob.BlobClientBuilder()
        .endpoint(c.getBlobContainerUrl() + "/tagged")
        .httpClient(sdkHttpClient())
        .retryOptions(GatewayFixture.NO_RETRY)
        .credential(new StorageSharedKeyCredential(GatewayFixture.ACCOUNT, GatewayFixture.KEY))
        .customerProvidedKey(key)
        .buildClient();
    BlobClient plain = c.getBlobClient("tagged");
    byte[] body = data(10_000);
    Map<String, String> initial = Map.of("project", "cpk", "stage", "one");
    var put = withKey.uploadWithResponse(new com.azure.storage.blob.options.BlobParallelUploadOptions(
        BinaryData.fromBytes(body)).setTags(initial), null, Context.NONE);
    assertEquals(201, put.getStatusCode());
    assertEquals(key.getKeySha256(), put.getValue().getEncryptionKeySha256());

    assertEquals(initial, plain.getTags());
    String etag = withKey.getProperties().getETag();
    assertEquals(2, withKey.getProperties().getTagCount());
    Map<String, String> changed = Map.of("project", "cpk", "stage", "two", "owner", "ops");
    plain.setTags(changed);
    assertEquals(changed, plain.getTags());
    assertEquals(changed, withKey.getTags(), "a client holding the key reads them too");
    assertEquals(etag, withKey.getProperties().getETag(), "Set Blob Tags leaves the ETag alone");
    assertArrayEquals(body, withKey.downloadContent().toBytes());
    assertEquals(409, refused(() -> plain.downloadContent()).getStatusCode(), "the data still needs the key");

    // Put Block List with a key and x-ms-tags.
    BlockBlobClient blocksWithKey = new SpecializedBlobClientBuilder().blobClient(c.getBlobClient("committed"))
        .customerProvidedKey(key).buildBlockBlobClient();
    String id = Base64.getEncoder().encodeToString("block-0".getBytes(StandardCharsets.UTF_8));
    byte[] block = data(5_000);
    blocksWithKey.stageBlock(id, new ByteArrayInputStream(block), block.length);
    blocksWithKey.commitBlockListWithResponse(new com.azure.storage.blob.options.BlockBlobCommitBlockListOptions(
        List.of(id)).setTags(Map.of("project", "cpk", "stage", "committed")), null, Context.NONE);
    assertEquals(Map.of("project", "cpk", "stage", "committed"), c.getBlobClient("committed").getTags());
    assertArrayEquals(block, blocksWithKey.downloadContent().toBytes());

    // Find Blobs by Tags (account and container) and List Blobs include=tags, all without the key.
    java.util.Set<String> found = new java.util.TreeSet<>();
    service.findBlobsByTags("\"project\" = 'cpk'").forEach(t -> {
      if (t.getContainerName().equals("cpk-tags")) {
        found.add(t.getName() + "=" + t.getTags());
      }
    });
    assertEquals(java.util.Set.of("committed={project=cpk}", "tagged={project=cpk}"), found);
    List<String> inContainer = new java.util.ArrayList<>();
    c.findBlobsByTags("\"stage\" = 'two'").forEach(t -> inContainer.add(t.getName()));
    assertEquals(List.of("tagged"), inContainer);
    Map<String, Map<String, String>> listed = new java.util.TreeMap<>();
    c.listBlobs(new ListBlobsOptions().setDetails(new BlobListDetails().setRetrieveTags(true)), null)
        .forEach(b -> listed.put(b.getName(), b.getTags()));
    assertEquals(changed, listed.get("tagged"));

    // Removing every tag also drops the tags key; tags can be set again afterwards.
    plain.setTags(Map.of());
    assertEquals(Map.of(), plain.getTags());
    plain.setTags(Map.of("again", "yes"));
    assertEquals(Map.of("again", "yes"), plain.getTags());
  }

  static com.azure.core.http.HttpClient sdkHttpClient() throws Exception {
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, tls.trustManagers(), null);
    return new com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder(
        java.net.http.HttpClient.newBuilder().sslContext(ssl)).build();
  }
}
