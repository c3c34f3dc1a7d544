package io.cobalt.gateway.table.odata;

import io.cobalt.gateway.table.edm.EdmValue;
import io.cobalt.gateway.table.edm.Entity;
import java.util.Optional;

/**
 * A parsed {@code $filter}: a tree of and, or, not over comparisons of one property with one
 * literal. {@link #matches} evaluates it as Azure does: a comparison with a property the entity
 * lacks, or whose type differs from the literal's, is false (not an error); strings compare
 * ordinally (UTF-16 code units); doubles by IEEE 754 (NaN is equal to nothing, -0.0 equals 0.0).
 */
public sealed interface FilterExpression {

  boolean matches(Entity entity);

  /** The expression as filter text, fully parenthesized; {@link Filter#parse} reads it back. */
  String toFilterText();

  record And(FilterExpression left, FilterExpression right) implements FilterExpression {
    @Override
    public boolean matches(Entity entity) {
      return left.matches(entity) && right.matches(entity);
    }

    @Override
    public String toFilterText() {
      return "(" + left.toFilterText() + ") and (" + right.toFilterText() + ")";
    }
  }

  record Or(FilterExpression left, FilterExpression right) implements FilterExpression {
    @Override
    public boolean matches(Entity entity) {
      return left.matches(entity) || right.matches(entity);
    }

    @Override
    public String toFilterText() {
      return "(" + left.toFilterText() + ") or (" + right.toFilterText() + ")";
    }
  }

  record Not(FilterExpression operand) implements FilterExpression {
    @Override
    public boolean matches(Entity entity) {
      return !operand.matches(entity);
    }

    @Override
    public String toFilterText() {
      return "not (" + operand.toFilterText() + ")";
    }
  }

  /** {@code property op literal}; a literal written first is stored mirrored ({@code 5 lt X} as {@code X gt 5}). */
  record Comparison(String property, ComparisonOperator operator, EdmValue literal)
      implements FilterExpression {

    @Override
    public boolean matches(Entity entity) {
      Optional<EdmValue> value = entity.property(property);
      return value.isPresent() && compare(value.get(), operator, literal);
    }

    @Override
    public String toFilterText() {
      return property + " " + operator.keyword() + " " + ODataLiterals.format(literal);
    }
  }

  /** {@code value op literal} with Azure's typing: false whenever the two types differ. */
  static boolean compare(EdmValue value, ComparisonOperator op, EdmValue literal) {
    if (value.type() != literal.type()) {
      return false;
    }
    if (value instanceof EdmValue.EdmDouble d) {
      double a = d.value();
      double b = ((EdmValue.EdmDouble) literal).value();
      switch (op) {
        case EQ:
          return a == b;
        case NE:
          return a != b;
        case GT:
          return a > b;
        case GE:
          return a >= b;
        case LT:
          return a < b;
        case LE:
          return a <= b;
        default:
          throw new IllegalStateException();
      }
    }
    return op.holds(compareSameType(value, literal));
  }

  private static int compareSameType(EdmValue a, EdmValue b) {
    if (a instanceof EdmValue.EdmString x) {
      return x.value().compareTo(((EdmValue.EdmString) b).value());
    }
    if (a instanceof EdmValue.EdmInt32 x) {
      return Integer.compare(x.value(), ((EdmValue.EdmInt32) b).value());
    }
    if (a instanceof EdmValue.EdmInt64 x) {
      return Long.compare(x.value(), ((EdmValue.EdmInt64) b).value());
    }
    if (a instanceof EdmValue.EdmBoolean x) {
      return Boolean.compare(x.value(), ((EdmValue.EdmBoolean) b).value());
    }
    if (a instanceof EdmValue.EdmDateTime x) {
      return x.value().compareTo(((EdmValue.EdmDateTime) b).value());
    }
    if (a instanceof EdmValue.EdmGuid x) {
      // The canonical text order, which is .NET's Guid.CompareTo order.
      return x.format().compareTo(((EdmValue.EdmGuid) b).format());
    }
    if (a instanceof EdmValue.EdmBinary x) {
      return x.compareTo((EdmValue.EdmBinary) b);
    }
    throw new IllegalStateException(a.toString());
  }
}
