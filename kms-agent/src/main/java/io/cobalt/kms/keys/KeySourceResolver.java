package io.cobalt.kms.keys;

import java.util.Optional;

/**
 * Where the DEKs of an owner — an account's key id {@code account/<a>} or a scope's
 * {@code account/<a>/scope/<s>} — are wrapped now (ADR 0031): under a customer-managed key, or,
 * when this answers empty, under the owner's own service-managed key.
 */
@FunctionalInterface
public interface KeySourceResolver {
  /** No owner has a customer key. */
  KeySourceResolver SERVICE_MANAGED = owner -> Optional.empty();

  /** The customer key that wraps {@code ownerKeyId}'s new DEKs, or empty: the owner's own key. */
  Optional<CustomerKeyRef> customerKey(String ownerKeyId);

  /** A customer key {@code cmk/<name>} and the version it is pinned to (0 = its newest enabled version). */
  record CustomerKeyRef(String keyId, int version) {}
}
