package io.cobalt.gateway.table.json;

/**
 * Appends JSON text. Strings are escaped so the output is valid JSON and valid UTF-8 once
 * encoded: quotes, backslashes and control characters escaped, and a surrogate that is not half of
 * a pair written as a backslash-u escape.
 */
final class JsonWriter {

  private final StringBuilder out;
  private boolean needsComma;

  JsonWriter(StringBuilder out) {
    this.out = out;
  }

  JsonWriter beginObject() {
    comma();
    out.append('{');
    needsComma = false;
    return this;
  }

  JsonWriter endObject() {
    out.append('}');
    needsComma = true;
    return this;
  }

  JsonWriter beginArray() {
    comma();
    out.append('[');
    needsComma = false;
    return this;
  }

  JsonWriter endArray() {
    out.append(']');
    needsComma = true;
    return this;
  }

  JsonWriter name(String name) {
    comma();
    appendString(out, name);
    out.append(':');
    needsComma = false;
    return this;
  }

  JsonWriter string(String value) {
    comma();
    appendString(out, value);
    needsComma = true;
    return this;
  }

  /** A JSON number or literal written as given ({@code 12}, {@code 1.5E300}, {@code true}). */
  JsonWriter raw(String token) {
    comma();
    out.append(token);
    needsComma = true;
    return this;
  }

  JsonWriter member(String name, String value) {
    return name(name).string(value);
  }

  private void comma() {
    if (needsComma) {
      out.append(',');
    }
  }

  static void appendString(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20 || c == 0x2028 || c == 0x2029) {
            unicodeEscape(out, c);
          } else if (Character.isHighSurrogate(c)) {
            if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
              out.append(c).append(s.charAt(++i));
            } else {
              unicodeEscape(out, c);
            }
          } else if (Character.isLowSurrogate(c)) {
            unicodeEscape(out, c);
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  private static void unicodeEscape(StringBuilder out, char c) {
    out.append(String.format("\\u%04x", (int) c));
  }
}
