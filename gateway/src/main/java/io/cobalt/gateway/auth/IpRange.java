package io.cobalt.gateway.auth;

/**
 * A SAS {@code sip}: one IPv4 address ({@code 168.1.5.65}) or an inclusive range
 * ({@code 168.1.5.60-168.1.5.70}). Azure accepts IPv4 only; so do we.
 */
public record IpRange(long first, long last) {

  /** @return the range, or null if {@code value} is not one */
  public static IpRange parse(String value) {
    int dash = value.indexOf('-');
    long a = ipv4(dash < 0 ? value : value.substring(0, dash));
    long b = dash < 0 ? a : ipv4(value.substring(dash + 1));
    if (a < 0 || b < 0 || b < a) {
      return null;
    }
    return new IpRange(a, b);
  }

  /** Whether {@code address} (text form, IPv4 or IPv4-mapped IPv6) is in the range. */
  public boolean contains(String address) {
    if (address == null) {
      return false;
    }
    String a = address;
    if (a.startsWith("::ffff:")) {
      a = a.substring(7);
    }
    long ip = ipv4(a);
    return ip >= 0 && ip >= first && ip <= last;
  }

  /** The dotted-quad value, or -1. Strict: four decimal octets 0..255, no leading '+' or spaces. */
  static long ipv4(String s) {
    String[] parts = s.split("\\.", -1);
    if (parts.length != 4) {
      return -1;
    }
    long v = 0;
    for (String p : parts) {
      if (p.isEmpty() || p.length() > 3) {
        return -1;
      }
      int octet = 0;
      for (int i = 0; i < p.length(); i++) {
        char c = p.charAt(i);
        if (c < '0' || c > '9') {
          return -1;
        }
        octet = octet * 10 + (c - '0');
      }
      if (octet > 255) {
        return -1;
      }
      v = v << 8 | octet;
    }
    return v;
  }
}
