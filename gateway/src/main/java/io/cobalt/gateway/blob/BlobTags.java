package io.cobalt.gateway.blob;

import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureException;
import io.cobalt.gateway.http.Xml;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * A blob's index tags (docs/adr/0018-blob-index-tags.md): at most 10, keys 1..128 and values
 * 0..256 characters of {@code a-zA-Z0-9 +-./:=_} and space (Azure's rules; 400 InvalidTag
 * otherwise, 400 TagsTooLarge beyond 10). Read from a Set Blob Tags body ({@code <Tags><TagSet>}) or
 * an {@code x-ms-tags} header (query-string encoded), written as Azure's XML, and encoded to the
 * plaintext that the gateway seals (never stored as is).
 *
 * <pre>
 * plaintext = u8 count, then per tag in key order: u16 len | key (ASCII), u16 len | value (ASCII)
 * </pre>
 */
record BlobTags(SortedMap<String, String> tags) {
  static final int MAX_TAGS = 10;
  static final int MAX_KEY_CHARS = 128;
  static final int MAX_VALUE_CHARS = 256;
  /** A Set Blob Tags body of 10 tags of the longest keys and values, escaped, stays far below this. */
  static final int MAX_BODY_BYTES = 64 * 1024;
  /** An x-ms-tags header of 10 tags at most this long once percent-encoded (x3 of 3,840 characters). */
  static final int MAX_HEADER_CHARS = 12 * 1024;
  static final BlobTags NONE = new BlobTags(Collections.emptySortedMap());

  BlobTags {
    tags = Collections.unmodifiableSortedMap(new TreeMap<>(tags));
  }

  int count() {
    return tags.size();
  }

  boolean isEmpty() {
    return tags.isEmpty();
  }

  /** Azure's tag characters: letters, digits, space and {@code + - . / : = _}. */
  static boolean validChars(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == ' ' || c == '+' || c == '-' || c == '.' || c == '/' || c == ':' || c == '=' || c == '_';
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  private static void add(TreeMap<String, String> into, String key, String value) {
    if (key.isEmpty() || key.length() > MAX_KEY_CHARS || value.length() > MAX_VALUE_CHARS
        || !validChars(key) || !validChars(value) || into.containsKey(key)) {
      throw invalidTag();
    }
    into.put(key, value);
    if (into.size() > MAX_TAGS) {
      throw AzureError.TAGS_TOO_LARGE.exception();
    }
  }

  static AzureException invalidTag() {
    return AzureError.INVALID_TAG.exception();
  }

  /** The {@code x-ms-tags} header: {@code k1=v1&k2=v2}, each part percent-encoded; null or empty: no tags. */
  static BlobTags fromHeader(String header) {
    if (header == null || header.isEmpty()) {
      return NONE;
    }
    if (header.length() > MAX_HEADER_CHARS) {
      throw AzureError.TAGS_TOO_LARGE.exception();
    }
    TreeMap<String, String> tags = new TreeMap<>();
    for (String pair : header.split("&", -1)) {
      int eq = pair.indexOf('=');
      String key;
      String value;
      try {
        key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
        value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw invalidTag();
      }
      add(tags, key, value);
    }
    return new BlobTags(tags);
  }

  /**
   * A Set Blob Tags body: {@code <Tags><TagSet><Tag><Key>k</Key><Value>v</Value></Tag>...</TagSet></Tags>}.
   * No DTDs or external entities; 400 InvalidXmlDocument for anything else. An empty body or an
   * empty TagSet removes every tag.
   */
  static BlobTags fromXml(byte[] body) {
    if (body.length == 0) {
      return NONE;
    }
    XMLInputFactory f = XMLInputFactory.newFactory();
    f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
    f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
    TreeMap<String, String> tags = new TreeMap<>();
    try {
      XMLStreamReader x = f.createXMLStreamReader(new ByteArrayInputStream(body));
      try {
        expectStart(x, "Tags");
        if (x.nextTag() == XMLStreamReader.START_ELEMENT) {
          if (!x.getLocalName().equals("TagSet")) {
            throw AzureError.INVALID_XML_DOCUMENT.exception();
          }
          while (x.nextTag() == XMLStreamReader.START_ELEMENT) {
            if (!x.getLocalName().equals("Tag")) {
              throw AzureError.INVALID_XML_DOCUMENT.exception();
            }
            String key = null;
            String value = null;
            while (x.nextTag() == XMLStreamReader.START_ELEMENT) {
              switch (x.getLocalName()) {
                case "Key" -> {
                  if (key != null) {
                    throw AzureError.INVALID_XML_DOCUMENT.exception();
                  }
                  key = x.getElementText();
                }
                case "Value" -> {
                  if (value != null) {
                    throw AzureError.INVALID_XML_DOCUMENT.exception();
                  }
                  value = x.getElementText();
                }
                default -> throw AzureError.INVALID_XML_DOCUMENT.exception();
              }
            }
            if (key == null || value == null) {
              throw AzureError.INVALID_XML_DOCUMENT.exception();
            }
            add(tags, key, value);
          }
          x.nextTag(); // </Tags>
        }
        while (x.hasNext()) {
          x.next(); // trailing whitespace, comments; a second root element fails here
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
    return new BlobTags(tags);
  }

  private static void expectStart(XMLStreamReader x, String name) throws XMLStreamException {
    if (x.nextTag() != XMLStreamReader.START_ELEMENT || !x.getLocalName().equals(name)) {
      throw AzureError.INVALID_XML_DOCUMENT.exception();
    }
  }

  /** {@code <TagSet>...</TagSet>} of these tags, in key order. */
  void appendTagSet(StringBuilder xml) {
    xml.append("<TagSet>");
    for (Map.Entry<String, String> t : tags.entrySet()) {
      xml.append("<Tag>");
      Xml.element(xml, "Key", t.getKey());
      Xml.element(xml, "Value", t.getValue());
      xml.append("</Tag>");
    }
    xml.append("</TagSet>");
  }

  /** The Get Blob Tags document. */
  String toXml() {
    StringBuilder xml = new StringBuilder(256).append(Xml.DECLARATION).append("<Tags>");
    appendTagSet(xml);
    return xml.append("</Tags>").toString();
  }

  /** The plaintext that is sealed (see the class comment). */
  byte[] encode() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 * (tags.size() + 1));
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(tags.size());
      for (Map.Entry<String, String> t : tags.entrySet()) {
        writeAscii(out, t.getKey());
        writeAscii(out, t.getValue());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** @throws IllegalArgumentException if {@code plaintext} is not an encoding of valid tags */
  static BlobTags decode(byte[] plaintext) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(plaintext))) {
      int n = in.readUnsignedByte();
      TreeMap<String, String> tags = new TreeMap<>();
      for (int i = 0; i < n; i++) {
        String key = readAscii(in);
        String value = readAscii(in);
        add(tags, key, value);
      }
      if (in.read() != -1) {
        throw new IllegalArgumentException("trailing bytes after the tags");
      }
      return new BlobTags(tags);
    } catch (IOException | AzureException e) {
      throw new IllegalArgumentException("malformed sealed tags");
    }
  }

  private static void writeAscii(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.US_ASCII);
    out.writeShort(b.length);
    out.write(b);
  }

  private static String readAscii(DataInputStream in) throws IOException {
    int n = in.readUnsignedShort();
    if (n > MAX_VALUE_CHARS) {
      throw new IOException("too long");
    }
    byte[] b = new byte[n];
    in.readFully(b);
    return new String(b, StandardCharsets.US_ASCII);
  }
}
