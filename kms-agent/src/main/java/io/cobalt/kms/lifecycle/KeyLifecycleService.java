package io.cobalt.kms.lifecycle;

import io.cobalt.kms.audit.AuditEvent;
import io.cobalt.kms.audit.AuditEvent.Outcome;
import io.cobalt.kms.audit.AuditLog;
import io.cobalt.kms.audit.KeyOperation;
import io.cobalt.kms.keys.CallerContext;
import io.cobalt.kms.keys.KeyDescription;
import io.cobalt.kms.keys.KeyId;
import io.cobalt.kms.keys.KeyOperationException;
import io.cobalt.kms.keys.KeyOperationException.Kind;
import io.cobalt.kms.keys.KeyState;
import io.cobalt.kms.keys.KeyVersion;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NavigableSet;
import java.util.Objects;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The key lifecycle: create, rotate (by hand and on a period), list, describe, enable/disable a
 * version, minimum decryption version, soft delete with retention and purge protection, recover,
 * purge, BYOK import. Callers have been authorized (policy package). Every call writes one audit
 * record for its operation — refusals and failures included — before it returns; a change whose
 * record cannot be written is reported as AUDIT_UNAVAILABLE (the change itself is durable by then,
 * and the next successful record follows it in the chain).
 *
 * <p>Scheduled work ({@link #runScheduledWork}) is done as the agent's own identity: rotations whose
 * period has passed and purges whose retention has ended. Time comes from the injected clock.
 */
public final class KeyLifecycleService {
  public static final long MIN_ROTATION_PERIOD_SECONDS = Duration.ofHours(1).toSeconds();
  public static final long MAX_ROTATION_PERIOD_SECONDS = Duration.ofDays(3650).toSeconds();
  public static final int MIN_RETENTION_DAYS = 7;
  public static final int MAX_RETENTION_DAYS = 90;
  public static final int DEFAULT_RETENTION_DAYS = 90;
  public static final int MAX_PAGE_SIZE = 1000;
  public static final int DEFAULT_PAGE_SIZE = 100;
  private static final Logger LOG = LoggerFactory.getLogger(KeyLifecycleService.class);

  private final KeyBackendRouter keys;
  private final KeyCatalog catalog;
  private final ImportKeyPair importKey;
  private final AuditLog audit;
  private final Clock clock;
  private final LongSupplier nanoTicker;
  private final String agentIdentity;
  private final KeyChangeFeed changes;
  private final DekCensus census;

  /**
   * @param census the live-DEK census that guards disabling and retiring versions (ADR 0013)
   * @param changes where every successful change of a key's state is announced (before it is audited)
   */
  public KeyLifecycleService(KeyBackendRouter keys, KeyCatalog catalog, ImportKeyPair importKey, AuditLog audit,
      Clock clock, LongSupplier nanoTicker, String agentIdentity, DekCensus census, KeyChangeFeed changes) {
    this.census = Objects.requireNonNull(census);
    this.changes = Objects.requireNonNull(changes);
    this.keys = Objects.requireNonNull(keys);
    this.catalog = Objects.requireNonNull(catalog);
    this.importKey = Objects.requireNonNull(importKey);
    this.audit = Objects.requireNonNull(audit);
    this.clock = Objects.requireNonNull(clock);
    this.nanoTicker = Objects.requireNonNull(nanoTicker);
    this.agentIdentity = Objects.requireNonNull(agentIdentity);
  }

  /** One page of {@link #list}. {@code nextPageToken} is empty when there are no more keys. */
  public record Page(List<KeyDetails> keys, String nextPageToken) {}

  public KeyDetails create(CallerContext ctx, String keyId, String backend) throws KeyOperationException {
    return audited(ctx, KeyOperation.CREATE_KEY, keyId, null, id -> {
      keys.create(id, backend == null ? "" : backend);
      return details(id);
    });
  }

  public KeyDetails rotate(CallerContext ctx, String keyId) throws KeyOperationException {
    return audited(ctx, KeyOperation.ROTATE, keyId, null, id -> {
      keys.rotate(id);
      return details(id);
    });
  }

  public KeyDetails describe(CallerContext ctx, String keyId) throws KeyOperationException {
    return audited(ctx, KeyOperation.GET_KEY, keyId, null, this::details);
  }

  /**
   * Keys whose id starts with {@code prefix} and that {@code visible} accepts (the caller's policy),
   * in id order, after {@code pageToken} (the last id of the previous page). One audit record.
   */
  public Page list(CallerContext ctx, String prefix, int pageSize, String pageToken, Predicate<String> visible)
      throws KeyOperationException {
    long start = nanoTicker.getAsLong();
    try {
      if (pageSize < 0 || pageSize > MAX_PAGE_SIZE) {
        throw new KeyOperationException(Kind.INVALID_ARGUMENT, "page size must be 0.." + MAX_PAGE_SIZE);
      }
      int size = pageSize == 0 ? DEFAULT_PAGE_SIZE : pageSize;
      String p = prefix == null ? "" : prefix;
      NavigableSet<String> ids = keys.keyIds();
      NavigableSet<String> from = pageToken == null || pageToken.isEmpty() ? ids : ids.tailSet(pageToken, false);
      List<KeyDetails> out = new ArrayList<>();
      String last = "";
      boolean more = false;
      for (String id : from) {
        if (!id.startsWith(p)) {
          if (id.compareTo(p) > 0) {
            break;
          }
          continue;
        }
        if (!visible.test(id)) {
          continue;
        }
        if (out.size() == size) {
          more = true;
          break;
        }
        out.add(details(id));
        last = id;
      }
      record(ctx, KeyOperation.LIST_KEYS, null, null, null, start);
      return new Page(out, more ? last : "");
    } catch (KeyOperationException e) {
      throw recorded(ctx, KeyOperation.LIST_KEYS, null, null, e, start);
    } catch (RuntimeException e) {
      throw recorded(ctx, KeyOperation.LIST_KEYS, null, null, internal(e), start);
    }
  }

  /** Enables or disables one version; audited as ENABLE or DISABLE. */
  /**
   * Enables or disables one version. Disabling a version that may still wrap live DEKs (see
   * {@link DekCensus}) is refused with VERSION_IN_USE and the count, unless {@code force}: that is
   * emergency revocation, which makes the data under it unreadable until it is enabled again.
   */
  public KeyDetails setVersionState(CallerContext ctx, String keyId, int version, boolean enabled, boolean force)
      throws KeyOperationException {
    KeyOperation op = enabled ? KeyOperation.ENABLE : KeyOperation.DISABLE;
    return audited(ctx, op, keyId, version, id -> {
      if (!enabled && !force) {
        KeyDescription d = describeOrUnknown(id);
        if (version >= 1 && version <= d.versions().size()) {
          DekCensus.VersionView v = census.view(id, version);
          if (v.inUse()) {
            throw new KeyOperationException(Kind.VERSION_IN_USE, "version " + version + " of " + id + " may still"
                + " wrap live DEKs: " + v.reason() + "; rewrap first (cobalt admin keys rewrap) or force");
          }
        }
      }
      keys.setState(id, version, enabled ? KeyState.ENABLED : KeyState.DISABLED);
      return details(id);
    });
  }

  /**
   * Retires the versions below {@code version}. Refused with VERSION_IN_USE (and the counts) if a
   * version it would newly retire may still wrap live DEKs, unless {@code force}.
   */
  public KeyDetails setMinDecryptionVersion(CallerContext ctx, String keyId, int version, boolean force)
      throws KeyOperationException {
    return audited(ctx, KeyOperation.SET_MIN_DECRYPTION_VERSION, keyId, version, id -> {
      synchronized (catalog.writeLock()) {
        KeyCatalog.Entry e = keys.live(id);
        int latest = describeOrUnknown(id).versions().size();
        if (version < 1 || version > latest) {
          throw new KeyOperationException(Kind.INVALID_ARGUMENT,
              "minimum decryption version must be 1.." + latest + " for key " + id);
        }
        if (!force) {
          List<String> inUse = new ArrayList<>();
          for (int v = e.minDecryptionVersion(); v < version; v++) {
            DekCensus.VersionView view = census.view(id, v);
            if (view.inUse()) {
              inUse.add("version " + v + ": " + view.reason());
            }
          }
          if (!inUse.isEmpty()) {
            throw new KeyOperationException(Kind.VERSION_IN_USE, "retiring below version " + version + " of " + id
                + " is refused: " + String.join("; ", inUse) + "; rewrap first (cobalt admin keys rewrap) or force");
          }
        }
        catalog.put(e.withMinDecryptionVersion(version));
      }
      return details(id);
    });
  }

  public KeyDetails setRotationPolicy(CallerContext ctx, String keyId, long periodSeconds) throws KeyOperationException {
    return audited(ctx, KeyOperation.SET_ROTATION_POLICY, keyId, null, id -> {
      if (periodSeconds != 0
          && (periodSeconds < MIN_ROTATION_PERIOD_SECONDS || periodSeconds > MAX_ROTATION_PERIOD_SECONDS)) {
        throw new KeyOperationException(Kind.INVALID_ARGUMENT,
            "rotation period must be 0 (off) or " + MIN_ROTATION_PERIOD_SECONDS + ".." + MAX_ROTATION_PERIOD_SECONDS + " seconds");
      }
      synchronized (catalog.writeLock()) {
        catalog.put(keys.live(id).withRotationPeriodSeconds(periodSeconds));
      }
      return details(id);
    });
  }

  public KeyDetails scheduleDeletion(CallerContext ctx, String keyId, int retentionDays, boolean purgeProtection)
      throws KeyOperationException {
    return audited(ctx, KeyOperation.SCHEDULE_DELETE, keyId, null, id -> {
      int days = retentionDays == 0 ? DEFAULT_RETENTION_DAYS : retentionDays;
      if (days < MIN_RETENTION_DAYS || days > MAX_RETENTION_DAYS) {
        throw new KeyOperationException(Kind.INVALID_ARGUMENT,
            "retention must be " + MIN_RETENTION_DAYS + ".." + MAX_RETENTION_DAYS + " days");
      }
      synchronized (catalog.writeLock()) {
        KeyCatalog.Entry e = keys.live(id);
        long now = clock.millis();
        catalog.put(e.withDeletion(new KeyCatalog.Deletion(now, now + Duration.ofDays(days).toMillis(),
            purgeProtection, false)));
      }
      return details(id);
    });
  }

  /** Undoes a soft deletion (keeping its purge protection for the next one). */
  public KeyDetails recover(CallerContext ctx, String keyId) throws KeyOperationException {
    return audited(ctx, KeyOperation.RECOVER, keyId, null, id -> {
      synchronized (catalog.writeLock()) {
        KeyCatalog.Entry e = keys.existing(id);
        if (!e.deleted()) {
          throw new KeyOperationException(Kind.INVALID_STATE_CHANGE, "key " + id + " is not deleted");
        }
        if (e.deletion().purged()) {
          throw new KeyOperationException(Kind.KEY_DELETED, "key " + id + " was purged and cannot be recovered");
        }
        catalog.put(e.withDeletion(null));
      }
      return details(id);
    });
  }

  public KeyDetails purge(CallerContext ctx, String keyId) throws KeyOperationException {
    return audited(ctx, KeyOperation.PURGE, keyId, null, id -> {
      purgeNow(id, false);
      return details(id);
    });
  }

  public ImportKeyPair.PublicPart importPublicKey(CallerContext ctx) throws KeyOperationException {
    long start = nanoTicker.getAsLong();
    try {
      ImportKeyPair.PublicPart p = importKey.publicPart();
      record(ctx, KeyOperation.GET_IMPORT_KEY, null, null, null, start);
      return p;
    } catch (KeyOperationException e) {
      throw recorded(ctx, KeyOperation.GET_IMPORT_KEY, null, null, e, start);
    } catch (RuntimeException e) {
      throw recorded(ctx, KeyOperation.GET_IMPORT_KEY, null, null, internal(e), start);
    }
  }

  /**
   * Creates {@code keyId} with customer material (BYOK) as version 1.
   *
   * @param expectedFingerprint if not empty, the import key the envelope was made for; refused if it differs
   */
  public KeyDetails importKey(CallerContext ctx, String keyId, String backend, byte[] envelope,
      String expectedFingerprint) throws KeyOperationException {
    return audited(ctx, KeyOperation.IMPORT_KEY, keyId, 1, id -> {
      if (expectedFingerprint != null && !expectedFingerprint.isEmpty()
          && !expectedFingerprint.equalsIgnoreCase(importKey.publicPart().fingerprint())) {
        throw new KeyOperationException(Kind.BAD_IMPORT, "the material was wrapped for another import key");
      }
      if (keys.entry(id).isPresent()) {
        throw new KeyOperationException(Kind.KEY_EXISTS, "key " + id + " exists");
      }
      byte[] material = importKey.unwrap(envelope);
      try {
        keys.importKey(id, backend == null ? "" : backend, material);
      } finally {
        Arrays.fill(material, (byte) 0);
      }
      return details(id);
    });
  }

  /**
   * Rotates every key whose rotation period has passed since its newest version, and purges every
   * soft-deleted key whose retention has ended. Each is audited as done by the agent itself; one
   * key's failure does not stop the others. Returns how many keys were rotated or purged.
   */
  public int runScheduledWork() {
    long now = clock.millis();
    int done = 0;
    for (KeyCatalog.Entry e : catalog.snapshot().values()) {
      CallerContext self = new CallerContext(agentIdentity, "scheduled", nanoTicker.getAsLong());
      try {
        if (e.deleted()) {
          if (!e.deletion().purged() && now >= e.deletion().purgeAfterEpochMillis()) {
            purge(self, e.keyId());
            done++;
          }
        } else if (e.rotationPeriodSeconds() > 0) {
          long due = nextRotation(e);
          if (due > 0 && now >= due) {
            rotate(self, e.keyId());
            done++;
          }
        }
      } catch (KeyOperationException ex) {
        LOG.warn("scheduled work on key {} failed: {} ({})", e.keyId(), ex.kind(), ex.getMessage());
      }
    }
    return done;
  }

  private void purgeNow(String id, boolean ignoreProtection) throws KeyOperationException {
    synchronized (catalog.writeLock()) {
      KeyCatalog.Entry e = keys.existing(id);
      if (!e.deleted()) {
        throw new KeyOperationException(Kind.INVALID_STATE_CHANGE, "key " + id + " is not deleted; schedule its deletion first");
      }
      if (e.deletion().purged()) {
        return;
      }
      if (!ignoreProtection && e.deletion().purgeProtection() && clock.millis() < e.deletion().purgeAfterEpochMillis()) {
        throw new KeyOperationException(Kind.PURGE_PROTECTED, "key " + id + " has purge protection; it can be purged from "
            + java.time.Instant.ofEpochMilli(e.deletion().purgeAfterEpochMillis()));
      }
      for (KeyVersion v : describeOrUnknown(id).versions()) {
        if (v.state() != KeyState.DESTROYED) {
          keys.disableAndDestroy(id, v.version());
        }
      }
      KeyCatalog.Deletion d = e.deletion();
      catalog.put(e.withDeletion(new KeyCatalog.Deletion(d.deletedEpochMillis(), d.purgeAfterEpochMillis(),
          d.purgeProtection(), true)));
    }
  }

  /**
   * The key source of an account or scope as the operator sees it (ADR 0031), and where new DEKs go
   * now: {@code effectiveKeyId} at {@code effectiveVersion} (0 = none usable, or the account's
   * service key is not created yet).
   */
  public record KeySourceView(String account, String scope, String owner, boolean serviceManaged, String backend,
      String keyId, int pinnedVersion, String effectiveKeyId, int effectiveVersion, long changedEpochMillis) {}

  /** The owner key id of {@code account} (scope "" ) or of one of its scopes; INVALID_* if malformed. */
  public static String ownerOf(String account, String scope) throws KeyOperationException {
    String accountKey = io.cobalt.kms.keys.AccountKeyId.forAccount(account).value();
    return scope == null || scope.isEmpty() ? accountKey : KeyId.ofScope(account, scope);
  }

  /** The customer key id {@code cmk/<name>} of a name given with or without its prefix. */
  public static String customerKeyId(String name) throws KeyOperationException {
    String id = name.startsWith(KeyId.CUSTOMER_PREFIX) ? name : KeyId.CUSTOMER_PREFIX + name;
    if (!KeyId.isValid(id) || !id.startsWith(KeyId.CUSTOMER_PREFIX)) {
      throw new KeyOperationException(Kind.INVALID_KEY_ID, "a customer key is cmk/<1-127 letters, digits, dashes>");
    }
    return id;
  }

  /**
   * Sets the key source of an account ({@code scope} empty) or scope. A customer key must exist on
   * {@code backend}, not be deleted, and its pinned version (or, for "latest", some version) must be
   * enabled and not retired; otherwise the change is refused and nothing changes. New DEKs of the
   * owner use the new source at once; stored DEKs keep their wrapping until the rewrap job moves
   * them. Audited as SET_KEY_SOURCE on the owner key id.
   */
  public KeySourceView setKeySource(CallerContext ctx, String account, String scope, boolean serviceManaged,
      String backend, String keyName, int version) throws KeyOperationException {
    String owner = null;
    long start = ctx.startNanos();
    try {
      owner = ownerOf(account, scope);
      boolean hasRef = !(backend == null || backend.isEmpty()) || !(keyName == null || keyName.isEmpty()) || version != 0;
      if (serviceManaged == hasRef) {
        throw new KeyOperationException(Kind.INVALID_ARGUMENT, serviceManaged
            ? "service-managed takes no backend, key or version"
            : "name the customer key: backend and key name (and a version, or none for the latest)");
      }
      if (version < 0) {
        throw new KeyOperationException(Kind.INVALID_ARGUMENT, "version must be 0 (latest) or 1..");
      }
      if (scope != null && !scope.isEmpty() && keys.entry(owner).isEmpty()) {
        throw new KeyOperationException(Kind.UNKNOWN_KEY, "account " + account + " has no encryption scope " + scope
            + " (cobalt admin scopes create)");
      }
      String keyId = "";
      if (!serviceManaged) {
        if (backend == null || backend.isEmpty()) {
          throw new KeyOperationException(Kind.INVALID_ARGUMENT, "name the backend of the customer key (local, pkcs11, kmip)");
        }
        keyId = customerKeyId(keyName == null ? "" : keyName);
        keys.backend(backend);  // configured?
        KeyCatalog.Entry e = keys.entry(keyId).orElseThrow(() -> new KeyOperationException(Kind.UNKNOWN_KEY,
            "no customer key " + keyName + " on backend " + backend));
        if (!e.backend().equals(backend)) {
          throw new KeyOperationException(Kind.UNKNOWN_KEY, "no customer key " + keyName + " on backend " + backend
              + " (it is on " + e.backend() + ")");
        }
        if (e.deleted()) {
          throw new KeyOperationException(Kind.KEY_DELETED, "customer key " + keyId + " is deleted");
        }
        KeyDescription d = describeOrUnknown(keyId);
        if (version == 0) {
          if (d.primaryVersion().isEmpty()) {
            throw new KeyOperationException(Kind.KEY_DISABLED, "customer key " + keyId + " has no enabled version");
          }
        } else {
          if (version > d.versions().size()) {
            throw new KeyOperationException(Kind.UNKNOWN_KEY_VERSION, "customer key " + keyId + " has no version " + version);
          }
          KeyState st = d.versions().get(version - 1).state();
          if (st != KeyState.ENABLED) {
            throw new KeyOperationException(st == KeyState.DESTROYED ? Kind.KEY_DESTROYED : Kind.KEY_DISABLED,
                "customer key " + keyId + " version " + version + " is " + st);
          }
          if (version < e.minDecryptionVersion()) {
            throw new KeyOperationException(Kind.VERSION_RETIRED, "customer key " + keyId + " version " + version
                + " is below its minimum decryption version " + e.minDecryptionVersion());
          }
        }
      }
      synchronized (catalog.writeLock()) {
        java.util.Optional<KeyCatalog.KeySource> old = catalog.source(owner);
        List<String> past = new ArrayList<>(old.map(KeyCatalog.KeySource::pastKeys).orElse(List.of()));
        if (old.isPresent() && !old.get().serviceManaged() && !past.contains(old.get().keyId())) {
          past.add(old.get().keyId());
        }
        past.remove(keyId);
        while (past.size() > KeyCatalog.MAX_PAST_KEYS) {
          past.remove(0);
        }
        catalog.putSource(new KeyCatalog.KeySource(owner, serviceManaged ? "" : backend, keyId, version,
            clock.millis(), past));
      }
      changes.publish(KeyChange.Kind.CHANGED, owner, 0);
      KeySourceView v = sourceView(account, scope, owner);
      record(ctx, KeyOperation.SET_KEY_SOURCE, owner, null, null, start);
      return v;
    } catch (KeyOperationException e) {
      throw recorded(ctx, KeyOperation.SET_KEY_SOURCE, owner, null, e, start);
    } catch (RuntimeException e) {
      throw recorded(ctx, KeyOperation.SET_KEY_SOURCE, owner, null, internal(e), start);
    }
  }

  /** The key source of an account ({@code scope} empty) or scope. Audited as GET_KEY_SOURCE. */
  public KeySourceView keySource(CallerContext ctx, String account, String scope) throws KeyOperationException {
    String owner = null;
    long start = ctx.startNanos();
    try {
      owner = ownerOf(account, scope);
      KeySourceView v = sourceView(account, scope, owner);
      record(ctx, KeyOperation.GET_KEY_SOURCE, owner, null, null, start);
      return v;
    } catch (KeyOperationException e) {
      throw recorded(ctx, KeyOperation.GET_KEY_SOURCE, owner, null, e, start);
    } catch (RuntimeException e) {
      throw recorded(ctx, KeyOperation.GET_KEY_SOURCE, owner, null, internal(e), start);
    }
  }

  /**
   * The customer key source of {@code ownerKeyId} ({@code account/<a>[/scope/<s>]}) if it has one;
   * empty for a service-managed owner and for any other key id. Not audited (the caller's GetKey is).
   */
  public java.util.Optional<KeyCatalog.KeySource> customerSource(String ownerKeyId) {
    return catalog.source(ownerKeyId).filter(s -> !s.serviceManaged());
  }

  private KeySourceView sourceView(String account, String scope, String owner) {
    java.util.Optional<KeyCatalog.KeySource> src = catalog.source(owner).filter(s -> !s.serviceManaged());
    long changed = catalog.source(owner).map(KeyCatalog.KeySource::changedEpochMillis).orElse(0L);
    if (src.isEmpty()) {
      int v = keys.describe(owner).flatMap(d -> d.primaryVersion().isPresent()
          ? java.util.Optional.of(d.primaryVersion().getAsInt()) : java.util.Optional.<Integer>empty()).orElse(0);
      String b = keys.entry(owner).map(KeyCatalog.Entry::backend).orElse("");
      return new KeySourceView(account, scope, owner, true, b, owner, 0, owner, v, changed);
    }
    KeyCatalog.KeySource s = src.get();
    int effective = s.version();
    if (effective == 0) {
      effective = keys.describe(s.keyId()).flatMap(d -> d.primaryVersion().isPresent()
          ? java.util.Optional.of(d.primaryVersion().getAsInt()) : java.util.Optional.<Integer>empty()).orElse(0);
    }
    return new KeySourceView(account, scope, owner, false, s.backend(), s.keyId(), s.version(), s.keyId(), effective,
        changed);
  }

  /** Stores a complete metadata walk's live-DEK counts for {@code keyId} (ADR 0013). */
  public List<DekCensus.VersionView> reportCensus(CallerContext ctx, String keyId, long startedEpochMillis,
      java.util.Map<Integer, Long> liveDeks) throws KeyOperationException {
    List<List<DekCensus.VersionView>> out = new ArrayList<>();
    audited(ctx, KeyOperation.REPORT_DEK_CENSUS, keyId, null, id -> {
      KeyDetails d = details(id);
      for (Integer v : liveDeks.keySet()) {
        if (v > d.latestVersion()) {
          throw new KeyOperationException(Kind.INVALID_ARGUMENT, "key " + id + " has no version " + v);
        }
      }
      census.report(id, startedEpochMillis, liveDeks);
      out.add(census.versions(id, d.latestVersion()));
      return d;
    });
    return out.get(0);
  }

  /** Every version of {@code keyId} with its census, DEKs generated since, and whether it is in use. */
  public List<DekCensus.VersionView> census(CallerContext ctx, String keyId) throws KeyOperationException {
    List<List<DekCensus.VersionView>> out = new ArrayList<>();
    audited(ctx, KeyOperation.GET_DEK_CENSUS, keyId, null, id -> {
      KeyDetails d = details(id);
      out.add(census.versions(id, d.latestVersion()));
      return d;
    });
    return out.get(0);
  }

  public DekCensus.Census lastCensus(String keyId) {
    return census.census(keyId);
  }

  private long nextRotation(KeyCatalog.Entry e) {
    if (e.rotationPeriodSeconds() <= 0 || e.deleted()) {
      return 0;
    }
    List<KeyVersion> vs = keys.describe(e.keyId()).map(KeyDescription::versions).orElse(List.of());
    if (vs.isEmpty()) {
      return 0;
    }
    return vs.get(vs.size() - 1).created().toEpochMilli() + e.rotationPeriodSeconds() * 1000;
  }

  private KeyDescription describeOrUnknown(String id) throws KeyOperationException {
    return keys.describe(id).orElseThrow(() -> new KeyOperationException(Kind.UNKNOWN_KEY, "no key " + id));
  }

  private KeyDetails details(String id) throws KeyOperationException {
    KeyCatalog.Entry e = keys.existing(id);
    return new KeyDetails(describeOrUnknown(id), e, nextRotation(e));
  }

  @FunctionalInterface
  private interface KeyAction<T> {
    T run(String validKeyId) throws KeyOperationException;
  }

  /** Parses the key id, runs the action, and records the outcome (the version: the request's, or the key's newest). */
  private KeyDetails audited(CallerContext ctx, KeyOperation op, String keyId, Integer requestVersion,
      KeyAction<KeyDetails> action) throws KeyOperationException {
    long start = ctx.startNanos();
    String validId = KeyId.isValid(keyId) ? keyId : null;
    try {
      KeyDetails d = action.run(KeyId.parse(keyId).value());
      announce(op, validId, requestVersion, false);
      Integer version = requestVersion != null ? requestVersion : (d.latestVersion() == 0 ? null : d.latestVersion());
      record(ctx, op, validId, version, null, start);
      return d;
    } catch (KeyOperationException e) {
      announce(op, validId, requestVersion, true);
      throw recorded(ctx, op, validId, requestVersion, e, start);
    } catch (RuntimeException e) {
      announce(op, validId, requestVersion, true);
      throw recorded(ctx, op, validId, requestVersion, internal(e), start);
    }
  }

  /**
   * Announces a successful operation that may change whether a key (version) can be used. Reads and
   * changes that cannot make a cached DEK stale (create, import, rotation policy) are not announced;
   * an operation this method does not know is announced as CHANGED, so that a new kind of change
   * invalidates caches rather than being missed. A failed change is announced as CHANGED: it may
   * have been partly done (a purge that destroyed some versions), and a needless invalidation only
   * costs cache misses.
   */
  private void announce(KeyOperation op, String keyId, Integer version, boolean failed) {
    KeyChange.Kind kind = switch (op) {
      // A census (reported or read) changes no key's state: announcing it as CHANGED made every
      // completed rewrap job look like a key-source change to rewrap-follow, which then queued an
      // owner job whose own census report queued the next one, without end.
      case GET_KEY, LIST_KEYS, GET_IMPORT_KEY, CREATE_KEY, IMPORT_KEY, SET_ROTATION_POLICY, GENERATE_DEK, UNWRAP,
          REWRAP, REPORT_DEK_CENSUS, GET_DEK_CENSUS, GET_KEY_SOURCE -> null;
      case DISABLE -> KeyChange.Kind.DISABLED;
      case ENABLE -> KeyChange.Kind.ENABLED;
      case SET_MIN_DECRYPTION_VERSION -> KeyChange.Kind.MIN_VERSION_CHANGED;
      case SCHEDULE_DELETE -> KeyChange.Kind.DELETED;
      case RECOVER -> KeyChange.Kind.RECOVERED;
      case PURGE -> KeyChange.Kind.PURGED;
      case ROTATE -> KeyChange.Kind.ROTATED;
      default -> KeyChange.Kind.CHANGED;
    };
    if (kind != null && keyId != null) {
      changes.publish(failed ? KeyChange.Kind.CHANGED : kind, keyId, version == null ? 0 : version);
    }
  }

  private static KeyOperationException internal(RuntimeException e) {
    LOG.error("unexpected failure in a key lifecycle operation", e);
    return new KeyOperationException(Kind.INTERNAL, "internal error");
  }

  private void record(CallerContext ctx, KeyOperation op, String keyId, Integer version,
      KeyOperationException failure, long startNanos) throws KeyOperationException {
    Outcome outcome = failure == null ? Outcome.OK
        : failure.kind() == Kind.PERMISSION_DENIED ? Outcome.DENIED : Outcome.ERROR;
    String account = keyId == null ? null : new KeyId(keyId).account();
    try {
      audit.append(new AuditEvent(ctx.requestId(), ctx.caller(), op, keyId, version, outcome,
          failure == null ? "OK" : failure.kind().name(), nanoTicker.getAsLong() - startNanos, account));
    } catch (IOException e) {
      LOG.error("audit write failed; failing {}: {}", op, e.toString());
      throw new KeyOperationException(Kind.AUDIT_UNAVAILABLE, "the audit log cannot be written; operation refused");
    }
  }

  private KeyOperationException recorded(CallerContext ctx, KeyOperation op, String keyId, Integer version,
      KeyOperationException failure, long startNanos) {
    if (failure.kind() == Kind.AUDIT_UNAVAILABLE) {
      return failure;
    }
    try {
      record(ctx, op, keyId, version, failure, startNanos);
      return failure;
    } catch (KeyOperationException auditFailure) {
      return auditFailure;
    }
  }
}
