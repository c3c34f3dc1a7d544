package io.cobalt.kms.policy;

import io.cobalt.kms.audit.AuditEvent;
import io.cobalt.kms.audit.AuditEvent.Outcome;
import io.cobalt.kms.audit.AuditLog;
import io.cobalt.kms.audit.KeyOperation;
import io.cobalt.kms.keys.AccountKeyId;
import io.cobalt.kms.keys.CallerContext;
import io.cobalt.kms.keys.KeyOperationException;
import io.cobalt.kms.keys.KeyOperationException.Kind;
import java.io.IOException;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Per-identity allowed operations; anything not listed is denied (and audited as denied). */
public final class CallerPolicy {
  /** What a data-plane caller (a gateway, later a node) may do with data keys. */
  public static final Set<KeyOperation> DATA_KEY_OPERATIONS =
      Set.copyOf(EnumSet.of(KeyOperation.GENERATE_DEK, KeyOperation.UNWRAP, KeyOperation.GET_KEY));

  private static final Logger LOG = LoggerFactory.getLogger(CallerPolicy.class);
  private static final Pattern IDENTITY = Pattern.compile("[0-9a-f]{64}");

  private final Map<String, Set<KeyOperation>> allowed;
  private final AuditLog audit;
  private final LongSupplier nanoTicker;

  private CallerPolicy(Map<String, Set<KeyOperation>> allowed, AuditLog audit, LongSupplier nanoTicker) {
    this.allowed = Map.copyOf(allowed);
    this.audit = Objects.requireNonNull(audit);
    this.nanoTicker = Objects.requireNonNull(nanoTicker);
  }

  /**
   * A policy that lets each of {@code identities} (hex SHA-256 of a certificate's SPKI, as
   * {@code TlsMaterial.identityOf} gives it) use {@link #DATA_KEY_OPERATIONS}, and nobody anything else.
   */
  public static CallerPolicy allowingDataKeys(Set<String> identities, AuditLog audit, LongSupplier nanoTicker) {
    Map<String, Set<KeyOperation>> m = new HashMap<>();
    for (String id : identities) {
      String normalized = id == null ? "" : id.toLowerCase(Locale.ROOT);
      if (!IDENTITY.matcher(normalized).matches()) {
        throw new IllegalArgumentException("an allowed caller must be a hex SHA-256 identity (64 hex digits)");
      }
      m.put(normalized, DATA_KEY_OPERATIONS);
    }
    return new CallerPolicy(m, audit, nanoTicker);
  }

  public boolean allows(String caller, KeyOperation op) {
    return caller != null && allowed.getOrDefault(caller, Set.of()).contains(op);
  }

  /**
   * Returns if {@code ctx.caller()} may do {@code op}; otherwise audits the denial and throws
   * PERMISSION_DENIED (or AUDIT_UNAVAILABLE if the denial could not be recorded).
   *
   * @param keyId the key the request names, if any (recorded as given only when well-formed)
   * @param account the account the request concerns, if any (recorded only as a keyed hash)
   */
  public void authorize(CallerContext ctx, KeyOperation op, String keyId, Integer keyVersion, String account)
      throws KeyOperationException {
    if (allows(ctx.caller(), op)) {
      return;
    }
    String recordedKey = wellFormedKeyId(keyId);
    try {
      audit.append(new AuditEvent(ctx.requestId(), ctx.caller(), op, recordedKey,
          recordedKey == null ? null : keyVersion, Outcome.DENIED, Kind.PERMISSION_DENIED.name(),
          nanoTicker.getAsLong() - ctx.startNanos(), AccountKeyId.isValidAccount(account) ? account : null));
    } catch (IOException e) {
      LOG.error("audit write failed; refusing {}: {}", op, e.toString());
      throw new KeyOperationException(Kind.AUDIT_UNAVAILABLE, "the audit log cannot be written; operation refused");
    }
    LOG.warn("denied {} to caller {}", op, ctx.caller());
    throw new KeyOperationException(Kind.PERMISSION_DENIED, "caller is not allowed to " + op);
  }

  private static String wellFormedKeyId(String keyId) {
    try {
      return keyId == null ? null : AccountKeyId.parse(keyId).value();
    } catch (KeyOperationException e) {
      return null;
    }
  }
}
