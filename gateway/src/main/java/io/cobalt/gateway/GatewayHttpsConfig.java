package io.cobalt.gateway;

import io.cobalt.crypto.tls.TlsMaterial;
import java.nio.file.Path;
import java.util.List;

/**
 * HTTPS for the Blob endpoint: TLS 1.2 and 1.3 only, forward-secret AEAD suites only
 * ({@link #CIPHER_SUITES}). The certificate is either one issued by the cluster CA
 * ({@link #clusterCertificate}) or one the operator supplies as PEM files ({@link #pemFiles}; the
 * key may be PKCS#8 or PKCS#1 RSA, the certificate file may hold the chain).
 *
 * @param httpsPort HTTPS port; 0 picks any free port (see {@link GatewayServer#httpsPort()})
 * @param clusterCertificate a cluster-CA certificate and key (the gateway's TlsMaterial), or null
 * @param certificatePem operator certificate (chain) PEM file, or null
 * @param privateKeyPem operator private key PEM file, or null
 * @param httpEnabled whether the plain-HTTP endpoint ({@code GatewayConfig.blobPort}) is served too
 */
public record GatewayHttpsConfig(
    int httpsPort, TlsMaterial clusterCertificate, Path certificatePem, Path privateKeyPem, boolean httpEnabled) {

  /** Protocols offered; TLS 1.0/1.1 and SSL are refused at the handshake. */
  public static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

  /**
   * Suites offered: TLS 1.3's (all forward secret) and TLS 1.2 ECDHE with AES-GCM or
   * ChaCha20-Poly1305, for ECDSA (cluster CA, P-256) and RSA (operator) certificates. No static-RSA
   * key exchange, no CBC, no SHA-1 MACs.
   */
  public static final List<String> CIPHER_SUITES =
      List.of(
          "TLS_AES_128_GCM_SHA256",
          "TLS_AES_256_GCM_SHA384",
          "TLS_CHACHA20_POLY1305_SHA256",
          "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
          "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
          "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
          "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
          "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
          "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

  public GatewayHttpsConfig {
    if (httpsPort < 0 || httpsPort > 65535) {
      throw new IllegalArgumentException("httpsPort out of range: " + httpsPort);
    }
    boolean pem = certificatePem != null || privateKeyPem != null;
    if (pem && (certificatePem == null || privateKeyPem == null)) {
      throw new IllegalArgumentException("certificatePem and privateKeyPem go together");
    }
    if (pem == (clusterCertificate != null)) {
      throw new IllegalArgumentException("give either a cluster certificate or PEM files, not both or neither");
    }
  }

  /** HTTPS with a certificate issued by the cluster CA (e.g. {@code TlsMaterial.load(dir, "gateway")}). */
  public static GatewayHttpsConfig clusterCertificate(int httpsPort, TlsMaterial certificate, boolean httpEnabled) {
    return new GatewayHttpsConfig(httpsPort, certificate, null, null, httpEnabled);
  }

  /** HTTPS with an operator-supplied certificate chain and key in PEM files. */
  public static GatewayHttpsConfig pemFiles(int httpsPort, Path certificatePem, Path privateKeyPem, boolean httpEnabled) {
    return new GatewayHttpsConfig(httpsPort, null, certificatePem, privateKeyPem, httpEnabled);
  }
}
