package io.cobalt.gateway.blob;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A blob index tag expression (ADR 0018), as Azure documents it for Find Blobs by Tags
 * ({@code where=}) and the {@code x-ms-if-tags} header: comparisons {@code "key" op 'value'} joined
 * by {@code AND}; a key is double-quoted, a value single-quoted ({@code ''} inside a value is no
 * escape Azure documents, so quotes are not allowed in either: tag characters exclude them).
 *
 * <ul>
 *   <li>Find Blobs by Tags: {@code = > >= < <=}, {@code AND}, and {@code @container = 'name'}
 *       (account level only).
 *   <li>x-ms-if-tags: also {@code <>}, {@code OR} and parentheses; no {@code @container}.
 * </ul>
 *
 * Values compare as strings, by code unit (tags are ASCII, so by byte). A comparison on a key the
 * blob does not have is false. Anything else is a syntax error ({@link Invalid}), which the caller
 * maps to Azure's 400 for the parameter or header.
 */
final class TagExpression {
  /** Where the expression comes from: what it may use. */
  enum Dialect { FIND_IN_ACCOUNT, FIND_IN_CONTAINER, IF_TAGS }

  /** An expression of at most this many characters (Azure's header and query limits are larger). */
  static final int MAX_CHARS = 4096;
  /** Comparisons in one expression: Find allows at most 10 tag comparisons, one per tag and bound. */
  static final int MAX_COMPARISONS = 32;

  /** A malformed expression. */
  static final class Invalid extends RuntimeException {
    Invalid(String message) {
      super(message, null, false, false);
    }
  }

  private sealed interface Node permits Compare, And, Or {}

  private record Compare(String key, String op, String value) implements Node {}

  private record And(Node left, Node right) implements Node {}

  private record Or(Node left, Node right) implements Node {}

  private final Node root;
  private final String container;
  private final Set<String> keys;

  private TagExpression(Node root, String container, Set<String> keys) {
    this.root = root;
    this.container = container;
    this.keys = keys;
  }

  /** @throws Invalid if {@code text} is not an expression of {@code dialect} */
  static TagExpression parse(String text, Dialect dialect) {
    if (text == null || text.isBlank() || text.length() > MAX_CHARS) {
      throw new Invalid("empty or too long");
    }
    Parser p = new Parser(tokens(text), dialect);
    Node root = p.expression(0);
    if (p.pos != p.tokens.size()) {
      throw new Invalid("unexpected " + p.tokens.get(p.pos).text);
    }
    if (p.comparisons == 0) {
      throw new Invalid("no tag comparison");
    }
    return new TagExpression(root, p.container, p.keys);
  }

  /** {@code @container = 'name'} of an account-level Find, or null. */
  String container() {
    return container;
  }

  /** The tag keys the expression names, in order of appearance (Find Blobs answers these tags). */
  Set<String> keys() {
    return keys;
  }

  boolean matches(Map<String, String> tags) {
    return eval(root, tags);
  }

  private static boolean eval(Node n, Map<String, String> tags) {
    if (n instanceof And a) {
      return eval(a.left(), tags) && eval(a.right(), tags);
    }
    if (n instanceof Or o) {
      return eval(o.left(), tags) || eval(o.right(), tags);
    }
    Compare c = (Compare) n;
    if (c.key() == null) {
      return true; // @container: the caller restricted the scan to that container
    }
    String v = tags.get(c.key());
    if (v == null) {
      return false;
    }
    int cmp = v.compareTo(c.value());
    return switch (c.op()) {
      case "=" -> cmp == 0;
      case "<>" -> cmp != 0;
      case ">" -> cmp > 0;
      case ">=" -> cmp >= 0;
      case "<" -> cmp < 0;
      case "<=" -> cmp <= 0;
      default -> throw new IllegalStateException(c.op());
    };
  }

  private enum Kind { KEY, VALUE, OP, WORD, OPEN, CLOSE, AT }

  private record Token(Kind kind, String text) {}

