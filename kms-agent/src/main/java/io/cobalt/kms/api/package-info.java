/**
 * The agent's gRPC surface ({@code cobalt.kms.v1.KeyAgent}): the caller's identity comes from its
 * TLS client certificate ({@link io.cobalt.kms.api.CallerIdentityInterceptor}); each call is
 * authorized by the policy, served by the key service, and its failure mapped to a canonical gRPC
 * status (with the stable failure kind in the {@code cobalt-kms-code} trailer). The only package
 * besides the wiring that imports {@code io.grpc}.
 */
package io.cobalt.kms.api;
