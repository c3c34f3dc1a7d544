package io.cobalt.cli.admin.http.authz;

import io.cobalt.kms.policy.CallerGrant;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What one identity may do on the admin API: which operations, on which keys. The identity and the
 * key patterns are the kms-agent's ({@link CallerGrant}): hex SHA-256 of the certificate's
 * SubjectPublicKeyInfo; an exact key id, a prefix ending in {@code *}, or {@code *}. Requests on an
 * account or scope are checked against its owner key id: {@code account/<a>} or
 * {@code account/<a>/scope/<s>} (so {@code account/acme*} covers account acme and its scopes).
 *
 * @param name a label for logs and docs ({@code operator}, {@code dashboard})
 * @param identity hex SHA-256 of the client certificate's SubjectPublicKeyInfo (lowercased)
 * @param operations the operations allowed; nothing else is
 * @param keys key patterns the operations are limited to
 */
public record AdminGrant(String name, String identity, Set<AdminOperation> operations, List<String> keys) {
  public AdminGrant {
    Objects.requireNonNull(name, "name");
    // The agent's grant checks the identity and the key patterns (and its messages name the grant).
    CallerGrant agentForm = new CallerGrant(name, identity, Set.of(), keys, false);
    identity = agentForm.identity();
    keys = agentForm.keys();
    operations = operations.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(operations));
  }

  /** Every operation on every key: the operator, and the allow-list shorthands of {@code cobalt admin serve}. */
  public static AdminGrant everything(String name, String identity) {
    return new AdminGrant(name, identity, EnumSet.allOf(AdminOperation.class), List.of("*"));
  }

  /**
   * Whether {@code keyId} (a key id, or an owner key id for an account or scope) matches one of the
   * patterns, by the agent's own matching rule.
   */
  public boolean coversKey(String keyId) {
    return new CallerGrant(name, identity, Set.of(), keys, false).coversKey(keyId);
  }

  /** Whether {@code op} is allowed on {@code keyId} (null: a request on no key, checked on the operation alone). */
  public boolean allows(AdminOperation op, String keyId) {
    return operations.contains(op) && (keyId == null || coversKey(keyId));
  }
}
