package io.cobalt.gateway.http;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * The two date forms of the Azure wire: RFC 1123 with two-digit days (headers, listing properties;
 * the SDK parses fixed positions, so {@code DateTimeFormatter.RFC_1123_DATE_TIME}'s one-digit days
 * would break it) and ISO-8601 with 7 fractional digits (error bodies).
 */
public final class HttpDates {
  private static final DateTimeFormatter RFC1123 =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter ISO7 =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSS'Z'", Locale.US).withZone(ZoneOffset.UTC);

  private HttpDates() {}

  public static String rfc1123(long epochMillis) {
    return RFC1123.format(Instant.ofEpochMilli(epochMillis));
  }

  public static String iso7(Instant instant) {
    return ISO7.format(instant);
  }

  /** Parses an RFC 1123 date, or returns null if it is not one. */
  public static Instant parseRfc1123(String value) {
    try {
      return Instant.from(DateTimeFormatter.RFC_1123_DATE_TIME.parse(value.trim()));
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
