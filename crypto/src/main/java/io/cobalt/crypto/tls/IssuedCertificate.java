package io.cobalt.crypto.tls;

import java.io.IOException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;

/** A process certificate with its private key and the CA that issued it. */
public record IssuedCertificate(X509Certificate certificate, PrivateKey privateKey, X509Certificate issuer) {

  /** Writes {@code <name>.pem} (certificate then CA) and {@code <name>.key} (0600) into {@code dir}. */
  public void save(Path dir, String name) throws IOException {
    ClusterCa.Pem.write(dir.resolve(name + ".pem"), List.of(certificate, issuer), false);
    ClusterCa.Pem.writePrivateKey(dir.resolve(name + ".key"), privateKey);
  }

  @Override
  public String toString() {
    return "IssuedCertificate[" + certificate.getSubjectX500Principal().getName() + "]";
  }
}
