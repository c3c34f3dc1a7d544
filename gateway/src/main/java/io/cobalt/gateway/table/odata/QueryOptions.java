package io.cobalt.gateway.table.odata;

import io.cobalt.gateway.table.edm.Entity;
import io.cobalt.gateway.table.edm.TableInputException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * A Query Entities request's {@code $filter}, {@code $select} and {@code $top}, each optional.
 *
 * @param filter the filter, or null to match every entity
 * @param select the selected property names in request order without repeats, or null for all
 * @param top the most entities per page, 1..1000, or null for the service's page size
 */
public record QueryOptions(Filter filter, List<String> select, Integer top) {

  /** The most entities a page holds, and the largest {@code $top}. */
  public static final int MAX_PAGE_SIZE = 1000;

  public QueryOptions {
    select = select == null ? null : List.copyOf(select);
  }

  /** Parses the raw (URL-decoded) query parameter values; null means the parameter was absent. */
  public static QueryOptions parse(String filter, String select, String top) {
    return new QueryOptions(
        filter == null || filter.isBlank() ? null : Filter.parse(filter),
        select == null ? null : parseSelect(select),
        top == null ? null : parseTop(top));
  }

  /**
   * A {@code $select} list: comma-separated property names (blanks around names ignored), each a
   * valid property name (system ones included); InvalidInput otherwise. A blank value selects all
   * (null).
   */
  public static List<String> parseSelect(String select) {
    LinkedHashSet<String> names = new LinkedHashSet<>();
    if (select.isBlank()) {
      return null;
    }
    for (String part : select.split(",", -1)) {
      String name = part.trim();
      if (!Entity.isValidPropertyName(name)) {
        throw TableInputException.invalidInput("$select names an invalid property: '" + name + "'");
      }
      names.add(name);
    }
    return new ArrayList<>(names);
  }

  /** A {@code $top}: a decimal integer from 1 to {@value #MAX_PAGE_SIZE}; InvalidInput otherwise. */
  public static int parseTop(String top) {
    String t = top.trim();
    if (!t.matches("[0-9]{1,9}")) {
      throw TableInputException.invalidInput("$top is not a positive integer: " + top);
    }
    int n = Integer.parseInt(t);
    if (n < 1 || n > MAX_PAGE_SIZE) {
      throw TableInputException.invalidInput("$top must be 1.." + MAX_PAGE_SIZE + ": " + top);
    }
    return n;
  }
}
