/**
 * The rewrap job (ADR 0013): walks every partition's stored wrapped DEKs, has the kms-agent rewrap
 * those not on the key's primary version, and swaps each replacement in with a compare-and-swap
 * command; resumable from a state file; reports a live-DEK census to the agent when complete.
 * Free of gRPC: it reaches the nodes and the agent through {@link io.cobalt.cli.admin.rewrap.RewrapJob.Partitions}
 * and {@link io.cobalt.cli.admin.rewrap.RewrapJob.Keys} (adapters in {@code io.cobalt.cli.admin.rpc}).
 */
package io.cobalt.cli.admin.rewrap;
