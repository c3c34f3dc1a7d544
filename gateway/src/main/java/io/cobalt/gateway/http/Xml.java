package io.cobalt.gateway.http;

/** XML text escaping for the Azure XML bodies the gateway writes (errors, listings). */
public final class Xml {
  public static final String DECLARATION = "<?xml version=\"1.0\" encoding=\"utf-8\"?>";

  private Xml() {}

  /** Escapes text for element content and attribute values; drops characters XML 1.0 forbids. */
  public static String escape(String s) {
    StringBuilder out = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      String rep =
          switch (c) {
            case '<' -> "&lt;";
            case '>' -> "&gt;";
            case '&' -> "&amp;";
            case '"' -> "&quot;";
            case '\'' -> "&apos;";
            default -> (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0xFFFE || c == 0xFFFF
                ? ""
                : null;
          };
      if (rep != null && out == null) {
        out = new StringBuilder(s.length() + 16).append(s, 0, i);
      }
      if (out != null) {
        if (rep != null) {
          out.append(rep);
        } else {
          out.append(c);
        }
      }
    }
    return out == null ? s : out.toString();
  }

  /** {@code <name>escaped value</name>}, or {@code <name />} when the value is null or empty. */
  public static void element(StringBuilder out, String name, String value) {
    if (value == null || value.isEmpty()) {
      out.append('<').append(name).append(" />");
    } else {
      out.append('<').append(name).append('>').append(escape(value)).append("</").append(name).append('>');
    }
  }
}
