/**
 * The Table service's data model: Azure's EDM property types as typed values ({@link
 * io.cobalt.gateway.table.edm.EdmValue}), the {@link io.cobalt.gateway.table.edm.Entity} with
 * Azure's limits on keys, property names, values and total size, and the {@link
 * io.cobalt.gateway.table.edm.TableInputException} that names the Azure error code a violation
 * answers with.
 *
 * <p>Depends on the JDK only, so the node's partition state machine can use the same types; see
 * docs/table-query.md for the limits and what was verified against Azure's documentation.
 */
package io.cobalt.gateway.table.edm;
