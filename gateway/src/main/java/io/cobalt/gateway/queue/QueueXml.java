package io.cobalt.gateway.queue;

import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureException;
import io.cobalt.gateway.http.HttpDates;
import io.cobalt.gateway.http.Xml;
import java.io.ByteArrayInputStream;
import java.util.List;
import java.util.Map;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/** The Queue service's XML bodies: the Put/Update Message request, message lists, queue listings. */
public final class QueueXml {
  /** What Azure answers as the expiry of a message that never expires (messagettl=-1). */
  static final String NEVER = "Fri, 31 Dec 9999 23:59:59 GMT";

  private QueueXml() {}

  /**
   * One message as a list shows it; null fields are left out (Put Message shows no DequeueCount or
   * text; Peek shows no PopReceipt or TimeNextVisible).
   */
  public record WireMessage(String messageId, long insertionEpochMillis, long expirationEpochMillis,
      String popReceipt, Long timeNextVisibleEpochMillis, Integer dequeueCount, String messageText) {}

  /** One queue of a listing; metadata null when not asked for ({@code include=metadata}). */
  public record WireQueue(String name, Map<String, String> metadata) {}

  /**
   * The MessageText of {@code <QueueMessage><MessageText>…</MessageText></QueueMessage>} (empty if
   * the element is empty). No DTDs or external entities.
   *
   * @throws AzureException 400 InvalidXmlDocument for anything else
   */
  public static String parseMessageText(byte[] body) {
    XMLInputFactory f = XMLInputFactory.newFactory();
    f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
    f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
    try {
      XMLStreamReader x = f.createXMLStreamReader(new ByteArrayInputStream(body));
      try {
        if (x.nextTag() != XMLStreamReader.START_ELEMENT || !x.getLocalName().equals("QueueMessage")) {
          throw AzureError.INVALID_XML_DOCUMENT.exception();
        }
        String text = null;
        while (x.nextTag() == XMLStreamReader.START_ELEMENT) {
          if (!x.getLocalName().equals("MessageText") || text != null) {
            throw AzureError.INVALID_XML_DOCUMENT.exception();
          }
          text = x.getElementText();
        }
        if (text == null) {
          throw AzureError.INVALID_XML_DOCUMENT.exception();
        }
        while (x.hasNext()) {
          x.next(); // trailing whitespace, comments; a second root element fails here
        }
        return text;
      } finally {
        x.close();
      }
    } catch (XMLStreamException | RuntimeException e) {
      if (e instanceof AzureException ae) {
        throw ae;
      }
      throw AzureError.INVALID_XML_DOCUMENT.exception();
    }
  }

  /** {@code <QueueMessagesList>}: Put, Get, Peek and (for tests) any list of messages. */
  public static String messagesList(List<WireMessage> messages) {
    StringBuilder out = new StringBuilder(256 + messages.size() * 512).append(Xml.DECLARATION)
        .append("<QueueMessagesList>");
    for (WireMessage m : messages) {
      out.append("<QueueMessage>");
      Xml.element(out, "MessageId", m.messageId());
      Xml.element(out, "InsertionTime", HttpDates.rfc1123(m.insertionEpochMillis()));
      Xml.element(out, "ExpirationTime", expiry(m.expirationEpochMillis()));
      if (m.popReceipt() != null) {
        Xml.element(out, "PopReceipt", m.popReceipt());
      }
      if (m.timeNextVisibleEpochMillis() != null) {
        Xml.element(out, "TimeNextVisible", HttpDates.rfc1123(m.timeNextVisibleEpochMillis()));
      }
      if (m.dequeueCount() != null) {
        Xml.element(out, "DequeueCount", Integer.toString(m.dequeueCount()));
      }
      if (m.messageText() != null) {
        out.append("<MessageText>").append(Xml.escape(m.messageText())).append("</MessageText>");
      }
      out.append("</QueueMessage>");
    }
    return out.append("</QueueMessagesList>").toString();
  }

  /** {@code <EnumerationResults>} of List Queues; {@code nextMarker} null when the listing is complete. */
  public static String queuesList(String serviceEndpoint, String prefix, String marker, Integer maxResults,
      List<WireQueue> queues, String nextMarker) {
    StringBuilder out = new StringBuilder(256 + queues.size() * 128).append(Xml.DECLARATION)
        .append("<EnumerationResults ServiceEndpoint=\"").append(Xml.escape(serviceEndpoint)).append("\">");
    if (prefix != null) {
      Xml.element(out, "Prefix", prefix);
    }
    if (marker != null) {
      Xml.element(out, "Marker", marker);
    }
    if (maxResults != null) {
      Xml.element(out, "MaxResults", Integer.toString(maxResults));
    }
    out.append("<Queues>");
    for (WireQueue q : queues) {
      out.append("<Queue>");
      Xml.element(out, "Name", q.name());
      if (q.metadata() != null) {
        out.append("<Metadata>");
        q.metadata().entrySet().stream().sorted(Map.Entry.comparingByKey())
            .forEach(e -> Xml.element(out, e.getKey(), e.getValue()));
        out.append("</Metadata>");
      }
      out.append("</Queue>");
    }
    out.append("</Queues>");
    Xml.element(out, "NextMarker", nextMarker);
    return out.append("</EnumerationResults>").toString();
  }

  private static String expiry(long epochMillis) {
    return epochMillis == Long.MAX_VALUE ? NEVER : HttpDates.rfc1123(epochMillis);
  }
}
