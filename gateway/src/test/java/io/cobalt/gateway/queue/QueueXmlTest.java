package io.cobalt.gateway.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QueueXmlTest {
  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void readsTheMessageTextAsTheSdkSendsIt() {
    assertEquals("aGVsbG8=", QueueXml.parseMessageText(utf8(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><QueueMessage><MessageText>aGVsbG8=</MessageText></QueueMessage>")));
    assertEquals("a<b & \u00e9", QueueXml.parseMessageText(utf8(
        "<QueueMessage>\n  <MessageText>a&lt;b &amp; \u00e9</MessageText>\n</QueueMessage>\n")));
    assertEquals("", QueueXml.parseMessageText(utf8("<QueueMessage><MessageText/></QueueMessage>")));
  }

  @Test
  void anythingElseIsAnInvalidXmlDocument() {
    for (String bad : List.of(
        "",
        "not xml",
        "<QueueMessage></QueueMessage>",
        "<Message><MessageText>x</MessageText></Message>",
        "<QueueMessage><MessageText>x</MessageText><MessageText>y</MessageText></QueueMessage>",
        "<QueueMessage><Other>x</Other></QueueMessage>",
        "<QueueMessage><MessageText>x</MessageText></QueueMessage><QueueMessage/>",
        "<?xml version=\"1.0\"?><!DOCTYPE q [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
            + "<QueueMessage><MessageText>&x;</MessageText></QueueMessage>")) {
      AzureException e = assertThrows(AzureException.class, () -> QueueXml.parseMessageText(utf8(bad)), bad);
      assertEquals(AzureError.INVALID_XML_DOCUMENT, e.error(), bad);
    }
  }

  @Test
  void writesMessageListsWithTheFieldsEachOperationShows() {
    String got = QueueXml.messagesList(List.of(
        new QueueXml.WireMessage("id-1", 0, Long.MAX_VALUE, "r1", 30_000L, 1, "a<b"),
        new QueueXml.WireMessage("id-2", 1000, 61_000, null, null, 2, "peeked")));
    assertEquals("<?xml version=\"1.0\" encoding=\"utf-8\"?><QueueMessagesList>"
        + "<QueueMessage><MessageId>id-1</MessageId><InsertionTime>Thu, 01 Jan 1970 00:00:00 GMT</InsertionTime>"
        + "<ExpirationTime>Fri, 31 Dec 9999 23:59:59 GMT</ExpirationTime><PopReceipt>r1</PopReceipt>"
        + "<TimeNextVisible>Thu, 01 Jan 1970 00:00:30 GMT</TimeNextVisible><DequeueCount>1</DequeueCount>"
        + "<MessageText>a&lt;b</MessageText></QueueMessage>"
        + "<QueueMessage><MessageId>id-2</MessageId><InsertionTime>Thu, 01 Jan 1970 00:00:01 GMT</InsertionTime>"
        + "<ExpirationTime>Thu, 01 Jan 1970 00:01:01 GMT</ExpirationTime><DequeueCount>2</DequeueCount>"
        + "<MessageText>peeked</MessageText></QueueMessage></QueueMessagesList>", got);
  }

  @Test
  void writesQueueListingsWithMetadataOnlyWhenAskedAndANextMarker() {
    String got = QueueXml.queuesList("http://h/acct", "jo", null, 2, List.of(
        new QueueXml.WireQueue("jobs", Map.of("b", "2", "a", "1")),
        new QueueXml.WireQueue("jobs-2", null)), "jobs-3");
    assertEquals("<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults ServiceEndpoint=\"http://h/acct\">"
        + "<Prefix>jo</Prefix><MaxResults>2</MaxResults><Queues>"
        + "<Queue><Name>jobs</Name><Metadata><a>1</a><b>2</b></Metadata></Queue>"
        + "<Queue><Name>jobs-2</Name></Queue></Queues><NextMarker>jobs-3</NextMarker></EnumerationResults>", got);
    String last = QueueXml.queuesList("http://h/acct", null, "jobs-3", null, List.of(), null);
    assertEquals("<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults ServiceEndpoint=\"http://h/acct\">"
        + "<Marker>jobs-3</Marker><Queues></Queues><NextMarker /></EnumerationResults>", last);
  }
}
