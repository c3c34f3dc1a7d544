package io.cobalt.cli;

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
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cobalt dev --https}: the dev cluster serves HTTPS on its blob port with a certificate from
 * its CA, prints an https connection string, and the Azure SDK, trusting only {@code <data>/tls/ca.pem}
 * (as a user would), uploads and downloads through it; plain HTTP is off unless asked for.
 */
class DevHttpsIT {
  static final RequestRetryOptions NO_RETRY =
      new RequestRetryOptions(RetryPolicyType.FIXED, 1, Duration.ofSeconds(30), null, null, null);

  /** An HTTP client for the SDK that trusts exactly the given CA certificate file (PEM). */
  static HttpClient trusting(Path caPem) throws Exception {
    X509Certificate ca;
    try (InputStream in = Files.newInputStream(caPem)) {
      ca = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    trust.setCertificateEntry("cobalt-dev-ca", ca);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), new SecureRandom());
    return new JdkHttpClientBuilder(java.net.http.HttpClient.newBuilder().sslContext(ssl)).build();
  }

  @Test
  void theSdkTrustingTheDevCaUploadsAndDownloadsOverHttpsWithHttpOff(@TempDir Path data) throws Exception {
    try (DevCluster cluster = DevCluster.start(DevCluster.Options.defaults(data).withBlobPort(0).withHttps(-1))) {
      String cs = cluster.connectionString();
      assertTrue(cs.startsWith("DefaultEndpointsProtocol=https;"), cs);
      assertTrue(cs.contains("BlobEndpoint=https://127.0.0.1:" + cluster.blobPort() + "/devstoreaccount1;"), cs);
      assertEquals(-1, cluster.httpPort(), "plain HTTP is off");
      assertEquals(data.toAbsolutePath().resolve("tls").resolve("ca.pem"), cluster.caCertificate());

      BlobServiceClient client = new BlobServiceClientBuilder().connectionString(cs)
          .httpClient(trusting(cluster.caCertificate())).retryOptions(NO_RETRY).buildClient();
      BlobContainerClient c = client.createBlobContainer("tls");
      byte[] data1 = new byte[5 * 1024 * 1024 + 3]; // more than one chunk
      new SecureRandom().nextBytes(data1);
      c.getBlobClient("over-https.bin").upload(BinaryData.fromBytes(data1), true);
      assertArrayEquals(data1, c.getBlobClient("over-https.bin").downloadContent().toBytes());

      // Control: without the CA the SDK refuses the certificate.
      BlobServiceClient untrusted = new BlobServiceClientBuilder().connectionString(cs).retryOptions(NO_RETRY)
          .httpClient(new JdkHttpClientBuilder().build()).buildClient();
      assertThrows(RuntimeException.class, () -> untrusted.getBlobContainerClient("tls").exists());
    }
  }

  @Test
  void plainHttpCanStayOnBesideHttps(@TempDir Path data) throws Exception {
    try (DevCluster cluster = DevCluster.start(DevCluster.Options.defaults(data).withBlobPort(0).withHttps(0))) {
      assertTrue(cluster.httpPort() > 0);
      BlobServiceClient overHttp = new BlobServiceClientBuilder().connectionString(
          "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + DevCluster.DEV_ACCOUNT_KEY
              + ";BlobEndpoint=http://127.0.0.1:" + cluster.httpPort() + "/devstoreaccount1;")
          .retryOptions(NO_RETRY).buildClient();
      overHttp.createBlobContainer("both").getBlobClient("b").upload(BinaryData.fromString("same store"));
      BlobServiceClient overHttps = new BlobServiceClientBuilder().connectionString(cluster.connectionString())
          .httpClient(trusting(cluster.caCertificate())).retryOptions(NO_RETRY).buildClient();
      assertEquals("same store", overHttps.getBlobContainerClient("both").getBlobClient("b").downloadContent().toString());
    }
  }
}
