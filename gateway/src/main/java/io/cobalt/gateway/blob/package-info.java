/**
 * The Blob service: one handler per operation family (containers, Put Blob, Get Blob / Get Blob
 * Properties, Delete Blob, List Blobs), their header and XML mapping, Azure's naming rules, and
 * the operation routing ({@link io.cobalt.gateway.blob.BlobOperations}).
 */
package io.cobalt.gateway.blob;
