package io.cobalt.kms.policy;

import io.cobalt.kms.audit.AuditEvent;
import io.cobalt.kms.audit.AuditEvent.Outcome;
import io.cobalt.kms.audit.AuditLog;
import io.cobalt.kms.audit.KeyOperation;
import io.cobalt.kms.keys.AccountKeyId;
import io.cobalt.kms.keys.CallerContext;
import io.cobalt.kms.keys.KeyId;
import io.cobalt.kms.keys.KeyOperationException;
import io.cobalt.kms.keys.KeyOperationException.Kind;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-identity grants ({@link CallerGrant}): an operation is allowed only if the caller's grant names
 * it and covers the key the request names. Anything else is denied, and the denial audited before
 * it is answered. A request naming no well-formed key (a malformed id, or an operation on no key such
 * as ListKeys) is checked on the operation alone; the key service then refuses malformed ids itself.
 */
public final class CallerPolicy {
  /** What a data-plane caller (a gateway, a node, a rewrap job) may do with data keys. */
  public static final Set<KeyOperation> DATA_KEY_OPERATIONS = Set.copyOf(EnumSet.of(
      KeyOperation.GENERATE_DEK, KeyOperation.UNWRAP, KeyOperation.GET_KEY, KeyOperation.REWRAP));
  /** The key pattern of every account's service-managed key. */
  public static final String ALL_ACCOUNT_KEYS = AccountKeyId.PREFIX + "*";

  private static final Logger LOG = LoggerFactory.getLogger(CallerPolicy.class);

  private final Map<String, CallerGrant> grants;
  private final AuditLog audit;
  private final LongSupplier nanoTicker;
  private volatile java.util.function.Function<String, List<String>> customerKeyOwners = k -> List.of();

  /**
   * Lets data-path callers use a customer key through the accounts and scopes that reference it
   * (ADR 0031): {@code owners} gives, for a key id {@code cmk/<name>}, every owner key id
   * ({@code account/<a>[/scope/<s>]}) whose current or past key source it is. A caller allowed a
   * data-path operation on such an owner may do it on the customer key too — for unwrap and rewrap
   * only for that owner's account (the DEK's associated data binds the account, so it can only reach
   * that account's DEKs); describe (GetKey, key events) for any referencing owner.
   */
  public void bindCustomerKeyOwners(java.util.function.Function<String, List<String>> owners) {
    this.customerKeyOwners = Objects.requireNonNull(owners);
  }

  private CallerPolicy(Map<String, CallerGrant> grants, AuditLog audit, LongSupplier nanoTicker) {
    this.grants = Map.copyOf(grants);
    this.audit = Objects.requireNonNull(audit);
    this.nanoTicker = Objects.requireNonNull(nanoTicker);
  }

  /** A policy of the given grants; one grant per identity. */
  public static CallerPolicy of(Collection<CallerGrant> grants, AuditLog audit, LongSupplier nanoTicker) {
    Map<String, CallerGrant> m = new HashMap<>();
    for (CallerGrant g : grants) {
      if (m.put(g.identity(), g) != null) {
        throw new IllegalArgumentException("identity of grant " + g.name() + " has more than one grant");
      }
    }
    return new CallerPolicy(m, audit, nanoTicker);
  }

  /**
   * A policy that lets each of {@code identities} (hex SHA-256 of a certificate's SPKI, as
   * {@code TlsMaterial.identityOf} gives it) use {@link #DATA_KEY_OPERATIONS} on every account key,
   * and nobody anything else.
   */
  public static CallerPolicy allowingDataKeys(Set<String> identities, AuditLog audit, LongSupplier nanoTicker) {
    return of(dataPathGrants(identities), audit, nanoTicker);
  }

  /** The grants {@link #allowingDataKeys} makes: data operations on {@code account/*}. */
  public static List<CallerGrant> dataPathGrants(Set<String> identities) {
    List<CallerGrant> out = new ArrayList<>();
    int n = 0;
    for (String id : identities) {
      out.add(CallerGrant.dataPath("data-path-" + (++n), id, List.of(ALL_ACCOUNT_KEYS)));
    }
    return out;
  }

  /** Whether {@code caller} may do {@code op} at all (on some key). */
  public boolean allows(String caller, KeyOperation op) {
    CallerGrant g = caller == null ? null : grants.get(caller);
    return g != null && g.operations().contains(op);
  }

  /** Whether {@code caller} may do {@code op} on {@code keyId}. */
  public boolean allows(String caller, KeyOperation op, String keyId) {
    return allows(caller, op) && grants.get(caller).coversKey(keyId);
  }

  /**
   * Whether {@code caller} may do {@code op} on {@code keyId} for {@code account} (null: any):
   * directly, or — for a data-path operation on a customer key — through an owner of that account
   * whose key source the customer key is or was ({@link #bindCustomerKeyOwners}).
   */
  public boolean allows(String caller, KeyOperation op, String keyId, String account) {
    if (allows(caller, op, keyId)) {
      return true;
    }
    if (!op.isDataPath() || keyId == null || !keyId.startsWith(KeyId.CUSTOMER_PREFIX) || !allows(caller, op)) {
      return false;
    }
    for (String owner : customerKeyOwners.apply(keyId)) {
      if ((account == null || account.equals(new KeyId(owner).account())) && grants.get(caller).coversKey(owner)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Returns if {@code ctx.caller()} may do {@code op} on {@code keyId}; otherwise audits the denial
   * and throws PERMISSION_DENIED (or AUDIT_UNAVAILABLE if the denial could not be recorded).
   *
   * @param keyId the key the request names, if any (recorded as given only when well-formed)
   * @param account the account the request concerns, if any (recorded only as a keyed hash)
   */
  public void authorize(CallerContext ctx, KeyOperation op, String keyId, Integer keyVersion, String account)
      throws KeyOperationException {
    String recordedKey = KeyId.isValid(keyId) ? keyId : null;
    String boundAccount = op == KeyOperation.GET_KEY ? null : (account == null ? "" : account);
    if (recordedKey == null ? allows(ctx.caller(), op) : allows(ctx.caller(), op, recordedKey, boundAccount)) {
      return;
    }
    try {
      audit.append(new AuditEvent(ctx.requestId(), ctx.caller(), op, recordedKey,
          recordedKey == null ? null : keyVersion, Outcome.DENIED, Kind.PERMISSION_DENIED.name(),
          nanoTicker.getAsLong() - ctx.startNanos(), AccountKeyId.isValidAccount(account) ? account : null));
    } catch (IOException e) {
      LOG.error("audit write failed; refusing {}: {}", op, e.toString());
      throw new KeyOperationException(Kind.AUDIT_UNAVAILABLE, "the audit log cannot be written; operation refused");
    }
    LOG.warn("denied {} to caller {}", op, ctx.caller());
    throw new KeyOperationException(Kind.PERMISSION_DENIED,
        "caller is not allowed to " + op + (recordedKey == null ? "" : " on " + recordedKey));
  }
}
