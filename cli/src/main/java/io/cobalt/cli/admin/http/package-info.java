/**
 * The HTTPS admin API (ADR 0033): JSON over mutual TLS in front of the kms-agent's {@code KeyAdmin}
 * API and the rewrap job, served by {@code cobalt admin serve}. Free of gRPC: it reaches the agent
 * through {@link io.cobalt.cli.admin.rpc.KeyAdminClient} and the nodes through
 * {@link io.cobalt.cli.admin.rewrap.RewrapJob.Partitions}.
 */
package io.cobalt.cli.admin.http;
