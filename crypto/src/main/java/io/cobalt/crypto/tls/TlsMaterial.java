package io.cobalt.crypto.tls;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * What one process needs for mutual TLS: its own key and certificate chain, and the cluster CA as
 * the only trust anchor. Plain JSSE objects, so any transport (gRPC, Vert.x) can use them.
 */
public final class TlsMaterial {
  private static final char[] NO_PASSWORD = new char[0];

  private final X509Certificate[] chain;
  private final PrivateKey privateKey;
  private final X509Certificate trustAnchor;

  public TlsMaterial(X509Certificate[] chain, PrivateKey privateKey, X509Certificate trustAnchor) {
    this.chain = chain.clone();
    this.privateKey = privateKey;
    this.trustAnchor = trustAnchor;
  }

  public static TlsMaterial of(IssuedCertificate cert) {
    return new TlsMaterial(new X509Certificate[] {cert.certificate(), cert.issuer()}, cert.privateKey(), cert.issuer());
  }

  /** Loads {@code <name>.pem}, {@code <name>.key} and {@code ca.pem} from a cluster TLS directory. */
  public static TlsMaterial load(Path dir, String name) throws IOException {
    return load(dir.resolve(name + ".pem"), dir.resolve(name + ".key"), dir.resolve(ClusterTls.CA_CERT));
  }

  /** Loads a certificate chain, its private key and the CA certificate from three PEM files. */
  public static TlsMaterial load(Path certificatePem, Path privateKeyPem, Path caPem) throws IOException {
    List<X509Certificate> chain = ClusterCa.Pem.readCertificates(certificatePem);
    PrivateKey key = ClusterCa.Pem.readPrivateKey(privateKeyPem);
    X509Certificate ca = ClusterCa.Pem.readCertificates(caPem).get(0);
    return new TlsMaterial(chain.toArray(new X509Certificate[0]), key, ca);
  }

  public KeyManager[] keyManagers() {
    try {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("self", privateKey, NO_PASSWORD, chain.clone());
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, NO_PASSWORD);
      return kmf.getKeyManagers();
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot build key managers", e);
    }
  }

  public TrustManager[] trustManagers() {
    try {
      KeyStore ts = KeyStore.getInstance("PKCS12");
      ts.load(null, null);
      ts.setCertificateEntry("cluster-ca", trustAnchor);
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ts);
      return tmf.getTrustManagers();
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot build trust managers", e);
    }
  }

  public X509Certificate certificate() {
    return chain[0];
  }

  public X509Certificate trustAnchor() {
    return trustAnchor;
  }

  /** The identity of a peer as the kms-agent's policy names it: hex SHA-256 of its SubjectPublicKeyInfo. */
  public static String identityOf(Certificate peer) {
    try {
      byte[] spki = peer.getPublicKey().getEncoded();
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(spki));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String toString() {
    return "TlsMaterial[" + chain[0].getSubjectX500Principal().getName() + "]";
  }
}
