package io.cobalt.crypto.tls;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A cluster certificate authority (EC P-256), and the per-process certificates it issues. Every
 * process of a cluster trusts only this CA, so a peer without a certificate from it is refused.
 */
public final class ClusterCa {
  private static final Duration CA_LIFETIME = Duration.ofDays(3650);
  private static final Duration LEAF_LIFETIME = Duration.ofDays(825);

  private final X509Certificate certificate;
  private final PrivateKey privateKey;
  private final SecureRandom random;

  private ClusterCa(X509Certificate certificate, PrivateKey privateKey, SecureRandom random) {
    this.certificate = certificate;
    this.privateKey = privateKey;
    this.random = random;
  }

  /** A new CA named {@code CN=<clusterName> cluster CA}. */
  public static ClusterCa create(String clusterName, SecureRandom random) {
    try {
      KeyPair kp = newKeyPair(random);
      X500Name name = new X500Name("CN=" + clusterName + " cluster CA");
      Instant now = Instant.now();
      JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(random),
          Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(CA_LIFETIME)), name, kp.getPublic());
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(kp.getPublic()));
      X509Certificate cert = toCertificate(b.build(signer(kp.getPrivate())));
      return new ClusterCa(cert, kp.getPrivate(), random);
    } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
      throw new IllegalStateException("cannot create the cluster CA", e);
    }
  }

  /** Loads a CA written by {@link #save(Path, Path)}. */
  public static ClusterCa load(Path certPem, Path keyPem, SecureRandom random) throws IOException {
    return new ClusterCa(Pem.readCertificates(certPem).get(0), Pem.readPrivateKey(keyPem), random);
  }

  public void save(Path certPem, Path keyPem) throws IOException {
    Pem.write(certPem, List.of(certificate), false);
    Pem.writePrivateKey(keyPem, privateKey);
  }

  public X509Certificate certificate() {
    return certificate;
  }

  /**
   * A certificate for one process, usable both as TLS server and client, with {@code CN=<name>}
   * and subject alternative names {@code name}, each of {@code dnsNames} and {@code ipAddresses}.
   */
  public IssuedCertificate issue(String name, List<String> dnsNames, List<String> ipAddresses) {
    try {
      KeyPair kp = newKeyPair(random);
      Instant now = Instant.now();
      JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(certificate, serial(random),
          Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(LEAF_LIFETIME)),
          new X500Name("CN=" + name), kp.getPublic());
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
      b.addExtension(Extension.extendedKeyUsage, false,
          new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(certificate));
      List<GeneralName> sans = new ArrayList<>();
      sans.add(new GeneralName(GeneralName.dNSName, name));
      for (String d : dnsNames) {
        sans.add(new GeneralName(GeneralName.dNSName, d));
      }
      for (String ip : ipAddresses) {
        sans.add(new GeneralName(GeneralName.iPAddress, ip));
      }
      b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(new GeneralName[0])));
      X509Certificate cert = toCertificate(b.build(signer(privateKey)));
      return new IssuedCertificate(cert, kp.getPrivate(), certificate);
    } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
      throw new IllegalStateException("cannot issue a certificate for " + name, e);
    }
  }

  private static KeyPair newKeyPair(SecureRandom random) throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"), random);
    return g.generateKeyPair();
  }

  private static BigInteger serial(SecureRandom random) {
    return new BigInteger(127, random).add(BigInteger.ONE);
  }

  private static ContentSigner signer(PrivateKey key) throws OperatorCreationException {
    return new JcaContentSignerBuilder("SHA256withECDSA").build(key);
  }

  private static X509Certificate toCertificate(X509CertificateHolder holder) throws GeneralSecurityException {
    return new JcaX509CertificateConverter().getCertificate(holder);
  }

  /** PEM reading and writing with Bouncy Castle; private keys are written owner-readable only. */
  static final class Pem {
    private Pem() {}

    static void write(Path file, List<X509Certificate> certs, boolean secret) throws IOException {
      StringWriter sw = new StringWriter();
      try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
        for (X509Certificate c : certs) {
          w.writeObject(c);
        }
      }
      writeFile(file, sw.toString(), secret);
    }

    static void writePrivateKey(Path file, PrivateKey key) throws IOException {
      StringWriter sw = new StringWriter();
      try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
        w.writeObject(new JcaPKCS8Generator(key, null));
      }
      writeFile(file, sw.toString(), true);
    }

    private static void writeFile(Path file, String text, boolean secret) throws IOException {
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.deleteIfExists(tmp);
      Files.createFile(tmp);
      if (secret) {
        OwnerOnly.restrict(tmp);
      }
      Files.writeString(tmp, text, StandardCharsets.US_ASCII);
      Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    static List<X509Certificate> readCertificates(Path file) throws IOException {
      List<X509Certificate> out = new ArrayList<>();
      try (PEMParser p = new PEMParser(new StringReader(Files.readString(file, StandardCharsets.US_ASCII)))) {
        Object o;
        while ((o = p.readObject()) != null) {
          if (o instanceof X509CertificateHolder h) {
            out.add(toCertificate(h));
          }
        }
      } catch (GeneralSecurityException e) {
        throw new IOException("bad certificate in " + file, e);
      }
      if (out.isEmpty()) {
        throw new IOException("no certificate in " + file);
      }
      return out;
    }

    static PrivateKey readPrivateKey(Path file) throws IOException {
      try (PEMParser p = new PEMParser(new StringReader(Files.readString(file, StandardCharsets.US_ASCII)))) {
        Object o = p.readObject();
        JcaPEMKeyConverter conv = new JcaPEMKeyConverter();
        if (o instanceof PEMKeyPair kp) {
          return conv.getPrivateKey(kp.getPrivateKeyInfo());
        }
        if (o instanceof PrivateKeyInfo info) {
          return conv.getPrivateKey(info);
        }
        throw new IOException("no private key in " + file);
      }
    }
  }
}
