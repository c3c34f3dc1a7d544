package io.cobalt.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.sas.BlobContainerSasPermission;
import com.azure.storage.blob.sas.BlobServiceSasSignatureValues;
import com.azure.storage.common.StorageSharedKeyCredential;
import com.azure.storage.common.sas.SasProtocol;
import io.cobalt.crypto.tls.ClusterCa;
import io.cobalt.crypto.tls.IssuedCertificate;
import io.cobalt.crypto.tls.TlsMaterial;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTPS: the official SDK over TLS trusting the cluster CA (HTTP turned off), an operator PEM
 * certificate, and the handshake policy checked with raw ClientHellos: TLS 1.1 and non-forward-secret
 * suites are refused, a TLS 1.2 ECDHE hello is answered (the control).
 */
class HttpsEndpointTest {
  static ClusterCa ca;
  static TlsMaterial gatewayTls;
  static GatewayFixture httpsOnly;

  @BeforeAll
  static void start() throws Exception {
    ca = ClusterCa.create("https-test", new SecureRandom());
    gatewayTls = TlsMaterial.of(ca.issue("gateway", List.of("localhost"), List.of("127.0.0.1")));
    httpsOnly = new GatewayFixture(c -> c.withHttps(GatewayHttpsConfig.clusterCertificate(0, gatewayTls, false)));
  }

  @AfterAll
  static void stop() {
    if (httpsOnly != null) {
      httpsOnly.close();
    }
  }

