/**
 * The Azure Queue service (issue 6; ADR 0009): queues and messages, bodies sealed with
 * {@link io.cobalt.gateway.encryption.MessageCipher}. {@link io.cobalt.gateway.queue.QueueOperations}
 * routes a request to its handler ({@code QueuesHandler}: create, delete, metadata, list;
 * {@code MessagesHandler}: put, get, peek, update, delete, clear); {@link
 * io.cobalt.gateway.queue.QueueServices} stamps every command with the injected clock and draws the
 * ids and pop receipts from the injected randomness.
 */
package io.cobalt.gateway.queue;
