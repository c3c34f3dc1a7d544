package io.cobalt.kms.backend.kmip;

import io.cobalt.kms.backend.KeyVersionStore;
import io.cobalt.kms.backend.KeyVersionStore.VersionRecord;
import io.cobalt.kms.keys.KeyBackend;
import io.cobalt.kms.keys.KeyDescription;
import io.cobalt.kms.keys.KeyOperationException;
import io.cobalt.kms.keys.KeyOperationException.Kind;
import io.cobalt.kms.keys.KeyState;
import io.cobalt.kms.keys.KeyVersion;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * KEKs on a KMIP 1.4 server (PyKMIP in tests). Each version is its own AES-256 symmetric key object,
 * created and activated on the server, named {@code <keyId>/v<N>}; the agent records its unique
 * identifier. DEKs are wrapped by the server's AES-GCM Encrypt (our random 96-bit IV, the associated
 * data as KMIP "Authenticated Encryption Additional Data", a 16-byte tag) and unwrapped by Decrypt:
 * the key never leaves the server and the agent never sees it. The output is the same
 * {@code nonce ‖ ciphertext ‖ tag} as the other backends'.
 *
 * <p>KMIP's Revoke is final (a revoked key never encrypts again), so DISABLED is kept in the agent's
 * {@link KeyVersionStore}, as for PKCS#11; destroy records DESTROYED, then Revokes (cessation of
 * operation) and Destroys the object on the server. The agent's start-up does not contact the server.
 *
 * <p>A Decrypt that fails with Cryptographic Failure is NOT_AUTHENTIC. PyKMIP 0.10 reports a GCM tag
 * mismatch as General Failure instead; then one Get Attributes tells whether the key is there and
 * Active (NOT_AUTHENTIC) or the server is in trouble (BACKEND_UNAVAILABLE, retriable).
 */
public final class KmipKeyBackend implements KeyBackend, AutoCloseable {
  static final String FORMAT = "cobalt-kmip-keys/v1";
  static final int NONCE_BYTES = 12;
  static final int TAG_BYTES = 16;
  private static final Logger LOG = LoggerFactory.getLogger(KmipKeyBackend.class);

  private final KmipClient client;
  private final KeyVersionStore versions;
  private final SecureRandom random;
  private final Clock clock;

  private KmipKeyBackend(KmipClient client, KeyVersionStore versions, SecureRandom random, Clock clock) {
    this.client = client;
    this.versions = versions;
    this.random = random;
    this.clock = clock;
  }

  public static KmipKeyBackend open(KmipConfig config, SecureRandom random, Clock clock) throws IOException {
    KeyVersionStore versions = KeyVersionStore.open(config.metadataFile(), FORMAT);
    LOG.info("KMIP backend: server {}:{}, {} keys", config.host(), config.port(), versions.all().size());
    return new KmipKeyBackend(new KmipClient(config, random), versions, random, clock);
  }

  static String name(String keyId, int version) {
    return keyId + "/v" + version;
  }

  /** The server's unique identifier of a version (tests). */
  String uniqueIdentifier(String keyId, int version) throws KeyOperationException {
    return versions.get(keyId, version).reference();
  }

  KmipClient client() {
    return client;
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
    synchronized (versions.writeLock()) {
      if (versions.contains(keyId)) {
        return false;
      }
      addVersion(keyId);
      return true;
    }
  }

  @Override
  public KeyVersion rotate(String keyId) throws KeyOperationException {
    synchronized (versions.writeLock()) {
      if (!versions.contains(keyId)) {
        throw new KeyOperationException(Kind.UNKNOWN_KEY, "no key " + keyId);
      }
      return addVersion(keyId).toKeyVersion();
    }
  }

  /** Caller holds the write lock. Creates and activates the key on the server, then records it. */
  private VersionRecord addVersion(String keyId) throws KeyOperationException {
    int version = versions.nextVersion(keyId);
    String uid;
    try {
      uid = client.create(name(keyId, version));
      client.activate(uid);
    } catch (IOException | KmipException e) {
      throw unavailable("create", keyId, version, e);
    }
    VersionRecord added = versions.addVersion(keyId, version, clock.millis(), uid);
    LOG.info("created key {} version {} on the KMIP server (unique identifier {})", keyId, version, uid);
    return added;
  }

  @Override
  public KeyVersion setState(String keyId, int version, KeyState state) throws KeyOperationException {
    if (state != KeyState.ENABLED && state != KeyState.DISABLED) {
      throw new KeyOperationException(Kind.INVALID_STATE_CHANGE, "a version can only be set ENABLED or DISABLED");
    }
    synchronized (versions.writeLock()) {
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
      VersionRecord v = versions.get(keyId, version);
      if (v.state() == KeyState.ENABLED) {
        throw new KeyOperationException(Kind.INVALID_STATE_CHANGE,
            "key " + keyId + " version " + version + " is enabled; disable it before destroying it");
      }
      boolean already = v.state() == KeyState.DESTROYED;
      VersionRecord destroyed = versions.changeState(keyId, version, KeyState.DESTROYED);
      if (!already) {
        // Recorded first: if the server call fails the version is unusable already; destroy again to retry.
        destroyOnServer(keyId, version, v.reference());
      }
      return destroyed.toKeyVersion();
    }
  }