  static HttpClient trustingCa() throws Exception {
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, gatewayTls.trustManagers(), null);
    return new JdkHttpClientBuilder(java.net.http.HttpClient.newBuilder().sslContext(ssl)).build();
  }

  static BlobServiceClientBuilder sdk(int port) throws Exception {
    return new BlobServiceClientBuilder()
        .endpoint("https://127.0.0.1:" + port + "/" + GatewayFixture.ACCOUNT)
        .httpClient(trustingCa())
        .retryOptions(GatewayFixture.NO_RETRY);
  }

  @Test
  void servesTheSdkOverHttpsWithTheClusterCertificateAndHttpTurnedOff() throws Exception {
    assertEquals(-1, httpsOnly.server.blobPort());
    int port = httpsOnly.server.httpsPort();
    BlobServiceClient client =
        sdk(port).credential(new StorageSharedKeyCredential(GatewayFixture.ACCOUNT, GatewayFixture.KEY)).buildClient();
    BlobContainerClient c = client.createBlobContainer("tls");
    byte[] data = new byte[100_000];
    new SecureRandom().nextBytes(data);
    c.getBlobClient("b").upload(BinaryData.fromBytes(data), true);
    assertArrayEquals(data, c.getBlobClient("b").downloadContent().toBytes());

    // An https-only SAS works over HTTPS.
    String sas = c.generateSas(
        new BlobServiceSasSignatureValues(OffsetDateTime.now(ZoneOffset.UTC).plusHours(1), BlobContainerSasPermission.parse("r"))
            .setProtocol(SasProtocol.HTTPS_ONLY));
    assertArrayEquals(data, sdk(port).sasToken(sas).buildClient().getBlobContainerClient("tls").getBlobClient("b")
        .downloadContent().toBytes());
  }

  @Test
  void servesAnOperatorSuppliedPemCertificate(@TempDir Path dir) throws Exception {
    IssuedCertificate issued = ca.issue("operator", List.of("localhost"), List.of("127.0.0.1"));
    Path cert = dir.resolve("cert.pem");
    Path key = dir.resolve("key.pem");
    Files.writeString(cert, pem("CERTIFICATE", issued.certificate().getEncoded()));
    Files.writeString(key, pem("PRIVATE KEY", issued.privateKey().getEncoded()));
    try (GatewayFixture both = new GatewayFixture(c -> c.withHttps(GatewayHttpsConfig.pemFiles(0, cert, key, true)))) {
      assertTrue(both.server.blobPort() > 0, "HTTP stays on when asked");
      BlobServiceClient client =
          sdk(both.server.httpsPort()).credential(new StorageSharedKeyCredential(GatewayFixture.ACCOUNT, GatewayFixture.KEY))
              .buildClient();
      client.createBlobContainer("pem");
      assertTrue(client.getBlobContainerClient("pem").exists());
      assertTrue(both.keyClient().getBlobContainerClient("pem").exists(), "same store over HTTP");
    }
  }

  static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  @Test
  void refusesPlainHttpWhenHttpIsTurnedOff() throws Exception {
    // The only listening port speaks TLS; nothing else was opened.
    int port = httpsOnly.server.httpsPort();
    int answer = firstByteOfReply(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
    assertTrue(answer == -1 || answer == 0x15, "plain HTTP on the TLS port must not be served, got " + answer);
  }

  static final int TLS10 = 0x0301;
  static final int TLS11 = 0x0302;
  static final int TLS12 = 0x0303;
  static final int ECDHE_ECDSA_AES128_GCM = 0xC02B;
  static final int ECDHE_ECDSA_AES128_CBC_SHA = 0xC009;
  static final int RSA_AES128_GCM = 0x009C;
  static final int RSA_AES256_GCM = 0x009D;
  static final int RSA_AES128_CBC_SHA = 0x002F;

  @Test
  void answersATls12ForwardSecretHello() throws Exception {
    assertEquals(0x16, firstByteOfReply(httpsOnly.server.httpsPort(), clientHello(TLS12, ECDHE_ECDSA_AES128_GCM)),
        "control: a TLS 1.2 ECDHE hello gets a ServerHello");
  }

  @Test
  void refusesTls11AndTls10() throws Exception {
    for (int version : new int[] {TLS11, TLS10}) {
      int reply = firstByteOfReply(httpsOnly.server.httpsPort(),
          clientHello(version, ECDHE_ECDSA_AES128_CBC_SHA, RSA_AES128_CBC_SHA));
      assertTrue(reply == 0x15 || reply == -1, "TLS version " + Integer.toHexString(version) + " answered with " + reply);
    }
  }

  @Test
  void refusesSuitesWithoutForwardSecrecy() throws Exception {
    int reply = firstByteOfReply(httpsOnly.server.httpsPort(),
        clientHello(TLS12, RSA_AES128_GCM, RSA_AES256_GCM, RSA_AES128_CBC_SHA));
    assertTrue(reply == 0x15 || reply == -1, "static-RSA-only hello answered with " + reply);
  }

  /** First byte the server sends back (0x16 handshake, 0x15 alert), or -1 if it just closes. */
  static int firstByteOfReply(int port, byte[] hello) throws Exception {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      out.write(hello);
      out.flush();
      InputStream in = s.getInputStream();
      try {
        return in.read();
      } catch (java.net.SocketException e) {
        return -1; // reset
      }
    } catch (ConnectException e) {
      throw new AssertionError("HTTPS port not listening", e);
    }
  }

  /** A minimal ClientHello: the given version and suites, P-256/X25519, common signature schemes. */
  static byte[] clientHello(int version, int... suites) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    u16(body, version);
    byte[] random = new byte[32];
    new SecureRandom().nextBytes(random);
    body.writeBytes(random);
    body.write(0); // session id
    u16(body, suites.length * 2);
    for (int s : suites) {
      u16(body, s);
    }
    body.write(1);
    body.write(0); // null compression
    ByteArrayOutputStream ext = new ByteArrayOutputStream();
    u16(ext, 0x000a); // supported_groups
    u16(ext, 6);
    u16(ext, 4);
    u16(ext, 0x0017);
    u16(ext, 0x001d);
    u16(ext, 0x000b); // ec_point_formats
    u16(ext, 2);
    ext.write(1);
    ext.write(0);
    u16(ext, 0x000d); // signature_algorithms
    u16(ext, 8);
    u16(ext, 6);
    u16(ext, 0x0403);
    u16(ext, 0x0804);
    u16(ext, 0x0401);
    u16(body, ext.size());
    body.writeBytes(ext.toByteArray());
    ByteArrayOutputStream hs = new ByteArrayOutputStream();
    hs.write(1); // ClientHello
    hs.write(body.size() >>> 16);
    u16(hs, body.size() & 0xffff);
    hs.writeBytes(body.toByteArray());
    ByteArrayOutputStream record = new ByteArrayOutputStream();
    record.write(0x16);
    u16(record, TLS10);
    u16(record, hs.size());
    record.writeBytes(hs.toByteArray());
    return record.toByteArray();
  }

  static void u16(ByteArrayOutputStream out, int v) {
    out.write(v >>> 8 & 0xff);
    out.write(v & 0xff);
  }

  @Test
  void sdkRefusesToTalkToAnUntrustedCertificate() throws Exception {
    // Control for the trust set-up: without the cluster CA the SDK's TLS handshake fails.
    BlobServiceClient untrusted = new BlobServiceClientBuilder()
        .endpoint("https://127.0.0.1:" + httpsOnly.server.httpsPort() + "/" + GatewayFixture.ACCOUNT)
        .credential(new StorageSharedKeyCredential(GatewayFixture.ACCOUNT, GatewayFixture.KEY))
        .httpClient(new JdkHttpClientBuilder().build())
        .retryOptions(GatewayFixture.NO_RETRY)
        .buildClient();
    assertThrows(RuntimeException.class, () -> untrusted.getBlobContainerClient("tls").exists());
  }
}
