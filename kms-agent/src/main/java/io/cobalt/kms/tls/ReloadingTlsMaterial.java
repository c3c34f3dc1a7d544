package io.cobalt.kms.tls;

import io.cobalt.crypto.tls.TlsMaterial;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's TLS material, reloadable without a restart: one key manager and one trust manager,
 * given to the TLS server once, that delegate to whatever material was loaded last. Each new
 * handshake reads the current material; connections already open keep theirs.
 *
 * <p>{@link #reloadIfChanged} compares a digest of {@code <name>.pem}, {@code <name>.key} and
 * {@code ca.pem} with the last load and reloads when they differ; a file that is missing or does
 * not parse (e.g. half-written by a renewal) leaves the old material in use and is tried again next
 * time. Short-lived certificates can therefore be replaced in place (MinIO's lesson, kms.md §2.4).
 */
public final class ReloadingTlsMaterial {
  private static final Logger LOG = LoggerFactory.getLogger(ReloadingTlsMaterial.class);
  private static final String SELF = "self";

  /** One loaded generation; the alias handed to the TLS stack names the generation. */
  private record Generation(int number, TlsMaterial material, X509ExtendedKeyManager keys,
      X509ExtendedTrustManager trust, byte[] digest) {
    String alias() {
      return "cobalt-" + number;
    }
  }

  private final Path dir;
  private final String name;
  private volatile Generation current;
  private volatile Generation previous;

  private ReloadingTlsMaterial(Path dir, String name, Generation first) {
    this.dir = dir;
    this.name = name;
    this.current = first;
  }

  /** Loads {@code <name>.pem/.key} and {@code ca.pem} from {@code dir} (as {@link TlsMaterial#load} does). */
  public static ReloadingTlsMaterial load(Path dir, String name) throws IOException {
    byte[] digest = digestOf(dir, name);
    return new ReloadingTlsMaterial(dir, name, generation(1, TlsMaterial.load(dir, name), digest));
  }

  /** Fixed material (no files): never reloads. */
  public static ReloadingTlsMaterial fixed(TlsMaterial material) {
    return new ReloadingTlsMaterial(null, null, generation(1, material, new byte[0]));
  }

  public TlsMaterial current() {
    return current.material();
  }

  /** Reloads if the files changed since the last load; true if new material is now in use. */
  public synchronized boolean reloadIfChanged() {
    if (dir == null) {
      return false;
    }
    try {
      byte[] digest = digestOf(dir, name);
      if (Arrays.equals(digest, current.digest())) {
        return false;
      }
      TlsMaterial next = TlsMaterial.load(dir, name);
      Generation g = generation(current.number() + 1, next, digest);
      previous = current;
      current = g;
      LOG.info("reloaded TLS material {} from {} (generation {}, certificate expires {})", name, dir, g.number(),
          next.certificate().getNotAfter().toInstant());
      return true;
    } catch (IOException | RuntimeException e) {
      LOG.warn("TLS material {} in {} could not be reloaded; keeping the current one: {}", name, dir, e.toString());
      return false;
    }
  }

  public KeyManager keyManager() {
    return new DelegatingKeys();
  }

  public TrustManager trustManager() {
    return new DelegatingTrust();
  }

  private static Generation generation(int n, TlsMaterial m, byte[] digest) {
    return new Generation(n, m, (X509ExtendedKeyManager) m.keyManagers()[0],
        (X509ExtendedTrustManager) m.trustManagers()[0], digest);
  }

  private static byte[] digestOf(Path dir, String name) throws IOException {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (String f : new String[] {name + ".pem", name + ".key", "ca.pem"}) {
        byte[] content = Files.readAllBytes(dir.resolve(f));
        sha.update(MessageDigest.getInstance("SHA-256").digest(content));
        Arrays.fill(content, (byte) 0);
      }
      return sha.digest();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is mandatory in every JDK", e);
    }
  }

  private Generation byAlias(String alias) {
    Generation c = current;
    if (c.alias().equals(alias)) {
      return c;
    }
    Generation p = previous;
    return p != null && p.alias().equals(alias) ? p : null;
  }

  private final class DelegatingKeys extends X509ExtendedKeyManager {
    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      Generation g = current;
      return g.keys().getClientAliases(keyType, issuers) == null ? null : new String[] {g.alias()};
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      Generation g = current;
      return g.keys().chooseClientAlias(keyType, issuers, socket) == null ? null : g.alias();
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
      Generation g = current;
      return g.keys().chooseEngineClientAlias(keyType, issuers, engine) == null ? null : g.alias();
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      Generation g = current;
      return g.keys().getServerAliases(keyType, issuers) == null ? null : new String[] {g.alias()};
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      Generation g = current;
      return g.keys().chooseServerAlias(keyType, issuers, socket) == null ? null : g.alias();
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
      Generation g = current;
      return g.keys().chooseEngineServerAlias(keyType, issuers, engine) == null ? null : g.alias();
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      Generation g = byAlias(alias);
      return g == null ? null : g.keys().getCertificateChain(SELF);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      Generation g = byAlias(alias);
      return g == null ? null : g.keys().getPrivateKey(SELF);
    }
  }

  private final class DelegatingTrust extends X509ExtendedTrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      current.trust().checkClientTrusted(chain, authType, socket);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      current.trust().checkServerTrusted(chain, authType, socket);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      current.trust().checkClientTrusted(chain, authType, engine);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      current.trust().checkServerTrusted(chain, authType, engine);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      current.trust().checkClientTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      current.trust().checkServerTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return current.trust().getAcceptedIssuers();
    }
  }

  @Override
  public String toString() {
    return "ReloadingTlsMaterial[" + (dir == null ? "fixed" : dir.resolve(name + ".pem")) + "]";
  }

}
