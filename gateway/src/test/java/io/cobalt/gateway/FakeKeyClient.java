package io.cobalt.gateway;

import com.google.protobuf.ByteString;
import io.cobalt.crypto.key.DataKey;
import io.cobalt.gateway.encryption.GeneratedKey;
import io.cobalt.gateway.encryption.KeyClient;
import io.cobalt.gateway.encryption.KeyRefusedException;
import io.cobalt.gateway.encryption.KeyStatus;
import io.cobalt.gateway.nodeclient.BackendUnavailableException;
import io.cobalt.proto.kms.v1.WrappedKey;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A kms-agent that really wraps: one random KEK per account, DEKs wrapped with AES-256-GCM whose
 * associated data binds account, key id and version — so a wrapped key presented for another
 * account, or with a flipped bit, is refused as the real agent refuses it. Completes on its own
 * executor, as gRPC would.
 */
final class FakeKeyClient implements KeyClient {
  private final SecureRandom random;
  private final Executor executor;
  private final Map<String, byte[]> keks = new ConcurrentHashMap<>();
  final AtomicInteger generated = new AtomicInteger();
  final AtomicInteger unwrapped = new AtomicInteger();
  final AtomicInteger described = new AtomicInteger();
  /** While set, every call fails as the agent fails with this kind; see {@link #refuseWith}. */
  private volatile String refusal;

  /**
   * From now on every generate and unwrap fails as the real agent fails with {@code agentKind}
   * (its {@code cobalt-kms-code}, e.g. KEY_DISABLED): a {@link KeyRefusedException} built by the
   * same mapping as {@code KeyAgentClient}'s, or, for UNAVAILABLE, a retriable
   * {@link BackendUnavailableException}. Null accepts again.
   */
  void refuseWith(String agentKind) {
    refusal = agentKind;
  }

  /** The customer key source GetKey names for every account's own key ("" = service-managed; ADR 0036). */
  private volatile String accountSource = "";
  /** Key ids whose GetKey shows every version disabled (GetKey only: unwraps are not affected). */
  private final java.util.Set<String> disabledForGetKey = ConcurrentHashMap.newKeySet();

  void accountSource(String customerKeyId) {
    accountSource = customerKeyId;
  }

  /** Customer key sources of scopes, by the scope's key id (ADR 0031: a scope has its own source). */
  private final Map<String, String> scopeSources = new ConcurrentHashMap<>();

  /** The customer key ({@code cmk/<name>}, "latest") GetKey names for scope key {@code scopeKeyId}; "" = its own key. */
  void scopeSource(String scopeKeyId, String customerKeyId) {
    if (customerKeyId.isEmpty()) {
      scopeSources.remove(scopeKeyId);
    } else {
      scopeSources.put(scopeKeyId, customerKeyId);
    }
  }

  void disableForGetKey(String keyId, boolean disabled) {
    if (disabled) {
      disabledForGetKey.add(keyId);
    } else {
      disabledForGetKey.remove(keyId);
    }
  }

  private void maybeRefuse() {
    String kind = refusal;
    if (kind == null) {
      return;
    }
    if (kind.equals("UNAVAILABLE")) {
      throw new BackendUnavailableException("kms-agent: UNAVAILABLE (fake)");
    }
    String status = kind.equals("PERMISSION_DENIED") ? "PERMISSION_DENIED" : "FAILED_PRECONDITION";
    throw KeyRefusedException.fromAgent(status, kind, "fake agent refuses: " + kind);
  }

  FakeKeyClient(SecureRandom random, Executor executor) {
    this.random = random;
    this.executor = executor;
  }

  /** Encryption scope keys ({@code account/<account>/scope/<name>}) that exist (ADR 0023). */
  private final java.util.Set<String> scopeKeys = ConcurrentHashMap.newKeySet();

