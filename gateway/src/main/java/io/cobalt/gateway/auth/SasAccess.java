package io.cobalt.gateway.auth;

import io.cobalt.gateway.http.AzureError;
import java.util.Locale;

/**
 * What a verified Table or Queue SAS lets a request do: the operation asks, this answers with 403
 * when the SAS does not allow it. A service SAS is bound to one table ({@code tn}, and optionally
 * an entity key range {@code spk}/{@code srk} .. {@code epk}/{@code erk}) or one queue; an account
 * SAS to resource types ({@code srt}). Source IP and protocol were checked when it was made.
 *
 * @param accountSas true for an account SAS ({@code ss}/{@code srt}), false for a service SAS
 * @param permissions the effective {@code sp}
 * @param resourceTypes {@code srt} (account SAS), else null
 * @param resource the table ({@code tn}) or queue a service SAS was issued for, else null
 * @param startPk {@code spk} (table service SAS), or null: the range is open below
 * @param startRk {@code srk}, or null
 * @param endPk {@code epk}, or null: the range is open above
 * @param endRk {@code erk}, or null
 */
public record SasAccess(
    boolean accountSas,
    String permissions,
    String resourceTypes,
    String resource,
    String startPk,
    String startRk,
    String endPk,
    String endRk) {

  /** Resource types of an account SAS. */
  public static final char SERVICE = 's';
  public static final char CONTAINER = 'c';
  public static final char OBJECT = 'o';

  /**
   * Requires one of {@code anyOf} permissions, on a resource of type {@code resourceType} named
   * {@code name} (a table or queue; null for the service itself).
   */
  public void require(char resourceType, String name, String anyOf) {
    if (accountSas) {
      if (resourceTypes.indexOf(resourceType) < 0) {
        throw AzureError.AUTHORIZATION_RESOURCE_TYPE_MISMATCH.exception();
      }
    } else if (resourceType != OBJECT || name == null || !name.toLowerCase(Locale.ROOT)
        .equals(resource.toLowerCase(Locale.ROOT))) {
      // A table or queue service SAS covers the entities or messages of its own resource only.
      throw AzureError.AUTHORIZATION_FAILURE.exception();
    }
    for (int i = 0; i < anyOf.length(); i++) {
      if (permissions.indexOf(anyOf.charAt(i)) >= 0) {
        return;
      }
    }
    throw AzureError.AUTHORIZATION_PERMISSION_MISMATCH.exception();
  }

  /** Whether the SAS limits which entities it reaches. */
  public boolean hasKeyRange() {
    return startPk != null || endPk != null;
  }

  /** 403 AuthorizationFailure unless the entity lies in the SAS's key range (inclusive bounds, as Azure). */
  public void requireEntity(String partitionKey, String rowKey) {
    if (!inRange(partitionKey, rowKey)) {
      throw AzureError.AUTHORIZATION_FAILURE.exception();
    }
  }

  boolean inRange(String pk, String rk) {
    if (startPk != null) {
      int c = pk.compareTo(startPk);
      if (c < 0 || (c == 0 && startRk != null && rk.compareTo(startRk) < 0)) {
        return false;
      }
    }
    if (endPk != null) {
      int c = pk.compareTo(endPk);
      if (c > 0 || (c == 0 && endRk != null && rk.compareTo(endRk) > 0)) {
        return false;
      }
    }
    return true;
  }

  /**
   * A Query Entities filter limited to the key range: the client's filter (or none) and'ed with
   * the range as OData comparisons, so a query sees only the entities the SAS reaches.
   */
  public String restrictFilter(String filter) {
    if (!hasKeyRange()) {
      return filter;
    }
    StringBuilder range = new StringBuilder();
    if (startPk != null) {
      range.append("(PartitionKey gt ").append(literal(startPk)).append(" or (PartitionKey eq ")
          .append(literal(startPk)).append(startRk == null ? "" : " and RowKey ge " + literal(startRk)).append("))");
    }
    if (endPk != null) {
      if (range.length() > 0) {
        range.append(" and ");
      }
      range.append("(PartitionKey lt ").append(literal(endPk)).append(" or (PartitionKey eq ")
          .append(literal(endPk)).append(endRk == null ? "" : " and RowKey le " + literal(endRk)).append("))");
    }
    return filter == null || filter.isBlank() ? range.toString() : "(" + filter + ") and " + range;
  }

  private static String literal(String s) {
    return "'" + s.replace("'", "''") + "'";
  }
}