  private static List<Token> tokens(String s) {
    List<Token> out = new ArrayList<>();
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c == ' ' || c == '\t') {
        i++;
      } else if (c == '"' || c == '\'') {
        int end = s.indexOf(c, i + 1);
        if (end < 0) {
          throw new Invalid("unterminated quote");
        }
        out.add(new Token(c == '"' ? Kind.KEY : Kind.VALUE, s.substring(i + 1, end)));
        i = end + 1;
      } else if (c == '(' || c == ')') {
        out.add(new Token(c == '(' ? Kind.OPEN : Kind.CLOSE, String.valueOf(c)));
        i++;
      } else if (c == '=' || c == '<' || c == '>') {
        String op = s.startsWith("<>", i) || s.startsWith("<=", i) || s.startsWith(">=", i)
            ? s.substring(i, i + 2) : String.valueOf(c);
        out.add(new Token(Kind.OP, op));
        i += op.length();
      } else if (c == '@') {
        int end = i + 1;
        while (end < s.length() && Character.isLetter(s.charAt(end))) {
          end++;
        }
        out.add(new Token(Kind.AT, s.substring(i, end)));
        i = end;
      } else if (Character.isLetter(c)) {
        int end = i;
        while (end < s.length() && Character.isLetter(s.charAt(end))) {
          end++;
        }
        out.add(new Token(Kind.WORD, s.substring(i, end).toUpperCase(Locale.ROOT)));
        i = end;
      } else {
        throw new Invalid("unexpected character at " + i);
      }
    }
    return out;
  }

  private static final class Parser {
    final List<Token> tokens;
    final Dialect dialect;
    int pos;
    int comparisons;
    String container;
    final Set<String> keys = new LinkedHashSet<>();

    Parser(List<Token> tokens, Dialect dialect) {
      this.tokens = tokens;
      this.dialect = dialect;
    }

    private Token peek() {
      return pos < tokens.size() ? tokens.get(pos) : null;
    }

    private Token next(Kind kind) {
      Token t = peek();
      if (t == null || t.kind() != kind) {
        throw new Invalid("expected " + kind);
      }
      pos++;
      return t;
    }

    private boolean word(String w) {
      Token t = peek();
      if (t != null && t.kind() == Kind.WORD && t.text().equals(w)) {
        pos++;
        return true;
      }
      return false;
    }

    /** expression := conjunction (OR conjunction)*; OR and parentheses only in x-ms-if-tags. */
    Node expression(int depth) {
      if (depth > 8) {
        throw new Invalid("nested too deeply");
      }
      Node left = conjunction(depth);
      while (word("OR")) {
        if (dialect != Dialect.IF_TAGS) {
          throw new Invalid("OR is not supported here");
        }
        left = new Or(left, conjunction(depth));
      }
      return left;
    }

    Node conjunction(int depth) {
      Node left = factor(depth);
      while (word("AND")) {
        left = new And(left, factor(depth));
      }
      return left;
    }

    Node factor(int depth) {
      Token t = peek();
      if (t != null && t.kind() == Kind.OPEN) {
        if (dialect != Dialect.IF_TAGS) {
          throw new Invalid("parentheses are not supported here");
        }
        pos++;
        Node inner = expression(depth + 1);
        next(Kind.CLOSE);
        return inner;
      }
      if (t != null && t.kind() == Kind.AT) {
        if (dialect != Dialect.FIND_IN_ACCOUNT || !t.text().equalsIgnoreCase("@container") || container != null) {
          throw new Invalid("@container is not supported here");
        }
        pos++;
        if (!next(Kind.OP).text().equals("=")) {
          throw new Invalid("@container takes =");
        }
        String name = next(Kind.VALUE).text();
        if (name.isEmpty()) {
          throw new Invalid("empty container name");
        }
        container = name;
        return new Compare(null, "=", name);
      }
      String key = next(Kind.KEY).text();
      String op = next(Kind.OP).text();
      String value = next(Kind.VALUE).text();
      if (op.equals("<>") && dialect != Dialect.IF_TAGS) {
        throw new Invalid("<> is not supported here");
      }
      if (key.isEmpty() || key.length() > BlobTags.MAX_KEY_CHARS || !BlobTags.validChars(key)
          || value.length() > BlobTags.MAX_VALUE_CHARS || !BlobTags.validChars(value)) {
        throw new Invalid("not a tag key or value");
      }
      if (++comparisons > MAX_COMPARISONS) {
        throw new Invalid("too many comparisons");
      }
      keys.add(key);
      return new Compare(key, op, value);
    }
  }
}
