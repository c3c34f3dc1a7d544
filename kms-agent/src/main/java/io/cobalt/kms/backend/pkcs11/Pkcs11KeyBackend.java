package io.cobalt.kms.backend.pkcs11;

import io.cobalt.kms.backend.KeyVersionStore;
import io.cobalt.kms.backend.KeyVersionStore.VersionRecord;
import io.cobalt.kms.keys.KeyBackend;
import io.cobalt.kms.keys.KeyDescription;
import io.cobalt.kms.keys.KeyOperationException;
import io.cobalt.kms.keys.KeyOperationException.Kind;
import io.cobalt.kms.keys.KeyState;
import io.cobalt.kms.keys.KeyVersion;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.Provider;
import java.security.ProviderException;
import java.security.SecureRandom;
import java.security.Security;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * KEKs in a PKCS#11 token through the JDK's SunPKCS11 provider. Each version is its own AES-256
 * token object, generated inside the token as sensitive and non-extractable, labelled
 * {@code <keyId>/v<N>}. DEKs are "wrapped" by AES-256-GCM encryption inside the token
 * ({@code C_Encrypt} with {@code CKM_AES_GCM}, a fresh random 96-bit IV, the caller's associated data,
 * a 128-bit tag): SoftHSM2 offers GCM for encrypt/decrypt only, not for {@code C_WrapKey}, and
 * SunPKCS11 does not register its KW/KWP ciphers for it (research/kms.md §6). The output is the same
 * {@code nonce ‖ ciphertext ‖ tag} as the local backend's.
 *
 * <p>The token cannot express a reversible disable, so version states live in the agent's
 * {@link KeyVersionStore}; destroy deletes the token object ({@code C_DestroyObject}) after recording it.
 * At most {@link Pkcs11Config#maxConcurrentOperations()} token calls run at once.
 *
 * <p>The token is opened on first use, not at start (issue 4: the agent's start must not depend on
 * a customer's HSM): {@link #open} reads only the agent's own key records, so {@link #describe} and
 * {@link #keyIds} answer at once; the first call that needs the token loads the module, logs in and
 * checks that every version not destroyed is in the token. Until that succeeds such calls fail
 * {@code BACKEND_UNAVAILABLE} (retriable: the gateway answers 503), and a failed attempt is retried
 * only after a back-off ({@value #FIRST_RETRY_MILLIS} ms, doubling up to {@value #MAX_RETRY_MILLIS}
 * ms), by the next call that needs the token. Keys of other backends are not affected.
 */
public final class Pkcs11KeyBackend implements KeyBackend, AutoCloseable {
  static final String FORMAT = "cobalt-pkcs11-keys/v1";
  static final int NONCE_BYTES = 12;
  static final int TAG_BYTES = 16;
  private static final int MAX_PIN_BYTES = 256;
  private static final Logger LOG = LoggerFactory.getLogger(Pkcs11KeyBackend.class);
  /** Back-off after the first failed attempt to open the token; doubled after each further failure. */
  static final long FIRST_RETRY_MILLIS = 1_000;
  static final long MAX_RETRY_MILLIS = 60_000;

  private final Pkcs11Config config;
  /** Serializes attempts to open the token; held only while opening. */
  private final ReentrantLock opening = new ReentrantLock();
  /** The open token, or null until an attempt succeeded. */
  private volatile Session session;
  // guarded by opening
  private long nextAttemptMillis = Long.MIN_VALUE;
  private long retryMillis = FIRST_RETRY_MILLIS;
  private volatile String lastFailure = "";
  private final KeyVersionStore versions;
  private final SecureRandom random;
  private final Clock clock;
  private final Semaphore permits;
  private final long waitMillis;
  /** Token key handles by label (no key material: the values are sensitive, non-extractable). */
  private final Map<String, SecretKey> handles = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /** The loaded module and the logged-in token. */
  private record Session(Provider provider, KeyStore token) {}

  private Pkcs11KeyBackend(KeyVersionStore versions, SecureRandom random, Clock clock, Pkcs11Config config) {
    this.config = config;
    this.versions = versions;
    this.random = random;
    this.clock = clock;
    this.permits = new Semaphore(config.maxConcurrentOperations(), true);
    this.waitMillis = config.waitMillis();
  }

  /**
   * Opens the agent's key records ({@code config.metadataFile()}); the token itself is opened on
   * first use (see the class comment).
   *
   * @throws IOException if the records cannot be read, or the module path is not a usable string
   */
  public static Pkcs11KeyBackend open(Pkcs11Config config, SecureRandom random, Clock clock) throws IOException {
    String library = config.libraryPath().toAbsolutePath().toString();
    if (library.contains("\"") || library.contains("\n")) {
      throw new IOException("PKCS#11 module path must not contain quotes or newlines");
    }
    KeyVersionStore versions = KeyVersionStore.open(config.metadataFile(), FORMAT);
    LOG.info("PKCS#11 backend: {} keys on record; the token ({} of {}) is opened on first use",
        versions.all().size(), config.token().describe(), library);
    return new Pkcs11KeyBackend(versions, random, clock, config);
  }

  /** Whether the token has been opened. */
  public boolean tokenOpen() {
    return session != null;
  }

  /**
   * The open token, opening it now if it is not open and its back-off has passed.
   *
   * @throws KeyOperationException BACKEND_UNAVAILABLE while it cannot be opened (the message says
   *     why, never the PIN), or while another thread is opening it for longer than the wait bound
   */
  private Session session() throws KeyOperationException {
    checkOpen();
    Session s = session;
    if (s != null) {
      return s;
    }
    try {
      if (!opening.tryLock(waitMillis, TimeUnit.MILLISECONDS)) {
        throw new KeyOperationException(Kind.BACKEND_UNAVAILABLE, "the PKCS#11 token is being opened");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KeyOperationException(Kind.BACKEND_UNAVAILABLE, "interrupted while waiting for the PKCS#11 token");
    }
    try {
      if (session != null) {
        return session;
      }
      long now = clock.millis();
      if (now < nextAttemptMillis) {
        throw new KeyOperationException(Kind.BACKEND_UNAVAILABLE, "the PKCS#11 token is not open (" + lastFailure
            + "); next attempt in " + (nextAttemptMillis - now) + " ms");
      }
      try {
        Session opened = openToken();
        session = opened;
        retryMillis = FIRST_RETRY_MILLIS;
        lastFailure = "";
        LOG.info("PKCS#11 backend: opened {} of {}, {} keys", config.token().describe(),
            config.libraryPath(), versions.all().size());
        return opened;
      } catch (IOException e) {
        handles.clear();
        lastFailure = e.getMessage();
        nextAttemptMillis = now + retryMillis;
        LOG.warn("PKCS#11 backend: cannot open the token ({}); next attempt in {} ms", lastFailure, retryMillis);
        retryMillis = Math.min(MAX_RETRY_MILLIS, retryMillis * 2);
        throw new KeyOperationException(Kind.BACKEND_UNAVAILABLE, "the PKCS#11 token is not open (" + lastFailure
            + ")");
      }
    } finally {
      opening.unlock();
    }
  }

  /**
   * Loads the PKCS#11 module, logs in to the token with the PIN from {@code config.pinFile()} and
   * checks that every version not destroyed is in the token. Caller holds {@link #opening}.
   */
  private Session openToken() throws IOException {
    String library = config.libraryPath().toAbsolutePath().toString();
    if (!Files.isRegularFile(config.libraryPath())) {
      throw new IOException("PKCS#11 module " + library + " does not exist");
    }
    String slot;
    if (config.token() instanceof TokenSelector.Label l) {
      // A label that names no token, or several, is refused here, naming the setting (a configuration error).
      slot = "slot = " + TokenLabels.slotOf(library, l.label());
    } else {
      slot = "slotListIndex = " + ((TokenSelector.SlotListIndex) config.token()).index();
    }
    Provider provider;
    try {
      provider = Security.getProvider("SunPKCS11").configure(providerConfig(library, slot));
    } catch (ProviderException | IllegalArgumentException e) {
      throw new IOException("cannot load PKCS#11 module " + library + " (" + config.token().describe()
          + "): " + e.getMessage(), e);
    }
    KeyStore token;
    char[] pin = readPin(config);
    try {
      token = KeyStore.getInstance("PKCS11", provider);
      token.load(null, pin);
    } catch (GeneralSecurityException | IOException | ProviderException e) {
      throw new IOException("cannot log in to " + config.token().describe() + " of " + library + ": "
          + e.getMessage());
    } finally {
      Arrays.fill(pin, '\0');
    }
    Session s = new Session(provider, token);
    loadHandles(s);
    return s;
  }

  /**
   * SunPKCS11 configuration: key generation makes token objects that never leave the token.
   *
   * @param slot {@code slotListIndex = N} or {@code slot = ID}
   */
  static String providerConfig(String library, String slot) {
    return "--name = cobalt-kms\n"
        + "library = \"" + library + "\"\n"
        + slot + "\n"
        + "attributes(generate, CKO_SECRET_KEY, CKK_AES) = {\n"
        + "  CKA_TOKEN = true\n"
        + "  CKA_PRIVATE = true\n"
        + "  CKA_SENSITIVE = true\n"
        + "  CKA_EXTRACTABLE = false\n"
        + "  CKA_ENCRYPT = true\n"
        + "  CKA_DECRYPT = true\n"
        + "  CKA_WRAP = false\n"
        + "  CKA_UNWRAP = false\n"
        + "}\n";
  }

  private static char[] readPin(Pkcs11Config config) throws IOException {
    if (!Files.isRegularFile(config.pinFile())) {
      throw new IOException("PIN file " + config.pinFile() + " does not exist");
    }
    if (Files.size(config.pinFile()) > MAX_PIN_BYTES) {
      throw new IOException("PIN file " + config.pinFile() + " is longer than " + MAX_PIN_BYTES + " bytes");
    }
    byte[] raw = Files.readAllBytes(config.pinFile());
    try {
      int n = raw.length;
      while (n > 0 && (raw[n - 1] == '\n' || raw[n - 1] == '\r')) {
        n--;
      }
      CharBuffer chars = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(raw, 0, n));
      char[] pin = new char[chars.remaining()];
      chars.get(pin);
      Arrays.fill(chars.array(), '\0');
      return pin;
    } finally {
      Arrays.fill(raw, (byte) 0);
    }
  }

  private void loadHandles(Session s) throws IOException {
    KeyStore token = s.token();
    for (Map.Entry<String, List<VersionRecord>> e : versions.all().entrySet()) {
      for (VersionRecord v : e.getValue()) {
        try {
          if (v.state() == KeyState.DESTROYED) {
            if (token.containsAlias(v.reference())) {
              token.deleteEntry(v.reference());
              LOG.info("removed token object {} of a destroyed version", v.reference());
            }
            continue;
          }
          Key k = token.getKey(v.reference(), null);
          if (!(k instanceof SecretKey sk)) {
            throw new IOException("the PKCS#11 token has no secret key " + v.reference() + " (key " + e.getKey()
                + " version " + v.version() + "): wrong token or the object was deleted");
          }
          handles.put(v.reference(), sk);
        } catch (GeneralSecurityException | ProviderException ex) {
          throw new IOException("cannot read token object " + v.reference() + ": " + ex.getMessage());
        }
      }
    }
  }

  static String label(String keyId, int version) {
    return keyId + "/v" + version;
  }

  @Override
  public Optional<KeyDescription> describe(String keyId) {
    return versions.describe(keyId);
  }

  @Override
  public java.util.Set<String> keyIds() {
    return versions.all().keySet();
  }

  @Override
  public boolean createIfAbsent(String keyId) throws KeyOperationException {
    if (versions.contains(keyId)) {
      return false;
    }
    session(); // opened outside the write lock
    synchronized (versions.writeLock()) {
      checkOpen();
      if (versions.contains(keyId)) {
        return false;
      }
      addVersion(keyId);
      return true;
    }
  }

  @Override
  public KeyVersion rotate(String keyId) throws KeyOperationException {
    session(); // opened outside the write lock
    synchronized (versions.writeLock()) {
      checkOpen();
      if (!versions.contains(keyId)) {
        throw new KeyOperationException(Kind.UNKNOWN_KEY, "no key " + keyId);
      }
      return addVersion(keyId).toKeyVersion();
    }
  }

  /** Caller holds the write lock. Generates the key in the token first, then records it. */
  private VersionRecord addVersion(String keyId) throws KeyOperationException {
    int version = versions.nextVersion(keyId);
    String label = label(keyId, version);
    Session s = session();
    KeyStore token = s.token();
    SecretKey key = withPermit(() -> {
      KeyGenerator g = KeyGenerator.getInstance("AES", s.provider());
      g.init(256);
      SecretKey generated = g.generateKey();
      token.setEntry(label, new KeyStore.SecretKeyEntry(generated), null);
      return (SecretKey) token.getKey(label, null);
    });
    if (key == null) {
      throw new KeyOperationException(Kind.BACKEND_UNAVAILABLE, "the token did not keep key " + label);
    }
    handles.put(label, key);
    VersionRecord added = versions.addVersion(keyId, version, clock.millis(), label);
    LOG.info("created key {} version {} in the token", keyId, version);
    return added;
  }

  @Override
  public KeyVersion setState(String keyId, int version, KeyState state) throws KeyOperationException {
    if (state != KeyState.ENABLED && state != KeyState.DISABLED) {
      throw new KeyOperationException(Kind.INVALID_STATE_CHANGE, "a version can only be set ENABLED or DISABLED");
    }
    synchronized (versions.writeLock()) {
      checkOpen();
      VersionRecord v = versions.get(keyId, version);
      if (v.state() == KeyState.DESTROYED) {
        throw new KeyOperationException(Kind.KEY_DESTROYED, "key " + keyId + " version " + version + " was destroyed");
      }
      VersionRecord changed = versions.changeState(keyId, version, state);
      LOG.info("key {} version {} is {}", keyId, version, state);
      return changed.toKeyVersion();
    }
  }

  @Override
  public KeyVersion destroy(String keyId, int version) throws KeyOperationException {
    synchronized (versions.writeLock()) {
      checkOpen();
      VersionRecord v = versions.get(keyId, version);
      Session s = v.state() == KeyState.DESTROYED ? session : session();
      if (v.state() == KeyState.ENABLED) {
        throw new KeyOperationException(Kind.INVALID_STATE_CHANGE,
            "key " + keyId + " version " + version + " is enabled; disable it before destroying it");
      }
      VersionRecord destroyed = versions.changeState(keyId, version, KeyState.DESTROYED);
      handles.remove(v.reference());
      // Recorded first: if the token call fails, the version is unusable already and a retry (or the
      // next start) removes the token object.
      if (s != null) {
        withPermit(() -> {
          if (s.token().containsAlias(v.reference())) {
            s.token().deleteEntry(v.reference());
          }
          return null;
        });
      }
      LOG.info("destroyed key {} version {} (token object {})", keyId, version, v.reference());
      return destroyed.toKeyVersion();
    }
  }

  @Override
  public byte[] encrypt(String keyId, int version, byte[] plaintext, byte[] associatedData)
      throws KeyOperationException {
    Session s = session();
    SecretKey key = handle(keyId, version);
    byte[] nonce = new byte[NONCE_BYTES];
    random.nextBytes(nonce);
    byte[] sealed = withPermit(() -> {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding", s.provider());
      c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BYTES * 8, nonce));
      c.updateAAD(associatedData);
      return c.doFinal(plaintext);
    });
    if (sealed.length != plaintext.length + TAG_BYTES) {
      throw new KeyOperationException(Kind.INTERNAL, "unexpected AES-GCM output length from the token");
    }
    byte[] out = new byte[NONCE_BYTES + sealed.length];
    System.arraycopy(nonce, 0, out, 0, NONCE_BYTES);
    System.arraycopy(sealed, 0, out, NONCE_BYTES, sealed.length);
    return out;
  }

  @Override
  public byte[] decrypt(String keyId, int version, byte[] ciphertext, byte[] associatedData)
      throws KeyOperationException {
    Session s = session();
    SecretKey key = handle(keyId, version);
    if (ciphertext.length < NONCE_BYTES + TAG_BYTES) {
      throw notAuthentic(keyId, version);
    }
    try {
      return withPermit(() -> {
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding", s.provider());
        c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BYTES * 8, ciphertext, 0, NONCE_BYTES));
        c.updateAAD(associatedData);
        return c.doFinal(ciphertext, NONCE_BYTES, ciphertext.length - NONCE_BYTES);
      });
    } catch (BadTag e) {
      throw notAuthentic(keyId, version);
    }
  }

  private static KeyOperationException notAuthentic(String keyId, int version) {
    return new KeyOperationException(Kind.NOT_AUTHENTIC,
        "wrapped key does not authenticate under " + keyId + " version " + version);
  }

  private SecretKey handle(String keyId, int version) throws KeyOperationException {
    checkOpen();
    VersionRecord v = versions.usable(keyId, version);
    SecretKey key = handles.get(v.reference());
    if (key == null) {
      throw new KeyOperationException(Kind.BACKEND_UNAVAILABLE, "the token has no object " + v.reference());
    }
    return key;
  }

  /** A token call; bounded by the permits. SunPKCS11's own failures become BACKEND_UNAVAILABLE. */
  private <T> T withPermit(TokenCall<T> call) throws KeyOperationException {
    try {
      if (!permits.tryAcquire(waitMillis, TimeUnit.MILLISECONDS)) {
        throw new KeyOperationException(Kind.BACKEND_UNAVAILABLE,
            "the PKCS#11 token is busy (all permits in use for " + waitMillis + " ms)");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KeyOperationException(Kind.BACKEND_UNAVAILABLE, "interrupted while waiting for the PKCS#11 token");
    }
    try {
      return call.run();
    } catch (AEADBadTagException e) {
      throw new BadTag();
    } catch (GeneralSecurityException | ProviderException e) {
      LOG.warn("PKCS#11 token call failed: {}", e.toString());
      throw new KeyOperationException(Kind.BACKEND_UNAVAILABLE, "the PKCS#11 token call failed");
    } finally {
      permits.release();
    }
  }

  @FunctionalInterface
  private interface TokenCall<T> {
    T run() throws GeneralSecurityException;
  }

  /** A failed GCM tag inside {@link #withPermit}; unchecked so that it passes through, no stack trace. */
  private static final class BadTag extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BadTag() {
      super("bad tag", null, false, false);
    }
  }

  private void checkOpen() throws KeyOperationException {
    if (closed) {
      throw new KeyOperationException(Kind.BACKEND_UNAVAILABLE, "the PKCS#11 backend is closed");
    }
  }

  /**
   * Forgets the token handles. The token login is the process's (PKCS#11 logins are per application),
   * so it is not logged out here; it ends with the process.
   */
  @Override
  public void close() {
    closed = true;
    handles.clear();
  }

  @Override
  public String toString() {
    Session s = session;
    return "Pkcs11KeyBackend[" + (s == null ? "token not open" : s.provider().getName()) + "]";
  }
}
