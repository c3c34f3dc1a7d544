package io.cobalt.gateway.blob;

import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureException;
import io.cobalt.gateway.http.Xml;
import io.cobalt.proto.node.v1.StorageServiceKind;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * An account's service properties for one service (the {@code StorageServiceProperties} XML
 * document of Set / Get Blob, Queue or Table Service Properties). CORS rules are parsed, checked
 * against Azure's limits and enforced ({@link CorsRule}); {@code Logging}, {@code HourMetrics},
 * {@code MinuteMetrics} and (Blob only) {@code DefaultServiceVersion}, {@code DeleteRetentionPolicy}
 * and {@code StaticWebsite} are kept as given (elements and text, normalized) and returned, but
 * have no effect in Cobalt.
 *
 * @param service whose properties these are (which top-level elements it accepts)
 * @param elements top-level elements by name, each its normalized XML, in {@link #order} of the service
 * @param cors the parsed rules of the {@code Cors} element (empty: CORS off)
 */
public record ServiceProperties(StorageServiceKind service, Map<String, String> elements, List<CorsRule> cors) {
  /** The top-level elements the Blob service accepts, in the order they are written. */
  static final List<String> ORDER = List.of(
      "Logging", "HourMetrics", "MinuteMetrics", "Cors", "DefaultServiceVersion", "DeleteRetentionPolicy",
      "StaticWebsite");
  /** The top-level elements the Queue and Table services accept (Azure's schema for them), in order. */
  static final List<String> QUEUE_TABLE_ORDER = List.of("Logging", "HourMetrics", "MinuteMetrics", "Cors");

  /** The top-level elements {@code service} accepts, in the order they are written. */
  static List<String> order(StorageServiceKind service) {
    return service == StorageServiceKind.STORAGE_SERVICE_BLOB ? ORDER : QUEUE_TABLE_ORDER;
  }
  /** Request body bound (Azure's body is small; the stored document is bounded by the node too). */
  static final int MAX_BODY_BYTES = 32 * 1024;
  static final int MAX_CORS_RULES = 5;
  /** Azure: at most 64 defined origins, allowed headers and exposed headers per rule. */
  static final int MAX_LIST_ENTRIES = 64;
  static final int MAX_ENTRY_CHARS = 256;
  /** Azure: the CORS settings of a request, without the XML tags, at most 2 KiB. */
  static final int MAX_CORS_CHARS = 2048;
  static final Set<String> METHODS = Set.of("DELETE", "GET", "HEAD", "MERGE", "POST", "OPTIONS", "PUT", "PATCH");
  private static final int MAX_DEPTH = 4;
  private static final int MAX_ELEMENTS = 256;

  /** One CORS rule; lists are as given (origins and headers compared case-insensitively). */
  public record CorsRule(
      List<String> allowedOrigins,
      List<String> allowedMethods,
      List<String> allowedHeaders,
      List<String> exposedHeaders,
      int maxAgeInSeconds) {

    boolean anyOrigin() {
      return allowedOrigins.contains("*");
    }

    boolean allowsOrigin(String origin) {
      return anyOrigin() || allowedOrigins.stream().anyMatch(o -> o.equalsIgnoreCase(origin));
    }

    boolean allowsMethod(String method) {
      return allowedMethods.contains(method);
    }

    /** Whether every header (names, case-insensitive) is allowed: exactly, by "*", or by a "prefix*". */
    boolean allowsHeaders(List<String> headers) {
      for (String h : headers) {
        String name = h.toLowerCase(Locale.ROOT);
        boolean ok = false;
        for (String a : allowedHeaders) {
          String allowed = a.toLowerCase(Locale.ROOT);
          if (allowed.equals("*") || allowed.equals(name)
              || (allowed.endsWith("*") && name.startsWith(allowed.substring(0, allowed.length() - 1)))) {
            ok = true;
            break;
          }
        }
        if (!ok) {
          return false;
        }
      }
      return true;
    }
  }

  /** Nothing set, for {@code service}. */
  public static ServiceProperties none(StorageServiceKind service) {
    return new ServiceProperties(service, Map.of(), List.of());
  }

  /**
   * What Get returns for an element never set: Azure's defaults for a new account (everything
   * off, analytics version 1.0).
   */
  private static final Map<String, String> DEFAULTS = Map.of(
      "Logging", "<Logging><Version>1.0</Version><Delete>false</Delete><Read>false</Read><Write>false</Write>"
          + "<RetentionPolicy><Enabled>false</Enabled></RetentionPolicy></Logging>",
      "HourMetrics", "<HourMetrics><Version>1.0</Version><Enabled>false</Enabled>"
          + "<RetentionPolicy><Enabled>false</Enabled></RetentionPolicy></HourMetrics>",
      "MinuteMetrics", "<MinuteMetrics><Version>1.0</Version><Enabled>false</Enabled>"
          + "<RetentionPolicy><Enabled>false</Enabled></RetentionPolicy></MinuteMetrics>",
      "Cors", "<Cors />",
      "DeleteRetentionPolicy", "<DeleteRetentionPolicy><Enabled>false</Enabled></DeleteRetentionPolicy>",
      "StaticWebsite", "<StaticWebsite><Enabled>false</Enabled></StaticWebsite>");

  /**
   * These properties with the elements of {@code update} replacing theirs (Azure: an element the
   * request leaves out keeps its setting; an empty {@code Cors} removes every rule).
   */
  public ServiceProperties merge(ServiceProperties update) {
    Map<String, String> merged = new LinkedHashMap<>();
    for (String name : order(service)) {
      String v = update.elements.containsKey(name) ? update.elements.get(name) : elements.get(name);
      if (v != null) {
        merged.put(name, v);
      }
    }
    List<CorsRule> rules = update.elements.containsKey("Cors") ? update.cors : cors;
    return new ServiceProperties(service, Map.copyOf(merged), rules);
  }

  /** The stored document: the set elements only. */
  public String document() {
    StringBuilder xml = new StringBuilder(512).append(Xml.DECLARATION).append("<StorageServiceProperties>");
    for (String name : order(service)) {
      if (elements.containsKey(name)) {
        xml.append(elements.get(name));
      }
    }
    return xml.append("</StorageServiceProperties>").toString();
  }

  /** The Get response: the set elements, Azure's defaults for the others. */
  public String response() {
    StringBuilder xml = new StringBuilder(1024).append(Xml.DECLARATION).append("<StorageServiceProperties>");
    for (String name : order(service)) {
      String v = elements.getOrDefault(name, DEFAULTS.get(name));
      if (v != null) {
        xml.append(v);
      }
    }
    return xml.append("</StorageServiceProperties>").toString();
  }

  /**
   * Parses a {@code StorageServiceProperties} document (a request body or a stored document). No
   * DTDs or entities.
   *
   * @throws AzureException 400 InvalidXmlDocument (malformed, unknown or repeated element, more
   *     than five CORS rules, a rule missing a part) or InvalidXmlNodeValue (a bad method, origin
   *     or header list, max age, or CORS settings longer than 2 KiB)
   */
  public static ServiceProperties parse(StorageServiceKind service, byte[] body) {
    List<String> order = order(service);
    XMLInputFactory f = XMLInputFactory.newFactory();
    f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
    f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
    Map<String, String> elements = new LinkedHashMap<>();
    List<CorsRule> rules = new ArrayList<>();
    try {
      XMLStreamReader x = f.createXMLStreamReader(new ByteArrayInputStream(body));
      try {
        if (x.nextTag() != XMLStreamReader.START_ELEMENT || !x.getLocalName().equals("StorageServiceProperties")) {
          throw AzureError.INVALID_XML_DOCUMENT.exception();
        }
        int[] count = {0};
        while (x.nextTag() == XMLStreamReader.START_ELEMENT) {
          String name = x.getLocalName();
          if (!order.contains(name) || elements.containsKey(name)) {
            throw AzureError.INVALID_XML_DOCUMENT.exception();
          }
          if (name.equals("Cors")) {
            rules = cors(x);
            elements.put(name, corsXml(rules));
          } else {
            StringBuilder out = new StringBuilder();
            copy(x, out, 1, count);
            elements.put(name, out.toString());
          }
        }
        while (x.hasNext()) {
          x.next(); // trailing whitespace or comments; a second root element fails here
        }
      } finally {
        x.close();
      }
    } catch (XMLStreamException | RuntimeException e) {
      if (e instanceof AzureException ae) {
        throw ae;
      }
      throw AzureError.INVALID_XML_DOCUMENT.exception();
    }
    Map<String, String> ordered = new LinkedHashMap<>();
    for (String name : order) {
      if (elements.containsKey(name)) {
        ordered.put(name, elements.get(name));
      }
    }
    return new ServiceProperties(service, ordered, List.copyOf(rules));
  }

  public static ServiceProperties parse(StorageServiceKind service, String document) {
    return parse(service, document.getBytes(StandardCharsets.UTF_8));
  }

  /** Copies the element the reader is on (elements and trimmed text only) and ends on its end tag. */
  private static void copy(XMLStreamReader x, StringBuilder out, int depth, int[] count) throws XMLStreamException {
    if (depth > MAX_DEPTH || ++count[0] > MAX_ELEMENTS) {
      throw AzureError.INVALID_XML_DOCUMENT.exception();
    }
    String name = x.getLocalName();
    StringBuilder text = new StringBuilder();
    StringBuilder children = new StringBuilder();
    while (true) {
      int e = x.next();
      if (e == XMLStreamReader.START_ELEMENT) {
        copy(x, children, depth + 1, count);
      } else if (e == XMLStreamReader.CHARACTERS || e == XMLStreamReader.CDATA || e == XMLStreamReader.SPACE) {
        text.append(x.getText());
      } else if (e == XMLStreamReader.END_ELEMENT) {
        break;
      } else if (e == XMLStreamReader.END_DOCUMENT) {
        throw AzureError.INVALID_XML_DOCUMENT.exception();
      }
    }
    if (children.length() > 0) {
      if (!text.toString().isBlank()) {
        throw AzureError.INVALID_XML_DOCUMENT.exception(); // mixed content
      }
      out.append('<').append(name).append('>').append(children).append("</").append(name).append('>');
    } else {
      Xml.element(out, name, text.toString().trim());
    }
  }

  /** The rules of a Cors element; the reader is on its start tag and ends on its end tag. */
  private static List<CorsRule> cors(XMLStreamReader x) throws XMLStreamException {
    List<CorsRule> rules = new ArrayList<>();
    int chars = 0;
    while (x.nextTag() == XMLStreamReader.START_ELEMENT) {
      if (!x.getLocalName().equals("CorsRule") || rules.size() == MAX_CORS_RULES) {
        throw AzureError.INVALID_XML_DOCUMENT.exception();
      }
      Map<String, String> parts = new LinkedHashMap<>();
      while (x.nextTag() == XMLStreamReader.START_ELEMENT) {
        String part = x.getLocalName();
        if (!Set.of("AllowedOrigins", "AllowedMethods", "AllowedHeaders", "ExposedHeaders", "MaxAgeInSeconds")
            .contains(part) || parts.containsKey(part)) {
          throw AzureError.INVALID_XML_DOCUMENT.exception();
        }
        String text = x.getElementText().trim();
        chars += text.length();
        parts.put(part, text);
      }
      if (!parts.containsKey("AllowedOrigins") || !parts.containsKey("AllowedMethods")
          || !parts.containsKey("MaxAgeInSeconds")) {
        throw AzureError.INVALID_XML_DOCUMENT.exception();
      }
      List<String> origins = list(parts.get("AllowedOrigins"));
      if (origins.isEmpty()) {
        throw AzureError.INVALID_XML_NODE_VALUE.exception();
      }
      List<String> methods = new ArrayList<>();
      for (String m : list(parts.get("AllowedMethods"))) {
        if (!METHODS.contains(m) || methods.contains(m)) {
          throw AzureError.INVALID_XML_NODE_VALUE.exception();
        }
        methods.add(m);
      }
      if (methods.isEmpty()) {
        throw AzureError.INVALID_XML_NODE_VALUE.exception();
      }
      int maxAge;
      try {
        maxAge = Integer.parseInt(parts.get("MaxAgeInSeconds"));
      } catch (NumberFormatException e) {
        throw AzureError.INVALID_XML_NODE_VALUE.exception();
      }
      if (maxAge < 0) {
        throw AzureError.INVALID_XML_NODE_VALUE.exception();
      }
      rules.add(new CorsRule(origins, List.copyOf(methods), list(parts.getOrDefault("AllowedHeaders", "")),
          list(parts.getOrDefault("ExposedHeaders", "")), maxAge));
    }
    if (chars > MAX_CORS_CHARS) {
      throw AzureError.INVALID_XML_NODE_VALUE.exception();
    }
    return rules;
  }

  /** A comma-separated list: at most 64 entries of at most 256 characters, none empty. */
  private static List<String> list(String text) {
    List<String> out = new ArrayList<>();
    if (text.isEmpty()) {
      return out;
    }
    for (String s : text.split(",", -1)) {
      String v = s.trim();
      if (v.isEmpty() || v.length() > MAX_ENTRY_CHARS || out.size() == MAX_LIST_ENTRIES) {
        throw AzureError.INVALID_XML_NODE_VALUE.exception();
      }
      out.add(v);
    }
    return List.copyOf(out);
  }

  private static String corsXml(List<CorsRule> rules) {
    if (rules.isEmpty()) {
      return "<Cors />";
    }
    StringBuilder out = new StringBuilder("<Cors>");
    for (CorsRule r : rules) {
      out.append("<CorsRule>");
      Xml.element(out, "AllowedOrigins", String.join(",", r.allowedOrigins()));
      Xml.element(out, "AllowedMethods", String.join(",", r.allowedMethods()));
      Xml.element(out, "AllowedHeaders", String.join(",", r.allowedHeaders()));
      Xml.element(out, "ExposedHeaders", String.join(",", r.exposedHeaders()));
      Xml.element(out, "MaxAgeInSeconds", Integer.toString(r.maxAgeInSeconds()));
      out.append("</CorsRule>");
    }
    return out.append("</Cors>").toString();
  }

  /** The first rule that allows {@code origin} and {@code method} (and {@code headers}), or null. */
  public CorsRule match(String origin, String method, List<String> headers) {
    for (CorsRule r : cors) {
      if (r.allowsOrigin(origin) && r.allowsMethod(method) && r.allowsHeaders(headers)) {
        return r;
      }
    }
    return null;
  }
}
