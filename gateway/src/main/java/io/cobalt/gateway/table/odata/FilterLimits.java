package io.cobalt.gateway.table.odata;

/**
 * Bounds on a {@code $filter}, checked while parsing (each excess is InvalidInput).
 *
 * @param maxChars longest filter text accepted
 * @param maxDepth deepest nesting of parentheses and {@code not}
 * @param maxComparisons most comparisons; Azure permits 15 "discrete comparisons" in a filter
 */
public record FilterLimits(int maxChars, int maxDepth, int maxComparisons) {

  /** 32 Ki characters (15 comparisons of 1 KiB keys with every character a doubled quote fit), depth 32, 15 comparisons. */
  public static final FilterLimits AZURE = new FilterLimits(32 * 1024, 32, 15);

  public FilterLimits {
    if (maxChars < 1 || maxDepth < 1 || maxComparisons < 1) {
      throw new IllegalArgumentException("limits must be positive");
    }
  }
}
