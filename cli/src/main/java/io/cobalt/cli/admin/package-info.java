/**
 * {@code cobalt admin}: operator commands. {@code audit verify} checks an audit log's hash chain;
 * {@code keys ...} drives a kms-agent's key lifecycle over mutual TLS with an admin identity;
 * {@code cluster status} asks every node for its partition groups and reports members, leaders and
 * under-replicated partitions ({@link io.cobalt.cli.admin.ClusterHealth}).
 */
package io.cobalt.cli.admin;
