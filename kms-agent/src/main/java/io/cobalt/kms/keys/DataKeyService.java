package io.cobalt.kms.keys;

import io.cobalt.crypto.key.DataKey;
import io.cobalt.kms.audit.AuditEvent;
import io.cobalt.kms.audit.AuditEvent.Outcome;
import io.cobalt.kms.audit.AuditLog;
import io.cobalt.kms.audit.KeyOperation;
import io.cobalt.kms.keys.KeyOperationException.Kind;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Data keys under per-account KEKs: generate, unwrap, describe, rotate. Every call writes exactly
 * one audit record for its own operation (plus CREATE_KEY when it creates an account's key) before
 * it returns; if that record cannot be written the call fails with {@link Kind#AUDIT_UNAVAILABLE}
 * and no key leaves it. Callers have been authorized already (see the policy package).
 */
public final class DataKeyService {
  private static final Logger LOG = LoggerFactory.getLogger(DataKeyService.class);
  private static final String DEK_AAD_LABEL = "cobalt/dek/v1";

  private final KeyBackend backend;
  private final AuditLog audit;
  private final SecureRandom random;
  private final LongSupplier nanoTicker;

  /** Told before a new DEK is wrapped under a version; may refuse (then no DEK is made). */
  @FunctionalInterface
  public interface GenerationListener {
    void generating(String keyId, int version) throws KeyOperationException;
  }

  private final GenerationListener generations;
  private final KeySourceResolver sources;

  public DataKeyService(KeyBackend backend, AuditLog audit, SecureRandom random, LongSupplier nanoTicker) {
    this(backend, audit, random, nanoTicker, (k, v) -> { });
  }

  public DataKeyService(KeyBackend backend, AuditLog audit, SecureRandom random, LongSupplier nanoTicker,
      GenerationListener generations) {
    this(backend, audit, random, nanoTicker, generations, KeySourceResolver.SERVICE_MANAGED);
  }

  /** @param sources the key source of each account and scope (ADR 0031): where their new DEKs are wrapped */
  public DataKeyService(KeyBackend backend, AuditLog audit, SecureRandom random, LongSupplier nanoTicker,
      GenerationListener generations, KeySourceResolver sources) {
    this.sources = Objects.requireNonNull(sources);
    this.generations = Objects.requireNonNull(generations);
    this.backend = Objects.requireNonNull(backend);
    this.audit = Objects.requireNonNull(audit);
    this.random = Objects.requireNonNull(random);
    this.nanoTicker = Objects.requireNonNull(nanoTicker);
  }

  /**
   * A fresh DEK wrapped under the newest enabled version of {@code account}'s KEK, which is created
   * (version 1) on first use.
   */
  public GeneratedDataKey generateDataKey(CallerContext ctx, String account) throws KeyOperationException {
    return generateDataKey(ctx, account, null);
  }

  /**
   * A fresh DEK for {@code account} wrapped under the newest enabled version of {@code keyId}; null
   * (or empty) means the account's service-managed key, created on first use. A customer-managed key
   * must exist. An {@code account/...} key id must be the account's own. If the account (or the
   * scope that {@code keyId} names) has a customer key as its key source (ADR 0031), the DEK is
   * wrapped under that key's pinned or newest enabled version instead, and the wrapped key names it.
   */
  public GeneratedDataKey generateDataKey(CallerContext ctx, String account, String keyId) throws KeyOperationException {
    String usedKey = null;
    Integer version = null;
    try {
      String accountKey = AccountKeyId.forAccount(account).value();
      boolean accountOwn = keyId == null || keyId.isEmpty();
      usedKey = accountOwn ? accountKey : KeyId.parse(keyId).value();
      if (!accountOwn && usedKey.startsWith(AccountKeyId.PREFIX) && !usedKey.equals(accountKey)
          && !usedKey.startsWith(accountKey + KeyId.SCOPE_INFIX)) {
        throw new KeyOperationException(Kind.WRONG_KEY, "key " + usedKey + " is not the key of account " + account);
      }
      Target t = usedKey.startsWith(AccountKeyId.PREFIX) ? target(ctx, account, usedKey) : newest(usedKey);
      usedKey = t.keyId();
      String id = usedKey;
      version = t.version();
      generations.generating(id, version);
      DataKey dek = DataKey.generate(random);
      byte[] plain = dek.copyBytes();
      byte[] ciphertext;
      try {
        ciphertext = backend.encrypt(id, version, plain, dekAad(account, id, version));
      } catch (KeyOperationException | RuntimeException e) {
        dek.close();
        throw e;
      } finally {
        Arrays.fill(plain, (byte) 0);
      }
      GeneratedDataKey out = new GeneratedDataKey(dek, new WrappedDataKey(id, version, ciphertext));
      try {
        record(ctx, KeyOperation.GENERATE_DEK, id, version, account, null);
      } catch (KeyOperationException e) {
        out.close();
        throw e;
      }
      return out;
    } catch (KeyOperationException e) {
      throw recorded(ctx, KeyOperation.GENERATE_DEK, usedKey, version, account, e);
    } catch (RuntimeException e) {
      throw recorded(ctx, KeyOperation.GENERATE_DEK, usedKey, version, account, internal(e));
    }
  }

  /**
   * The DEK inside {@code wrapped}, if it was wrapped for {@code account} under the named key and
   * version (the account's own key, or a customer-managed key), and every bit of it is intact.
   */
  public DataKey unwrap(CallerContext ctx, String account, WrappedDataKey wrapped) throws KeyOperationException {
    String[] keyId = new String[1];
    Integer version = wrapped == null ? null : wrapped.keyVersion();
    try {
      DataKey dek = open(account, wrapped, keyId);
      try {
        record(ctx, KeyOperation.UNWRAP, keyId[0], version, account, null);
      } catch (KeyOperationException e) {
        dek.close();
        throw e;
      }
      return dek;
    } catch (KeyOperationException e) {
      throw recorded(ctx, KeyOperation.UNWRAP, keyId[0], keyId[0] == null ? null : version, account, e);
    } catch (RuntimeException e) {
      throw recorded(ctx, KeyOperation.UNWRAP, keyId[0], keyId[0] == null ? null : version, account, internal(e));
    }
  }

  /**
   * The DEK inside {@code wrapped}, wrapped again under the newest enabled version of the same key.
   * The plaintext never leaves this method. The audit record names the new version.
   */
  public WrappedDataKey rewrap(CallerContext ctx, String account, WrappedDataKey wrapped) throws KeyOperationException {
    return rewrap(ctx, account, wrapped, null);
  }

  /**
   * The DEK inside {@code wrapped}, wrapped again under the current key source of its owner
   * {@code ownerKeyId} (the account's key id or one of its scopes'; ADR 0031): the customer key's
   * pinned or newest version, or the owner's own key's newest version — possibly another key than
   * the one {@code wrapped} names. Null or empty owner: the newest version of the same key. The
   * plaintext never leaves this method. The audit record names the new key and version.
   */
  public WrappedDataKey rewrap(CallerContext ctx, String account, WrappedDataKey wrapped, String ownerKeyId)
      throws KeyOperationException {
    String[] keyId = new String[1];
    Integer version = null;
    try {
      try (DataKey dek = open(account, wrapped, keyId)) {
        Target t;
        if (ownerKeyId == null || ownerKeyId.isEmpty()) {
          t = newest(keyId[0]);
        } else {
          String owner = KeyId.parse(ownerKeyId).value();
          String accountKey = AccountKeyId.forAccount(account).value();
          if (!owner.equals(accountKey) && !owner.startsWith(accountKey + KeyId.SCOPE_INFIX)) {
            throw new KeyOperationException(Kind.WRONG_KEY, "owner " + owner + " is not account " + account
                + " or one of its scopes");
          }
          t = target(ctx, account, owner);
          keyId[0] = t.keyId();
        }
        version = t.version();
        generations.generating(keyId[0], version);
        byte[] plain = dek.copyBytes();
        byte[] ciphertext;
        try {
          ciphertext = backend.encrypt(keyId[0], version, plain, dekAad(account, keyId[0], version));
        } finally {
          Arrays.fill(plain, (byte) 0);
        }
        record(ctx, KeyOperation.REWRAP, keyId[0], version, account, null);
        return new WrappedDataKey(keyId[0], version, ciphertext);
      }
    } catch (KeyOperationException e) {
      throw recorded(ctx, KeyOperation.REWRAP, keyId[0], version, account, e);
    } catch (RuntimeException e) {
      throw recorded(ctx, KeyOperation.REWRAP, keyId[0], version, account, internal(e));
    }
  }

  /** A key id and the version to wrap under. */
  private record Target(String keyId, int version) {}

  /** The newest enabled version of {@code keyId}. */
  private Target newest(String keyId) throws KeyOperationException {
    KeyDescription desc = backend.describe(keyId)
        .orElseThrow(() -> new KeyOperationException(Kind.UNKNOWN_KEY, "no key " + keyId));
    OptionalInt primary = desc.primaryVersion();
    if (primary.isEmpty()) {
      throw new KeyOperationException(Kind.KEY_DISABLED, "key " + desc.keyId() + " has no enabled version");
    }
    return new Target(keyId, primary.getAsInt());
  }

  /**
   * Where {@code owner}'s new DEKs go now (ADR 0031): its customer key (pinned version, which must be
   * enabled, or newest enabled version), else its own key (the account's is created on first use).
   */
  private Target target(CallerContext ctx, String account, String owner) throws KeyOperationException {
    java.util.Optional<KeySourceResolver.CustomerKeyRef> cmk = sources.customerKey(owner);
    if (cmk.isEmpty()) {
      if (owner.equals(AccountKeyId.forAccount(account).value())) {
        ensureKey(ctx, owner, account);
      }
      return newest(owner);
    }
    String keyId = cmk.get().keyId();
    int pinned = cmk.get().version();
    if (pinned == 0) {
      return newest(keyId);
    }
    KeyDescription desc = backend.describe(keyId)
        .orElseThrow(() -> new KeyOperationException(Kind.UNKNOWN_KEY, "no key " + keyId));
    if (pinned > desc.versions().size()) {
      throw new KeyOperationException(Kind.UNKNOWN_KEY_VERSION, "key " + keyId + " has no version " + pinned);
    }
    KeyState state = desc.versions().get(pinned - 1).state();
    if (state != KeyState.ENABLED) {
      throw new KeyOperationException(state == KeyState.DESTROYED ? Kind.KEY_DESTROYED : Kind.KEY_DISABLED,
          "key " + keyId + " version " + pinned + " (pinned by " + owner + ") is " + state);
    }
    return new Target(keyId, pinned);
  }

  /** Checks and unwraps; sets {@code keyIdOut[0]} once the key id is known to be well formed. Not audited. */
  private DataKey open(String account, WrappedDataKey wrapped, String[] keyIdOut) throws KeyOperationException {
    String expected = AccountKeyId.forAccount(account).value();
    if (wrapped == null) {
      throw new KeyOperationException(Kind.MALFORMED_WRAPPED_KEY, "no wrapped key given");
    }
    String keyId = KeyId.parse(wrapped.keyId()).value();
    keyIdOut[0] = keyId;
    int version = wrapped.keyVersion();
    if (keyId.startsWith(AccountKeyId.PREFIX) && !keyId.equals(expected)
        && !keyId.startsWith(expected + KeyId.SCOPE_INFIX)) {
      throw new KeyOperationException(Kind.WRONG_KEY,
          "wrapped key names key " + keyId + ", not " + expected + " of account " + account);
    }
    byte[] ct = wrapped.ciphertext();
    if (ct.length != WrappedDataKey.CIPHERTEXT_LENGTH) {
      throw new KeyOperationException(Kind.MALFORMED_WRAPPED_KEY,
          "wrapped key ciphertext must be " + WrappedDataKey.CIPHERTEXT_LENGTH + " bytes, not " + ct.length);
    }
    if (version < 1) {
      throw new KeyOperationException(Kind.UNKNOWN_KEY_VERSION, "key " + keyId + " has no version " + version);
    }
    byte[] plain = backend.decrypt(keyId, version, ct, dekAad(account, keyId, version));
    try {
      if (plain.length != DataKey.LENGTH_BYTES) {
        throw new KeyOperationException(Kind.NOT_AUTHENTIC, "wrapped key does not hold a data key");
      }
      return DataKey.of(plain);
    } finally {
      Arrays.fill(plain, (byte) 0);
    }
  }

  /** The versions and states of a key (no key material). */
  public KeyDescription describe(CallerContext ctx, String keyId) throws KeyOperationException {
    String validId = null;
    String account = null;
    try {
      KeyId id = KeyId.parse(keyId);
      validId = id.value();
      account = id.account();
      KeyDescription desc = backend.describe(validId)
          .orElseThrow(() -> new KeyOperationException(Kind.UNKNOWN_KEY, "no key " + keyId));
      record(ctx, KeyOperation.GET_KEY, validId, desc.primaryVersion().isPresent() ? desc.primaryVersion().getAsInt() : null,
          account, null);
      return desc;
    } catch (KeyOperationException e) {
      throw recorded(ctx, KeyOperation.GET_KEY, validId, null, account, e);
    } catch (RuntimeException e) {
      throw recorded(ctx, KeyOperation.GET_KEY, validId, null, account, internal(e));
    }
  }

  /** Adds a version to {@code keyId}; new data keys use it at once, older versions still unwrap. */
  public KeyVersion rotate(CallerContext ctx, String keyId) throws KeyOperationException {
    String validId = null;
    String account = null;
    try {
      KeyId id = KeyId.parse(keyId);
      validId = id.value();
      account = id.account();
      KeyVersion v = backend.rotate(validId);
      record(ctx, KeyOperation.ROTATE, validId, v.version(), account, null);
      return v;
    } catch (KeyOperationException e) {
      throw recorded(ctx, KeyOperation.ROTATE, validId, null, account, e);
    } catch (RuntimeException e) {
      throw recorded(ctx, KeyOperation.ROTATE, validId, null, account, internal(e));
    }
  }

  private void ensureKey(CallerContext ctx, String keyId, String account) throws KeyOperationException {
    if (backend.describe(keyId).isPresent()) {
      return;
    }
    boolean created;
    try {
      created = backend.createIfAbsent(keyId);
    } catch (KeyOperationException e) {
      throw recorded(ctx, KeyOperation.CREATE_KEY, keyId, null, account, e);
    }
    if (created) {
      record(ctx, KeyOperation.CREATE_KEY, keyId, 1, account, null);
    }
  }

  static byte[] dekAad(String account, String keyId, int version) {
    return AssociatedData.label(DEK_AAD_LABEL).text(account).text(keyId).uint32(version).toBytes();
  }

  private static KeyOperationException internal(RuntimeException e) {
    LOG.error("unexpected failure in a key operation", e);
    return new KeyOperationException(Kind.INTERNAL, "internal error");
  }

  /** Records a successful operation; a failed audit write fails the operation. */
  private void record(CallerContext ctx, KeyOperation op, String keyId, Integer version, String account,
      KeyOperationException failure) throws KeyOperationException {
    Outcome outcome = failure == null ? Outcome.OK
        : failure.kind() == Kind.PERMISSION_DENIED ? Outcome.DENIED : Outcome.ERROR;
    String code = failure == null ? "OK" : failure.kind().name();
    try {
      audit.append(new AuditEvent(ctx.requestId(), ctx.caller(), op, keyId, version, outcome, code,
          nanoTicker.getAsLong() - ctx.startNanos(), AccountKeyId.isValidAccount(account) ? account : null));
    } catch (IOException e) {
      LOG.error("audit write failed; failing {}: {}", op, e.toString());
      throw new KeyOperationException(Kind.AUDIT_UNAVAILABLE, "the audit log cannot be written; operation refused");
    }
  }

  /**
   * Records a failed operation and returns what the caller should see: the failure itself, or
   * AUDIT_UNAVAILABLE if even the record of the failure could not be written. A failure that is
   * already an audit failure is not recorded again.
   */
  private KeyOperationException recorded(CallerContext ctx, KeyOperation op, String keyId, Integer version,
      String account, KeyOperationException failure) {
    if (failure.kind() == Kind.AUDIT_UNAVAILABLE) {
      return failure;
    }
    try {
      record(ctx, op, keyId, version, account, failure);
      return failure;
    } catch (KeyOperationException auditFailure) {
      return auditFailure;
    }
  }
}
