package io.cobalt.gateway.queue;

import io.cobalt.gateway.http.AzureError;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The Queue service's query parameters and message size, checked as Azure checks them: a value
 * that is not an integer is 400 InvalidQueryParameterValue, one out of its range 400
 * OutOfRangeQueryParameterValue (with QueryParameterName, and MinimumAllowed/MaximumAllowed), a
 * message text over 64 KiB 400 MessageTooLarge. The node checks the same bounds again before the
 * log (ADR 0009 decision 8); these give the client Azure's answer first.
 */
public final class QueueParameters {
  /** Azure: at most 32 messages per Get or Peek; 1 when not given. */
  public static final int MAX_MESSAGES = 32;
  public static final long SEVEN_DAYS_SECONDS = 7L * 24 * 3600;
  /** Get Messages without visibilitytimeout: 30 s. */
  public static final long DEFAULT_GET_VISIBILITY_SECONDS = 30;
  /** Put Message without messagettl: 7 days. */
  public static final long DEFAULT_TTL_SECONDS = SEVEN_DAYS_SECONDS;
  /** Azure's limit on a message as sent (the MessageText, UTF-8). */
  public static final int MAX_MESSAGE_BYTES = 64 * 1024;

  private QueueParameters() {}

  /** {@code numofmessages}: 1..32, 1 when absent. */
  public static int numOfMessages(String value) {
    return (int) integer("numofmessages", value, 1, 1, MAX_MESSAGES);
  }

  /** Get Messages' {@code visibilitytimeout}: 1 s..7 days, 30 s when absent. */
  public static long getVisibilityTimeout(String value) {
    return integer("visibilitytimeout", value, DEFAULT_GET_VISIBILITY_SECONDS, 1, SEVEN_DAYS_SECONDS);
  }

  /** Put Message's {@code visibilitytimeout}: 0..7 days, 0 when absent, and shorter than the TTL. */
  public static long putVisibilityTimeout(String value, long ttlSeconds) {
    long max = ttlSeconds == -1 ? SEVEN_DAYS_SECONDS : Math.min(SEVEN_DAYS_SECONDS, ttlSeconds - 1);
    return integer("visibilitytimeout", value, 0, 0, max);
  }

  /** Update Message's {@code visibilitytimeout}: required, 0..7 days. */
  public static long updateVisibilityTimeout(String value) {
    if (value == null) {
      throw AzureError.MISSING_REQUIRED_QUERY_PARAMETER.exception("QueryParameterName", "visibilitytimeout");
    }
    return integer("visibilitytimeout", value, 0, 0, SEVEN_DAYS_SECONDS);
  }

  /** {@code messagettl}: -1 (never expires) or 1 s..7 days, 7 days when absent. */
  public static long messageTtl(String value) {
    if (value != null && value.trim().equals("-1")) {
      return -1;
    }
    return integer("messagettl", value, DEFAULT_TTL_SECONDS, 1, SEVEN_DAYS_SECONDS);
  }

  /** The message text's UTF-8 bytes, at most 64 KiB. */
  public static byte[] messageText(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    if (bytes.length > MAX_MESSAGE_BYTES) {
      throw AzureError.MESSAGE_TOO_LARGE.exception();
    }
    return bytes;
  }

  private static long integer(String name, String value, long absent, long min, long max) {
    if (value == null) {
      return absent;
    }
    long v;
    try {
      v = Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw AzureError.INVALID_QUERY_PARAMETER_VALUE.exception(Map.of(
          "QueryParameterName", name, "QueryParameterValue", value));
    }
    if (v < min || v > max) {
      throw AzureError.OUT_OF_RANGE_QUERY_PARAMETER_VALUE.exception(Map.of(
          "QueryParameterName", name, "QueryParameterValue", value,
          "MinimumAllowed", Long.toString(min), "MaximumAllowed", Long.toString(max)));
    }
    return v;
  }
}
