package io.cobalt.kms.policy;

import io.cobalt.kms.audit.KeyOperation;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What one caller identity may do: which operations, on which keys. Deny by default — whatever no
 * grant names is refused. Management operations ({@link KeyOperation#isDataPath() not data path})
 * may only be granted to an admin identity; a grant that mixes them up is refused when built.
 *
 * @param name a label for logs and docs (e.g. {@code gateway}, {@code operator-alice})
 * @param identity hex SHA-256 of the caller certificate's SubjectPublicKeyInfo (lowercased here)
 * @param operations the operations allowed
 * @param keys key patterns: an exact key id ({@code cmk/payroll}), a prefix ending in {@code *}
 *     ({@code account/*}, {@code cmk/team-a-*}), or {@code *} for every key
 * @param admin whether management operations may be granted
 */
public record CallerGrant(String name, String identity, Set<KeyOperation> operations, List<String> keys, boolean admin) {
  private static final Pattern IDENTITY = Pattern.compile("[0-9a-f]{64}");
  private static final Pattern KEY_PATTERN = Pattern.compile("\\*|[A-Za-z0-9/-]{1,160}\\*?");

  public CallerGrant {
    Objects.requireNonNull(name, "name");
    identity = identity == null ? "" : identity.toLowerCase(Locale.ROOT);
    if (!IDENTITY.matcher(identity).matches()) {
      throw new IllegalArgumentException("grant " + name + ": identity must be a hex SHA-256 (64 hex digits)");
    }
    operations = operations.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(operations));
    keys = List.copyOf(keys);
    for (String k : keys) {
      if (!KEY_PATTERN.matcher(k).matches()) {
        throw new IllegalArgumentException("grant " + name + ": key pattern " + k + " is not an id, a prefix*, or *");
      }
    }
    if (!admin) {
      for (KeyOperation op : operations) {
        if (!op.isDataPath()) {
          throw new IllegalArgumentException("grant " + name + ": " + op + " is a management operation; only an admin grant may have it");
        }
      }
    }
  }

  /** The data path (generate, unwrap, describe, rewrap) on the given keys. */
  public static CallerGrant dataPath(String name, String identity, List<String> keys) {
    return new CallerGrant(name, identity, CallerPolicy.DATA_KEY_OPERATIONS, keys, false);
  }

  /** Every operation on the given keys. */
  public static CallerGrant admin(String name, String identity, List<String> keys) {
    return new CallerGrant(name, identity, EnumSet.allOf(KeyOperation.class), keys, true);
  }

  /** Whether {@code keyId} matches one of the patterns. */
  public boolean coversKey(String keyId) {
    for (String k : keys) {
      if (k.equals("*") || (k.endsWith("*") ? keyId.startsWith(k.substring(0, k.length() - 1)) : keyId.equals(k))) {
        return true;
      }
    }
    return false;
  }
}