  /** Creates the key of scope {@code name} of {@code account}, as {@code cobalt admin scopes create} does. */
  void createScope(String account, String name) {
    scopeKeys.add("account/" + account + "/scope/" + name);
  }

  @Override
  public CompletableFuture<GeneratedKey> generate(String account, String requestId) {
    return generate(account, "", requestId);
  }

  @Override
  public CompletableFuture<GeneratedKey> generate(String account, String requestedKeyId, String requestId) {
    return CompletableFuture.supplyAsync(
        () -> {
          maybeRefuse();
          String keyId = requestedKeyId == null || requestedKeyId.isEmpty() ? "account/" + account : requestedKeyId;
          if (!keyId.equals("account/" + account) && !ownScopeKey(account, keyId)) {
            throw KeyRefusedException.fromAgent("NOT_FOUND", "UNKNOWN_KEY", "no key " + keyId);
          }
          byte[] dek = new byte[32];
          random.nextBytes(dek);
          try {
            byte[] nonce = new byte[12];
            random.nextBytes(nonce);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(kekOf(account, keyId), "AES"), new GCMParameterSpec(128, nonce));
            c.updateAAD(aad(account, keyId, 1));
            byte[] ct = c.doFinal(dek);
            byte[] blob = new byte[12 + ct.length];
            System.arraycopy(nonce, 0, blob, 0, 12);
            System.arraycopy(ct, 0, blob, 12, ct.length);
            generated.incrementAndGet();
            return new GeneratedKey(
                DataKey.of(dek),
                WrappedKey.newBuilder().setKeyId(keyId).setKeyVersion(1).setCiphertext(ByteString.copyFrom(blob)).build());
          } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
          } finally {
            Arrays.fill(dek, (byte) 0);
          }
        },
        executor);
  }

  @Override
  public CompletableFuture<DataKey> unwrap(String account, WrappedKey wrapped, String requestId) {
    return CompletableFuture.supplyAsync(
        () -> {
          maybeRefuse();
          byte[] blob = wrapped.getCiphertext().toByteArray();
          if (wrapped.getKeyId().equals("cpk") || !wrapped.getCpkKeySha256().isEmpty()) {
            throw new IllegalStateException("a customer-wrapped DEK reached the kms-agent");
          }
          if (!(wrapped.getKeyId().equals("account/" + account) || ownScopeKey(account, wrapped.getKeyId()))
              || blob.length != 12 + 32 + 16) {
            throw KeyRefusedException.fromAgent("FAILED_PRECONDITION", "WRONG_KEY", "wrapped key is not for this account");
          }
          try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(kekOf(account, wrapped.getKeyId()), "AES"),
                new GCMParameterSpec(128, blob, 0, 12));
            c.updateAAD(aad(account, wrapped.getKeyId(), wrapped.getKeyVersion()));
            byte[] dek = c.doFinal(blob, 12, blob.length - 12);
            unwrapped.incrementAndGet();
            try {
              return DataKey.of(dek);
            } finally {
              Arrays.fill(dek, (byte) 0);
            }
          } catch (GeneralSecurityException e) {
            throw KeyRefusedException.fromAgent("INVALID_ARGUMENT", "NOT_AUTHENTIC", "wrapped key does not authenticate");
          }
        },
        executor);
  }

  /**
   * Every account key has version 1. A refusal set by {@link #refuseWith} shows as the real agent's
   * GetKey shows it: the key's state (disabled, deleted, ...), an unknown key, a denial or an outage;
   * refusals of wrapped bytes (NOT_AUTHENTIC, ...) do not concern GetKey.
   */
  @Override
  public CompletableFuture<KeyStatus> keyStatus(String keyId, String requestId) {
    return status(keyId).thenApply(st -> {
      KeyStatus s = disabledForGetKey.contains(keyId) ? new KeyStatus(keyId, Map.of(1, "DISABLED"), 1, false) : st;
      String source = accountSource;
      if (!source.isEmpty() && keyId.startsWith("account/") && !keyId.contains("/scope/")) {
        s = new KeyStatus(s.keyId(), s.versionStates(), s.minDecryptionVersion(), s.deleted(), source, 0);
      }
      String scopeSource = scopeSources.getOrDefault(keyId, "");
      if (!scopeSource.isEmpty()) {
        s = new KeyStatus(s.keyId(), s.versionStates(), s.minDecryptionVersion(), s.deleted(), scopeSource, 0);
      }
      return s;
    });
  }

  private CompletableFuture<KeyStatus> status(String keyId) {
    return CompletableFuture.supplyAsync(() -> {
      String kind = refusal;
      described.incrementAndGet();
      if (keyId.contains("/scope/") && !scopeKeys.contains(keyId)) {
        throw KeyRefusedException.fromAgent("NOT_FOUND", "UNKNOWN_KEY", "no key " + keyId);
      }
      if (kind == null || !keyId.startsWith("account/")) {
        return new KeyStatus(keyId, Map.of(1, "ENABLED"), 1, false);
      }
      return switch (kind) {
        case "KEY_DISABLED" -> new KeyStatus(keyId, Map.of(1, "DISABLED"), 1, false);
        case "KEY_DESTROYED" -> new KeyStatus(keyId, Map.of(1, "DESTROYED"), 1, false);
        case "KEY_DELETED" -> new KeyStatus(keyId, Map.of(1, "ENABLED"), 1, true);
        case "VERSION_RETIRED" -> new KeyStatus(keyId, Map.of(1, "ENABLED", 2, "ENABLED"), 2, false);
        case "UNKNOWN_KEY_VERSION" -> new KeyStatus(keyId, Map.of(2, "ENABLED"), 2, false);
        case "UNKNOWN_KEY" -> throw KeyRefusedException.fromAgent("NOT_FOUND", "UNKNOWN_KEY", "no key " + keyId);
        case "UNAVAILABLE", "PERMISSION_DENIED" -> {
          maybeRefuse();
          throw new IllegalStateException("unreachable");
        }
        default -> new KeyStatus(keyId, Map.of(1, "ENABLED"), 1, false);
      };
    }, executor);
  }

  /** The same DEK wrapped again (fresh nonce, so other bytes), as the agent's Rewrap does. */
  WrappedKey rewrap(String account, WrappedKey wrapped) {
    try (DataKey dek = unwrap(account, wrapped, "rewrap").join()) {
      byte[] nonce = new byte[12];
      random.nextBytes(nonce);
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(kekOf(account, wrapped.getKeyId()), "AES"), new GCMParameterSpec(128, nonce));
      c.updateAAD(aad(account, wrapped.getKeyId(), wrapped.getKeyVersion()));
      byte[] plain = dek.copyBytes();
      byte[] ct;
      try {
        ct = c.doFinal(plain);
      } finally {
        Arrays.fill(plain, (byte) 0);
      }
      byte[] blob = new byte[12 + ct.length];
      System.arraycopy(nonce, 0, blob, 0, 12);
      System.arraycopy(ct, 0, blob, 12, ct.length);
      return wrapped.toBuilder().setCiphertext(ByteString.copyFrom(blob)).build();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private boolean ownScopeKey(String account, String keyId) {
    return keyId.startsWith("account/" + account + "/scope/") && scopeKeys.contains(keyId);
  }

  /** The account's KEK, or a scope's own KEK. */
  private byte[] kekOf(String account, String keyId) {
    return keyId.contains("/scope/") ? kek(keyId) : kek(account);
  }

  private byte[] kek(String account) {
    return keks.computeIfAbsent(account, a -> {
      byte[] k = new byte[32];
      random.nextBytes(k);
      return k;
    });
  }

  private static byte[] aad(String account, String keyId, int version) {
    return (account + "\n" + keyId + "\n" + version).getBytes(StandardCharsets.UTF_8);
  }
}
