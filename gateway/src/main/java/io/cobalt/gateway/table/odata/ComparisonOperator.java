package io.cobalt.gateway.table.odata;

import java.util.Locale;

/** The six comparison operators of a {@code $filter}. */
public enum ComparisonOperator {
  EQ,
  NE,
  GT,
  GE,
  LT,
  LE;

  /** The operator's keyword, e.g. {@code eq}. */
  public String keyword() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The operator for the same comparison with its operands swapped ({@code 5 lt X} is {@code X gt 5}). */
  public ComparisonOperator mirrored() {
    switch (this) {
      case GT:
        return LT;
      case GE:
        return LE;
      case LT:
        return GT;
      case LE:
        return GE;
      default:
        return this;
    }
  }

  /** The complementary operator over totally ordered, present values ({@code not (X lt v)} is {@code X ge v}). */
  public ComparisonOperator complement() {
    switch (this) {
      case EQ:
        return NE;
      case NE:
        return EQ;
      case GT:
        return LE;
      case GE:
        return LT;
      case LT:
        return GE;
      case LE:
        return GT;
      default:
        throw new IllegalStateException();
    }
  }

  /** Whether a three-way comparison result satisfies this operator. */
  boolean holds(int comparison) {
    switch (this) {
      case EQ:
        return comparison == 0;
      case NE:
        return comparison != 0;
      case GT:
        return comparison > 0;
      case GE:
        return comparison >= 0;
      case LT:
        return comparison < 0;
      case LE:
        return comparison <= 0;
      default:
        throw new IllegalStateException();
    }
  }

  static ComparisonOperator fromKeyword(String word) {
    for (ComparisonOperator op : values()) {
      if (op.keyword().equalsIgnoreCase(word)) {
        return op;
      }
    }
    return null;
  }
}
