package io.cobalt.gateway.queue;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class QueueParametersTest {
  private static AzureException fails(AzureError expected, Executable call) {
    AzureException e = assertThrows(AzureException.class, call);
    assertEquals(expected, e.error());
    return e;
  }

  @Test
  void numOfMessagesIsOneToThirtyTwoAndOneWhenAbsent() {
    assertEquals(1, QueueParameters.numOfMessages(null));
    assertEquals(32, QueueParameters.numOfMessages("32"));
    AzureException e = fails(AzureError.OUT_OF_RANGE_QUERY_PARAMETER_VALUE, () -> QueueParameters.numOfMessages("33"));
    assertEquals("numofmessages", e.details().get("QueryParameterName"));
    assertEquals("32", e.details().get("MaximumAllowed"));
    fails(AzureError.OUT_OF_RANGE_QUERY_PARAMETER_VALUE, () -> QueueParameters.numOfMessages("0"));
    fails(AzureError.INVALID_QUERY_PARAMETER_VALUE, () -> QueueParameters.numOfMessages("ten"));
    fails(AzureError.INVALID_QUERY_PARAMETER_VALUE, () -> QueueParameters.numOfMessages("99999999999999999999"));
  }

  @Test
  void visibilityTimeoutsFollowEachOperationsRange() {
    assertEquals(30, QueueParameters.getVisibilityTimeout(null));
    fails(AzureError.OUT_OF_RANGE_QUERY_PARAMETER_VALUE, () -> QueueParameters.getVisibilityTimeout("0"));
    assertEquals(604_800, QueueParameters.getVisibilityTimeout("604800"));
    fails(AzureError.OUT_OF_RANGE_QUERY_PARAMETER_VALUE, () -> QueueParameters.getVisibilityTimeout("604801"));

    assertEquals(0, QueueParameters.putVisibilityTimeout(null, 60));
    assertEquals(59, QueueParameters.putVisibilityTimeout("59", 60));
    fails(AzureError.OUT_OF_RANGE_QUERY_PARAMETER_VALUE, () -> QueueParameters.putVisibilityTimeout("60", 60));
    assertEquals(604_800, QueueParameters.putVisibilityTimeout("604800", -1));
    fails(AzureError.OUT_OF_RANGE_QUERY_PARAMETER_VALUE, () -> QueueParameters.putVisibilityTimeout("-1", -1));

    fails(AzureError.MISSING_REQUIRED_QUERY_PARAMETER, () -> QueueParameters.updateVisibilityTimeout(null));
    assertEquals(0, QueueParameters.updateVisibilityTimeout("0"));
    fails(AzureError.INVALID_QUERY_PARAMETER_VALUE, () -> QueueParameters.updateVisibilityTimeout("1.5"));
  }

  @Test
  void messageTtlIsMinusOneOrOneSecondToSevenDays() {
    assertEquals(604_800, QueueParameters.messageTtl(null));
    assertEquals(-1, QueueParameters.messageTtl("-1"));
    assertEquals(1, QueueParameters.messageTtl("1"));
    fails(AzureError.OUT_OF_RANGE_QUERY_PARAMETER_VALUE, () -> QueueParameters.messageTtl("0"));
    fails(AzureError.OUT_OF_RANGE_QUERY_PARAMETER_VALUE, () -> QueueParameters.messageTtl("-2"));
    fails(AzureError.OUT_OF_RANGE_QUERY_PARAMETER_VALUE, () -> QueueParameters.messageTtl("604801"));
  }

  @Test
  void aMessageTextIsAtMost64KiBOfUtf8() {
    String max = "a".repeat(64 * 1024);
    assertArrayEquals(max.getBytes(StandardCharsets.UTF_8), QueueParameters.messageText(max));
    fails(AzureError.MESSAGE_TOO_LARGE, () -> QueueParameters.messageText(max + "a"));
    // 32 Ki two-byte characters are 64 KiB; one more is too many bytes though not too many characters.
    String wide = "\u00e9".repeat(32 * 1024);
    assertEquals(64 * 1024, QueueParameters.messageText(wide).length);
    fails(AzureError.MESSAGE_TOO_LARGE, () -> QueueParameters.messageText(wide + "a"));
  }
}
