/**
 * {@code cobalt admin}: operator commands. {@code audit verify} checks an audit log's hash chain;
 * {@code keys ...} drives a kms-agent's key lifecycle over mutual TLS with an admin identity.
 */
package io.cobalt.cli.admin;