  private void destroyOnServer(String keyId, int version, String uid) throws KeyOperationException {
    try {
      try {
        client.revoke(uid);
      } catch (KmipException e) {
        if (e.resultReason() == KmipTags.REASON_ITEM_NOT_FOUND) {
          return;
        }
        LOG.warn("KMIP Revoke of {} failed before Destroy: {}", uid, e.getMessage());
      }
      client.destroy(uid);
      LOG.info("destroyed key {} version {} on the KMIP server (unique identifier {})", keyId, version, uid);
    } catch (KmipException e) {
      if (e.resultReason() != KmipTags.REASON_ITEM_NOT_FOUND) {
        throw unavailable("destroy", keyId, version, e);
      }
    } catch (IOException e) {
      throw unavailable("destroy", keyId, version, e);
    }
  }

  @Override
  public byte[] encrypt(String keyId, int version, byte[] plaintext, byte[] associatedData)
      throws KeyOperationException {
    VersionRecord v = versions.usable(keyId, version);
    byte[] nonce = new byte[NONCE_BYTES];
    random.nextBytes(nonce);
    KmipClient.Sealed sealed;
    try {
      sealed = client.encrypt(v.reference(), nonce, plaintext, associatedData);
    } catch (KmipException e) {
      throw refusal("encrypt", keyId, version, e);
    } catch (IOException e) {
      throw unavailable("encrypt", keyId, version, e);
    }
    if (sealed.ciphertext().length != plaintext.length || sealed.tag().length != TAG_BYTES) {
      throw new KeyOperationException(Kind.INTERNAL, "unexpected AES-GCM output lengths from the KMIP server");
    }
    byte[] out = new byte[NONCE_BYTES + plaintext.length + TAG_BYTES];
    System.arraycopy(nonce, 0, out, 0, NONCE_BYTES);
    System.arraycopy(sealed.ciphertext(), 0, out, NONCE_BYTES, plaintext.length);
    System.arraycopy(sealed.tag(), 0, out, NONCE_BYTES + plaintext.length, TAG_BYTES);
    return out;
  }

  @Override
  public byte[] decrypt(String keyId, int version, byte[] ciphertext, byte[] associatedData)
      throws KeyOperationException {
    VersionRecord v = versions.usable(keyId, version);
    if (ciphertext.length < NONCE_BYTES + TAG_BYTES) {
      throw notAuthentic(keyId, version);
    }
    byte[] nonce = Arrays.copyOfRange(ciphertext, 0, NONCE_BYTES);
    byte[] body = Arrays.copyOfRange(ciphertext, NONCE_BYTES, ciphertext.length - TAG_BYTES);
    byte[] tag = Arrays.copyOfRange(ciphertext, ciphertext.length - TAG_BYTES, ciphertext.length);
    try {
      return client.decrypt(v.reference(), nonce, body, associatedData, tag);
    } catch (KmipException e) {
      if (e.resultReason() == KmipTags.REASON_CRYPTOGRAPHIC_FAILURE) {
        throw notAuthentic(keyId, version);
      }
      if (e.resultReason() == KmipTags.REASON_GENERAL_FAILURE && activeOnServer(v.reference())) {
        // PyKMIP 0.10 answers a GCM tag mismatch with General Failure, not Cryptographic Failure.
        // The key is there and active, so the failure is the ciphertext's or the context's.
        throw notAuthentic(keyId, version);
      }
      throw refusal("decrypt", keyId, version, e);
    } catch (IOException e) {
      throw unavailable("decrypt", keyId, version, e);
    }
  }

  /** One Get Attributes round trip: does the server answer and hold {@code uid} as Active? */
  private boolean activeOnServer(String uid) {
    try {
      return client.state(uid) == KmipTags.STATE_ACTIVE;
    } catch (IOException | KmipException e) {
      return false;
    }
  }

  private static KeyOperationException notAuthentic(String keyId, int version) {
    return new KeyOperationException(Kind.NOT_AUTHENTIC,
        "wrapped key does not authenticate under " + keyId + " version " + version);
  }

  /** The server refused: an object it no longer has is destroyed; anything else is the server's trouble. */
  private static KeyOperationException refusal(String op, String keyId, int version, KmipException e) {
    if (e.resultReason() == KmipTags.REASON_ITEM_NOT_FOUND) {
      LOG.error("the KMIP server has no object for key {} version {} ({})", keyId, version, e.getMessage());
      return new KeyOperationException(Kind.KEY_DESTROYED,
          "the KMIP server no longer has key " + keyId + " version " + version);
    }
    return unavailable(op, keyId, version, e);
  }

  private static KeyOperationException unavailable(String op, String keyId, int version, Exception e) {
    LOG.warn("KMIP {} for key {} version {} failed: {}", op, keyId, version, e.getMessage());
    return new KeyOperationException(Kind.BACKEND_UNAVAILABLE, "the KMIP server did not " + op + " (" + keyId
        + " version " + version + ")");
  }

  @Override
  public void close() {
    client.close();
  }

  @Override
  public String toString() {
    return "KmipKeyBackend[" + client + "]";
  }
}
