/**
 * One role per process: {@code cobalt init} writes a cluster's certificates, key files and one
 * config file per process; {@code cobalt kms-agent|node|gateway --config FILE} each run one role
 * from its file, with {@code COBALT_<KEY>} environment overrides, until SIGTERM/SIGINT.
 * {@link io.cobalt.cli.role.ProcessCluster} starts such a cluster from the packaged jar on this
 * machine (tests, chaos runs). No secret is read from a command line or printed: config files hold
 * paths to key files, never keys.
 */
package io.cobalt.cli.role;
