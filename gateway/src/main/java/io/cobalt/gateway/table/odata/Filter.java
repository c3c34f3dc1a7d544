package io.cobalt.gateway.table.odata;

import io.cobalt.gateway.table.edm.Entity;
import java.util.Optional;

/**
 * A parsed {@code $filter}. Parse failures and exceeded {@link FilterLimits} are {@link
 * io.cobalt.gateway.table.edm.TableInputException}s with code InvalidInput.
 */
public final class Filter {

  private final String text;
  private final FilterExpression expression;
  private final int comparisons;

  Filter(String text, FilterExpression expression, int comparisons) {
    this.text = text;
    this.expression = expression;
    this.comparisons = comparisons;
  }

  /** Parses within Azure's limits ({@link FilterLimits#AZURE}). */
  public static Filter parse(String text) {
    return parse(text, FilterLimits.AZURE);
  }

  public static Filter parse(String text, FilterLimits limits) {
    return FilterParser.parse(text, limits);
  }

  public boolean matches(Entity entity) {
    return expression.matches(entity);
  }

  public FilterExpression expression() {
    return expression;
  }

  /** How many comparisons the filter has (at most {@link FilterLimits#maxComparisons()}). */
  public int comparisons() {
    return comparisons;
  }

  /**
   * The PartitionKey values the filter can match, if it constrains them: every entity the filter
   * matches has a PartitionKey inside the range. Empty when the filter does not bound the
   * PartitionKey; an {@link KeyRange#isEmpty() empty} range when no entity can match.
   */
  public Optional<KeyRange> partitionKeyRange() {
    return KeyRange.implied(expression, Entity.PARTITION_KEY);
  }

  /** As {@link #partitionKeyRange()} for the RowKey. */
  public Optional<KeyRange> rowKeyRange() {
    return KeyRange.implied(expression, Entity.ROW_KEY);
  }

  /** The filter text as given. */
  public String text() {
    return text;
  }

  @Override
  public String toString() {
    return expression.toFilterText();
  }
}
