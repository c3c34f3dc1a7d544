package io.cobalt.gateway.table.odata;

import io.cobalt.gateway.table.edm.EdmValue;
import io.cobalt.gateway.table.edm.TableInputException;

/**
 * Recursive descent over OData's precedence, loosest first: {@code or}, {@code and}, comparison,
 * {@code not}, then a parenthesized expression or an operand.
 *
 * <pre>
 * filter     = or END
 * or         = and *("or" and)
 * and        = comparison *("and" comparison)
 * comparison = unary [("eq"|"ne"|"gt"|"ge"|"lt"|"le") unary]
 * unary      = "not" unary | primary
 * primary    = "(" or ")" | property | literal
 * </pre>
 *
 * As in OData, {@code not} binds tighter than a comparison, so {@code not X eq 1} negates {@code X}
 * alone and is rejected (Azure's subset has no boolean-valued operands); write {@code not (X eq
 * 1)}. A comparison must set one property against one literal; every other shape is InvalidInput.
 */
final class FilterParser {

  /** A node before typing: an operand, or a finished boolean expression. */
  private sealed interface Node {}

  private record PropertyNode(String name, int position) implements Node {}

  private record LiteralNode(EdmValue value, int position) implements Node {}

  private record BooleanNode(FilterExpression expression) implements Node {}

  private final FilterLexer lexer;
  private final FilterLimits limits;
  private FilterLexer.Token current;
  private int comparisons;

  private FilterParser(String text, FilterLimits limits) {
    this.lexer = new FilterLexer(text);
    this.limits = limits;
    this.current = lexer.next();
  }

  static Filter parse(String text, FilterLimits limits) {
    if (text.length() > limits.maxChars()) {
      throw TableInputException.invalidInput(
          "$filter is " + text.length() + " characters, at most " + limits.maxChars());
    }
    FilterParser parser = new FilterParser(text, limits);
    if (parser.current.kind() == FilterLexer.Kind.END) {
      throw TableInputException.invalidInput("$filter is empty");
    }
    Node root = parser.or(0);
    if (parser.current.kind() != FilterLexer.Kind.END) {
      throw FilterLexer.error(
          parser.current.position(), "unexpected " + parser.current.describe());
    }
    return new Filter(text, condition(root, 0), parser.comparisons);
  }

  private void advance() {
    current = lexer.next();
  }

  private Node or(int depth) {
    Node left = and(depth);
    while (current.isKeyword("or")) {
      int position = current.position();
      advance();
      Node right = and(depth);
      left = new BooleanNode(
          new FilterExpression.Or(condition(left, position), condition(right, position)));
    }
    return left;
  }

  private Node and(int depth) {
    Node left = comparison(depth);
    while (current.isKeyword("and")) {
      int position = current.position();
      advance();
      Node right = comparison(depth);
      left = new BooleanNode(
          new FilterExpression.And(condition(left, position), condition(right, position)));
    }
    return left;
  }

  private Node comparison(int depth) {
    Node left = unary(depth);
    ComparisonOperator op =
        current.kind() == FilterLexer.Kind.WORD
            ? ComparisonOperator.fromKeyword(current.text())
            : null;
    if (op == null) {
      return left;
    }
    int position = current.position();
    advance();
    Node right = unary(depth);
    if (++comparisons > limits.maxComparisons()) {
      throw FilterLexer.error(
          position, "more than " + limits.maxComparisons() + " comparisons");
    }
    if (left instanceof PropertyNode p && right instanceof LiteralNode l) {
      return new BooleanNode(new FilterExpression.Comparison(p.name(), op, l.value()));
    }
    if (left instanceof LiteralNode l && right instanceof PropertyNode p) {
      return new BooleanNode(new FilterExpression.Comparison(p.name(), op.mirrored(), l.value()));
    }
    throw FilterLexer.error(position, "a comparison sets one property against one literal");
  }

  private Node unary(int depth) {
    if (current.isKeyword("not")) {
      int position = current.position();
      checkDepth(depth + 1, position);
      advance();
      Node operand = unary(depth + 1);
      return new BooleanNode(new FilterExpression.Not(condition(operand, position)));
    }
    return primary(depth);
  }

  private Node primary(int depth) {
    FilterLexer.Token token = current;
    switch (token.kind()) {
      case OPEN: {
        checkDepth(depth + 1, token.position());
        advance();
        Node inner = or(depth + 1);
        if (current.kind() != FilterLexer.Kind.CLOSE) {
          throw FilterLexer.error(current.position(), "expected ')' but found " + current.describe());
        }
        advance();
        // A parenthesized operand stays an operand: (X) eq 1 is X eq 1.
        return inner;
      }
      case LITERAL:
        advance();
        return new LiteralNode(token.literal(), token.position());
      case WORD:
        if (isKeyword(token.text())) {
          if (token.isKeyword("true") || token.isKeyword("false")) {
            advance();
            return new LiteralNode(
                new EdmValue.EdmBoolean(token.isKeyword("true")), token.position());
          }
          throw FilterLexer.error(token.position(), "unexpected keyword " + token.describe());
        }
        advance();
        return new PropertyNode(token.text(), token.position());
      default:
        throw FilterLexer.error(token.position(), "unexpected " + token.describe());
    }
  }

  private static boolean isKeyword(String word) {
    switch (word.toLowerCase(java.util.Locale.ROOT)) {
      case "and":
      case "or":
      case "not":
      case "true":
      case "false":
      case "eq":
      case "ne":
      case "gt":
      case "ge":
      case "lt":
      case "le":
        return true;
      default:
        return false;
    }
  }

  private void checkDepth(int depth, int position) {
    if (depth > limits.maxDepth()) {
      throw FilterLexer.error(position, "nested deeper than " + limits.maxDepth());
    }
  }

  /** The node as a condition; a bare property or literal is not one in Azure's subset. */
  private static FilterExpression condition(Node node, int position) {
    if (node instanceof BooleanNode b) {
      return b.expression();
    }
    int at = node instanceof PropertyNode p ? p.position() : ((LiteralNode) node).position();
    throw FilterLexer.error(at, "expected a comparison");
  }
}
