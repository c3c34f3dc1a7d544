package io.cobalt.gateway.table;

import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureException;
import io.cobalt.gateway.http.HttpDates;
import io.cobalt.gateway.http.Xml;
import java.io.ByteArrayInputStream;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * The {@code <SignedIdentifiers>} body of Get/Set Table ACL and Get/Set Queue ACL: at most 5
 * stored access policies, each an {@code Id} (1..64 characters) and an {@code AccessPolicy} with
 * optional {@code Start}, {@code Expiry} (ISO-8601, kept as UTC with 7 fractional digits, as Azure
 * answers) and {@code Permission}. Anything else is 400 InvalidXmlDocument. No DTDs or entities.
 */
public final class AccessPolicyXml {
  /** Stored access policies of one table or queue at most (Azure's limit). */
  public static final int MAX_POLICIES = 5;

  private AccessPolicyXml() {}

  /** One stored access policy; absent fields are empty strings. */
  public record Policy(String id, String start, String expiry, String permission) {}

  public static List<Policy> parse(byte[] body) {
    if (body.length == 0) {
      return List.of();                                     // an empty body clears the policies
    }
    XMLInputFactory f = XMLInputFactory.newFactory();
    f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
    f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
    try {
      XMLStreamReader x = f.createXMLStreamReader(new ByteArrayInputStream(body));
      try {
        if (x.nextTag() != XMLStreamReader.START_ELEMENT || !x.getLocalName().equals("SignedIdentifiers")) {
          throw invalid();
        }
        List<Policy> policies = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        while (x.nextTag() == XMLStreamReader.START_ELEMENT) {
          if (!x.getLocalName().equals("SignedIdentifier") || policies.size() >= MAX_POLICIES) {
            throw invalid();
          }
          String id = null;
          String start = "";
          String expiry = "";
          String permission = "";
          while (x.nextTag() == XMLStreamReader.START_ELEMENT) {
            switch (x.getLocalName()) {
              case "Id" -> id = x.getElementText().trim();
              case "AccessPolicy" -> {
                while (x.nextTag() == XMLStreamReader.START_ELEMENT) {
                  String text = x.getElementText().trim();
                  switch (x.getLocalName()) {
                    case "Start" -> start = time(text);
                    case "Expiry" -> expiry = time(text);
                    case "Permission" -> permission = text;
                    default -> throw invalid();
                  }
                }
              }
              default -> throw invalid();
            }
          }
          if (id == null || id.isEmpty() || id.length() > 64 || !ids.add(id) || permission.length() > 64) {
            throw invalid();
          }
          policies.add(new Policy(id, start, expiry, permission));
        }
        while (x.hasNext()) {
          x.next();
        }
        return policies;
      } finally {
        x.close();
      }
    } catch (XMLStreamException | RuntimeException e) {
      if (e instanceof AzureException ae) {
        throw ae;
      }
      throw invalid();
    }
  }

  public static String write(List<Policy> policies) {
    StringBuilder xml = new StringBuilder(256).append(Xml.DECLARATION).append("<SignedIdentifiers>");
    for (Policy p : policies) {
      xml.append("<SignedIdentifier>");
      Xml.element(xml, "Id", p.id());
      xml.append("<AccessPolicy>");
      if (!p.start().isEmpty()) {
        Xml.element(xml, "Start", p.start());
      }
      if (!p.expiry().isEmpty()) {
        Xml.element(xml, "Expiry", p.expiry());
      }
      if (!p.permission().isEmpty()) {
        Xml.element(xml, "Permission", p.permission());
      }
      xml.append("</AccessPolicy></SignedIdentifier>");
    }
    return xml.append("</SignedIdentifiers>").toString();
  }

  private static String time(String text) {
    if (text.isEmpty()) {
      return "";
    }
    try {
      return HttpDates.iso7(OffsetDateTime.parse(text, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant());
    } catch (DateTimeParseException e) {
      throw invalid();
    }
  }

  private static AzureException invalid() {
    return AzureError.INVALID_XML_DOCUMENT.exception();
  }
}
