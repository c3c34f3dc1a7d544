package io.cobalt.gateway.auth;

import java.time.Instant;

/**
 * A container's stored access policy (a signed identifier of its ACL). A service SAS with
 * {@code si} takes from it whatever of start, expiry and permissions it does not carry itself.
 * Each field may be null.
 */
public record StoredAccessPolicy(String permissions, Instant start, Instant expiry) {}
