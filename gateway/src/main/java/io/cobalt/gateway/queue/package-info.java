/**
 * The Azure Queue service (issue 6; ADR 0009): queues and messages, bodies sealed with
 * {@link io.cobalt.gateway.encryption.MessageCipher}. So far: the wire names of messages, Azure's
 * checks of the query parameters and the XML bodies; the endpoint's handlers come next.
 */
package io.cobalt.gateway.queue;
