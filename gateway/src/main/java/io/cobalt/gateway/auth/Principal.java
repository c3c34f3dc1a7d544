package io.cobalt.gateway.auth;

/**
 * Who a request was authenticated as. Authentication only establishes this; what the principal may
 * do is decided afterwards by {@code io.cobalt.gateway.authz.Authorizer}.
 */
public sealed interface Principal {
  /** The account the request addresses (the path's account). */
  String account();

  /** Signed with one of the account's keys (Shared Key / Shared Key Lite): everything in the account. */
  record AccountKey(String account) implements Principal {}

  /** No credentials. May do only what the container's public access level allows. */
  record Anonymous(String account) implements Principal {}

  /**
   * A verified service SAS (blob or container). Its signature covers the resource it was issued for,
   * so the request's path is the signed resource (or, for {@code sr=c}, a blob inside it).
   *
   * @param resource {@code b} (one blob), {@code bs} (one snapshot of a blob: the signature covers
   *     the request's {@code snapshot} value) or {@code c} (a container and its blobs)
   * @param permissions the effective {@code sp} (from the token or its stored access policy)
   * @param ipRange {@code sip}, or null for any address
   * @param httpsOnly {@code spr=https}
   * @param encryptionScope signed {@code ses}, or null
   * @param overrides signed response header overrides ({@code rscc}...{@code rsct})
   */
  record ServiceSas(
      String account,
      String resource,
      String permissions,
      IpRange ipRange,
      boolean httpsOnly,
      String encryptionScope,
      ResponseHeaderOverrides overrides)
      implements Principal {}

  /**
   * A verified account SAS.
   *
   * @param services {@code ss} (b, q, t, f)
   * @param resourceTypes {@code srt} (s, c, o)
   * @param permissions {@code sp}
   * @param ipRange {@code sip}, or null for any address
   * @param httpsOnly {@code spr=https}
   * @param encryptionScope signed {@code ses}, or null
   */
  record AccountSas(
      String account,
      String services,
      String resourceTypes,
      String permissions,
      IpRange ipRange,
      boolean httpsOnly,
      String encryptionScope)
      implements Principal {}
}
