package io.cobalt.gateway.table.odata;

import io.cobalt.gateway.table.edm.EdmValue;
import io.cobalt.gateway.table.edm.Entity;
import io.cobalt.gateway.table.edm.TableInputException;
import java.util.HexFormat;
import java.util.Locale;

/** Splits filter text into tokens: parentheses, words (names and keywords) and literals. */
final class FilterLexer {

  enum Kind {
    OPEN,
    CLOSE,
    /** A property name or keyword; {@link Token#text} holds it. */
    WORD,
    /** A literal; {@link Token#literal} holds its typed value. */
    LITERAL,
    END
  }

  record Token(Kind kind, int position, String text, EdmValue literal) {
    boolean isKeyword(String keyword) {
      return kind == Kind.WORD && text.equalsIgnoreCase(keyword);
    }

    String describe() {
      switch (kind) {
        case END:
          return "end of filter";
        case LITERAL:
          return "literal " + ODataLiterals.format(literal);
        default:
          return "'" + text + "'";
      }
    }
  }

  private final String text;
  private int pos;

  FilterLexer(String text) {
    this.text = text;
  }

  Token next() {
    while (pos < text.length() && isWhitespace(text.charAt(pos))) {
      pos++;
    }
    int start = pos;
    if (pos >= text.length()) {
      return new Token(Kind.END, start, "", null);
    }
    char c = text.charAt(pos);
    if (c == '(') {
      pos++;
      return new Token(Kind.OPEN, start, "(", null);
    }
    if (c == ')') {
      pos++;
      return new Token(Kind.CLOSE, start, ")", null);
    }
    if (c == '\'') {
      return new Token(Kind.LITERAL, start, null, new EdmValue.EdmString(quoted(start)));
    }
    if (c == '-' || isDigit(c)) {
      return new Token(Kind.LITERAL, start, null, number(start));
    }
    int cp = text.codePointAt(pos);
    if (cp == '_' || Entity.isLetter(cp)) {
      while (pos < text.length() && Entity.isIdentifierPart(text.codePointAt(pos))) {
        pos += Character.charCount(text.codePointAt(pos));
      }
      String word = text.substring(start, pos);
      if (pos < text.length() && text.charAt(pos) == '\'') {
        return new Token(Kind.LITERAL, start, null, typedLiteral(word, start));
      }
      return new Token(Kind.WORD, start, word, null);
    }
    throw error(start, "unexpected character '" + c + "'");
  }

  /** The body of a quoted literal starting at {@code start}, with {@code ''} unescaped. */
  private String quoted(int start) {
    pos++;
    StringBuilder sb = new StringBuilder();
    while (true) {
      if (pos >= text.length()) {
        throw error(start, "unterminated string literal");
      }
      char c = text.charAt(pos++);
      if (c == '\'') {
        if (pos < text.length() && text.charAt(pos) == '\'') {
          sb.append('\'');
          pos++;
        } else {
          return sb.toString();
        }
      } else {
        sb.append(c);
      }
    }
  }

  private EdmValue typedLiteral(String prefix, int start) {
    String body = quoted(pos);
    switch (prefix.toLowerCase(Locale.ROOT)) {
      case "datetime":
        try {
          return EdmValue.EdmDateTime.parse(body);
        } catch (TableInputException e) {
          throw error(start, e.getMessage());
        }
      case "guid":
        try {
          return EdmValue.EdmGuid.parse(body);
        } catch (TableInputException e) {
          throw error(start, e.getMessage());
        }
      case "x":
      case "binary":
        if (body.length() % 2 != 0) {
          throw error(start, "binary literal with an odd number of hex digits");
        }
        try {
          return new EdmValue.EdmBinary(HexFormat.of().parseHex(body));
        } catch (IllegalArgumentException e) {
          throw error(start, "binary literal with a non-hex digit");
        }
      default:
        throw error(start, "unknown literal type " + prefix);
    }
  }

  /**
   * {@code -?digits[.digits][(e|E)[+-]digits]} then an optional suffix: {@code L} for an Int64
   * (integers only), {@code D} for a Double. Without a suffix, a number with a fraction or exponent
   * is a Double, an integer an Int32 (InvalidInput if it does not fit).
   */
  private EdmValue number(int start) {
    if (text.charAt(pos) == '-') {
      pos++;
    }
    int digits = skipDigits();
    if (digits == 0) {
      throw error(start, "'-' without digits");
    }
    boolean integral = true;
    if (pos < text.length() && text.charAt(pos) == '.') {
      pos++;
      integral = false;
      if (skipDigits() == 0) {
        throw error(start, "no digits after the decimal point");
      }
    }
    if (pos < text.length() && (text.charAt(pos) == 'e' || text.charAt(pos) == 'E')) {
      pos++;
      integral = false;
      if (pos < text.length() && (text.charAt(pos) == '+' || text.charAt(pos) == '-')) {
        pos++;
      }
      if (skipDigits() == 0) {
        throw error(start, "no digits in the exponent");
      }
    }
    String number = text.substring(start, pos);
    char suffix = pos < text.length() ? text.charAt(pos) : '\0';
    if (suffix == 'L' || suffix == 'l') {
      pos++;
      requireDelimiter(start);
      if (!integral) {
        throw error(start, "Int64 literal with a fraction or exponent: " + number);
      }
      try {
        return new EdmValue.EdmInt64(Long.parseLong(number));
      } catch (NumberFormatException e) {
        throw error(start, "Int64 literal out of range: " + number);
      }
    }
    boolean doubleSuffix = suffix == 'D' || suffix == 'd';
    if (doubleSuffix) {
      pos++;
    }
    requireDelimiter(start);
    if (integral && !doubleSuffix) {
      try {
        return new EdmValue.EdmInt32(Integer.parseInt(number));
      } catch (NumberFormatException e) {
        throw error(start, "Int32 literal out of range (an Int64 needs the L suffix): " + number);
      }
    }
    double d = Double.parseDouble(number);
    if (Double.isInfinite(d)) {
      throw error(start, "Double literal out of range: " + number);
    }
    return new EdmValue.EdmDouble(d);
  }

  /** A number must not run into a name: {@code 12abc} is not two tokens. */
  private void requireDelimiter(int start) {
    if (pos < text.length() && Entity.isIdentifierPart(text.codePointAt(pos))) {
      throw error(start, "malformed number");
    }
  }

  private int skipDigits() {
    int n = 0;
    while (pos < text.length() && isDigit(text.charAt(pos))) {
      pos++;
      n++;
    }
    return n;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static boolean isWhitespace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
  }

  static TableInputException error(int position, String what) {
    return TableInputException.invalidInput("$filter at " + position + ": " + what);
  }
}
