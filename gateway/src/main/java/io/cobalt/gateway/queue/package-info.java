/**
 * The Azure Queue service (issue 6; ADR 0009): queues and messages, bodies sealed with
 * {@link io.cobalt.gateway.encryption.MessageCipher}. First slice: the wire names of messages;
 * the endpoint's handlers come next.
 */
package io.cobalt.gateway.queue;
