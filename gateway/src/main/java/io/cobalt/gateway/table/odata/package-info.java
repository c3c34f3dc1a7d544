/**
 * The OData query subset Azure's Table service supports: {@link
 * io.cobalt.gateway.table.odata.Filter} parses a {@code $filter} (comparisons eq, ne, gt, ge, lt,
 * le of a property with a typed literal; and, or, not; parentheses) within Azure's limits,
 * evaluates it against an {@link io.cobalt.gateway.table.edm.Entity} with Azure's typing rules, and
 * derives the PartitionKey (or RowKey) {@link io.cobalt.gateway.table.odata.KeyRange} it implies so
 * a query can be routed to one partition; {@link io.cobalt.gateway.table.odata.QueryOptions} adds
 * {@code $select} and {@code $top}.
 *
 * <p>JDK only. docs/table-query.md is the reference for the grammar, semantics and error codes.
 */
package io.cobalt.gateway.table.odata;
