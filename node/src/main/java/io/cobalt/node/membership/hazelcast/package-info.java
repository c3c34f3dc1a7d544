/**
 * The membership on Hazelcast, open-source edition: the only package that imports
 * {@code com.hazelcast} (enforced by the cli module's LayeringTest). It uses Hazelcast for discovery,
 * failure detection and member attributes only; it creates no Hazelcast data structure, so there
 * is nothing in Hazelcast to lose and nothing secret on its unencrypted wire
 * (docs/adr/0006-hazelcast-membership-only.md).
 */
package io.cobalt.node.membership.hazelcast;
