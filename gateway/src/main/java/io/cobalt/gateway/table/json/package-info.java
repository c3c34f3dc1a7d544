/**
 * The Table service's JSON entity payloads: {@link io.cobalt.gateway.table.json.EntityJsonCodec}
 * reads an entity from a request body as Azure does ({@code Prop@odata.type} annotations, untyped
 * numbers, strings and booleans) and writes entities in the three {@link
 * io.cobalt.gateway.table.json.ODataMetadata} levels.
 *
 * <p>JDK only, with its own small JSON reader: Vert.x's {@code JsonObject} keeps the last of two
 * equal member names where Azure answers DuplicatePropertiesSpecified, and the node may reuse this
 * package. docs/table-query.md records which annotations each level carries and why.
 */
package io.cobalt.gateway.table.json;
