package io.cobalt.gateway.table.odata;

import io.cobalt.gateway.table.edm.EdmValue;
import java.util.Optional;

/**
 * An interval of key values (strings, ordinal order), each bound open, closed or absent; or the
 * empty interval. Derived from a filter by {@link Filter#partitionKeyRange()}, it tells a query
 * engine which partitions can hold matches: {@link #exact()} names the one PartitionKey an
 * equality pins.
 *
 * @param lower the lower bound, or null for none
 * @param upper the upper bound, or null for none
 */
public record KeyRange(
    String lower, boolean lowerInclusive, String upper, boolean upperInclusive, boolean isEmpty) {

  private static final KeyRange EMPTY = new KeyRange(null, false, null, false, true);
  private static final KeyRange ALL = new KeyRange(null, false, null, false, false);

  public static KeyRange exactly(String key) {
    return new KeyRange(key, true, key, true, false);
  }

  /** The one key this range holds, if it holds exactly one. */
  public Optional<String> exact() {
    return !isEmpty && lower != null && lower.equals(upper) && lowerInclusive && upperInclusive
        ? Optional.of(lower)
        : Optional.empty();
  }

  public boolean contains(String key) {
    if (isEmpty) {
      return false;
    }
    if (lower != null) {
      int c = key.compareTo(lower);
      if (c < 0 || (c == 0 && !lowerInclusive)) {
        return false;
      }
    }
    if (upper != null) {
      int c = key.compareTo(upper);
      return c < 0 || (c == 0 && upperInclusive);
    }
    return true;
  }

  private boolean isAll() {
    return !isEmpty && lower == null && upper == null;
  }

  /** The range a filter confines a key property to; empty Optional if it does not confine it. */
  static Optional<KeyRange> implied(FilterExpression expression, String keyProperty) {
    KeyRange range = of(expression, keyProperty, false);
    return range.isAll() ? Optional.empty() : Optional.of(range);
  }

  /**
   * The range of key values an entity matching {@code expression} (or, when {@code negated}, not
   * matching it) can have. Sound, not always tight: a disjunction yields the hull of its parts. The
   * key is always present and always a string, so a negated key comparison is its complement
   * ({@code not (K lt v)} is {@code K ge v}) and a key compared with a non-string literal never
   * matches.
   */
  private static KeyRange of(FilterExpression e, String key, boolean negated) {
    if (e instanceof FilterExpression.Not n) {
      return of(n.operand(), key, !negated);
    }
    if (e instanceof FilterExpression.And a) {
      KeyRange l = of(a.left(), key, negated);
      KeyRange r = of(a.right(), key, negated);
      return negated ? l.hull(r) : l.intersect(r);
    }
    if (e instanceof FilterExpression.Or o) {
      KeyRange l = of(o.left(), key, negated);
      KeyRange r = of(o.right(), key, negated);
      return negated ? l.intersect(r) : l.hull(r);
    }
    FilterExpression.Comparison c = (FilterExpression.Comparison) e;
    if (!c.property().equals(key)) {
      return ALL;
    }
    if (!(c.literal() instanceof EdmValue.EdmString s)) {
      return negated ? ALL : EMPTY;
    }
    String v = s.value();
    ComparisonOperator op = negated ? c.operator().complement() : c.operator();
    switch (op) {
      case EQ:
        return exactly(v);
      case NE:
        return ALL;
      case GT:
        return new KeyRange(v, false, null, false, false);
      case GE:
        return new KeyRange(v, true, null, false, false);
      case LT:
        return new KeyRange(null, false, v, false, false);
      case LE:
        return new KeyRange(null, false, v, true, false);
      default:
        throw new IllegalStateException();
    }
  }

  KeyRange intersect(KeyRange o) {
    if (isEmpty || o.isEmpty) {
      return EMPTY;
    }
    String lo = lower;
    boolean loIn = lowerInclusive;
    if (o.lower != null) {
      int c = lo == null ? -1 : lo.compareTo(o.lower);
      if (c < 0) {
        lo = o.lower;
        loIn = o.lowerInclusive;
      } else if (c == 0) {
        loIn = loIn && o.lowerInclusive;
      }
    }
    String hi = upper;
    boolean hiIn = upperInclusive;
    if (o.upper != null) {
      int c = hi == null ? 1 : hi.compareTo(o.upper);
      if (c > 0) {
        hi = o.upper;
        hiIn = o.upperInclusive;
      } else if (c == 0) {
        hiIn = hiIn && o.upperInclusive;
      }
    }
    if (lo != null && hi != null) {
      int c = lo.compareTo(hi);
      if (c > 0 || (c == 0 && !(loIn && hiIn))) {
        return EMPTY;
      }
    }
    return new KeyRange(lo, loIn, hi, hiIn, false);
  }

  KeyRange hull(KeyRange o) {
    if (isEmpty) {
      return o;
    }
    if (o.isEmpty) {
      return this;
    }
    String lo;
    boolean loIn;
    if (lower == null || o.lower == null) {
      lo = null;
      loIn = false;
    } else {
      int c = lower.compareTo(o.lower);
      lo = c <= 0 ? lower : o.lower;
      loIn = c < 0 ? lowerInclusive : c > 0 ? o.lowerInclusive : lowerInclusive || o.lowerInclusive;
    }
    String hi;
    boolean hiIn;
    if (upper == null || o.upper == null) {
      hi = null;
      hiIn = false;
    } else {
      int c = upper.compareTo(o.upper);
      hi = c >= 0 ? upper : o.upper;
      hiIn = c > 0 ? upperInclusive : c < 0 ? o.upperInclusive : upperInclusive || o.upperInclusive;
    }
    return new KeyRange(lo, loIn, hi, hiIn, false);
  }
}
