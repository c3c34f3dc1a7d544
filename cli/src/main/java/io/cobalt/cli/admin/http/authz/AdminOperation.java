package io.cobalt.cli.admin.http.authz;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The operations of the admin API a grant can allow, each with the stable name the policy file and
 * the 403 answers use ({@code keys.rotate}). Every route of {@code AdminApiServer} needs exactly
 * one of them (a key-source switch that also starts a rewrap job needs {@link #JOBS_REWRAP} too).
 */
public enum AdminOperation {
  /** List and show keys and scopes, census, the BYOK import (public) key. */
  KEYS_READ("keys.read"),
  /** Create a key or a scope (a scope is its own key). */
  KEYS_CREATE("keys.create"),
  /** Rotate now, set the rotation period. */
  KEYS_ROTATE("keys.rotate"),
  /** Disable a version, raise the minimum decryption version (both can revoke access to data). */
  KEYS_DISABLE("keys.disable"),
  /** Enable a version. */
  KEYS_ENABLE("keys.enable"),
  /** Soft-delete, recover, purge. */
  KEYS_DELETE("keys.delete"),
  /** BYOK import of wrapped key material. */
  KEYS_IMPORT("keys.import"),
  /** Show an account's or scope's key source. */
  KEY_SOURCES_READ("key-sources.read"),
  /** Switch an account or scope between service-managed and customer-managed keys. */
  KEY_SOURCES_SET("key-sources.set"),
  /** List and show rewrap jobs. */
  JOBS_READ("jobs.read"),
  /** Start, resume and forget rewrap jobs. */
  JOBS_REWRAP("jobs.rewrap"),
  /** Verify the agent's audit log. */
  AUDIT_VERIFY("audit.verify");

  /** What a read-only identity (a dashboard, an auditor) gets: every GET. */
  public static final Set<AdminOperation> READ = Set.copyOf(EnumSet.of(KEYS_READ, KEY_SOURCES_READ, JOBS_READ,
      AUDIT_VERIFY));
  /** Key management: create, rotate, disable, enable, delete, import (and reading keys). */
  public static final Set<AdminOperation> KEY_MANAGEMENT = Set.copyOf(EnumSet.of(KEYS_READ, KEYS_CREATE,
      KEYS_ROTATE, KEYS_DISABLE, KEYS_ENABLE, KEYS_DELETE, KEYS_IMPORT));

  /** Names of operation groups in the policy file; {@code *} is every operation. */
  static final Map<String, Set<AdminOperation>> GROUPS = Map.of(
      "*", Set.copyOf(EnumSet.allOf(AdminOperation.class)),
      "read", READ,
      "keys", KEY_MANAGEMENT,
      "key-sources", Set.copyOf(EnumSet.of(KEY_SOURCES_READ, KEY_SOURCES_SET)),
      "jobs", Set.copyOf(EnumSet.of(JOBS_READ, JOBS_REWRAP)));

  private final String wireName;

  AdminOperation(String wireName) {
    this.wireName = wireName;
  }

  /** The stable name: in the policy file, in 403 answers and in the log. */
  public String wireName() {
    return wireName;
  }

  /** The operation or group a policy file names ({@code keys.rotate}, {@code read}, {@code *}). */
  static Optional<Set<AdminOperation>> byName(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    Set<AdminOperation> group = GROUPS.get(n);
    if (group != null) {
      return Optional.of(group);
    }
    for (AdminOperation op : values()) {
      if (op.wireName.equals(n)) {
        return Optional.of(Set.of(op));
      }
    }
    return Optional.empty();
  }

  @Override
  public String toString() {
    return wireName;
  }
}
