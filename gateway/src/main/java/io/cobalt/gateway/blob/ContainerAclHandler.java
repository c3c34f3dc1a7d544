package io.cobalt.gateway.blob;

import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureException;
import io.cobalt.gateway.http.AzureRequest;
import io.cobalt.gateway.http.HttpDates;
import io.cobalt.gateway.http.Xml;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.Condition;
import io.cobalt.proto.node.v1.ContainerAclUpdate;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.SignedIdentifier;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayInputStream;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * Get and Set Container ACL ({@code restype=container&comp=acl}): the public access level
 * ({@code x-ms-blob-public-access}: container, blob or absent) and up to five stored access
 * policies (signed identifiers). Bad XML gets 400 InvalidXmlDocument, a bad value in it 400
 * InvalidXmlNodeValue; nothing is changed then.
 */
final class ContainerAclHandler {
  /** Azure's permission letters of a stored access policy, in the order they are returned. */
  static final String PERMISSION_ORDER = "racwdxltmeop";
  static final int MAX_ACL_BODY_BYTES = 64 * 1024;
  static final int MAX_IDENTIFIERS = 5;
  static final int MAX_ID_CHARS = 64;

  private final BlobServices services;
  private final ContainerAccess access;

  ContainerAclHandler(BlobServices services, ContainerAccess access) {
    this.services = services;
    this.access = access;
  }

  /** x-ms-blob-public-access: "" (private), "blob" or "container"; 400 InvalidHeaderValue otherwise. */
  static String publicAccess(AzureRequest r) {
    String v = r.header("x-ms-blob-public-access");
    if (v == null) {
      return "";
    }
    String level = v.trim();
    if (!level.equals("blob") && !level.equals("container")) {
      throw AzureError.INVALID_HEADER_VALUE.exception("HeaderName", "x-ms-blob-public-access");
    }
    return level;
  }

  /** GET ?restype=container&comp=acl → 200 with the SignedIdentifiers XML. */
  Future<Void> get(AzureRequest r) {
    ResourceNames.requireContainerName(r.path().container());
    Condition condition = ConditionalHeaders.ofContainer(r);
    return services.requireContainer(r).map(c -> {
      if (condition.hasLeaseId()) {
        // Only an active lease with this id lets the read go ahead (as Azure).
        LeaseHandler.requireReadLease(condition, c.hasLease(), c.getLease(), true);
      }
      StringBuilder xml = new StringBuilder(256).append(Xml.DECLARATION).append("<SignedIdentifiers>");
      for (SignedIdentifier si : c.getSignedIdentifiersList()) {
        xml.append("<SignedIdentifier>");
        Xml.element(xml, "Id", si.getId());
        xml.append("<AccessPolicy>");
        if (si.getStartEpochMillis() != 0) {
          Xml.element(xml, "Start", HttpDates.iso7(Instant.ofEpochMilli(si.getStartEpochMillis())));
        }
        if (si.getExpiryEpochMillis() != 0) {
          Xml.element(xml, "Expiry", HttpDates.iso7(Instant.ofEpochMilli(si.getExpiryEpochMillis())));
        }
        if (!si.getPermissions().isEmpty()) {
          Xml.element(xml, "Permission", si.getPermissions());
        }
        xml.append("</AccessPolicy></SignedIdentifier>");
      }
      xml.append("</SignedIdentifiers>");
      r.http().response()
          .putHeader("ETag", c.getEtag())
          .putHeader("Last-Modified", HttpDates.rfc1123(c.getLastModifiedEpochMillis()));
      if (!c.getPublicAccess().isEmpty()) {
        r.http().response().putHeader("x-ms-blob-public-access", c.getPublicAccess());
      }
      if (r.method() == io.vertx.core.http.HttpMethod.HEAD) {
        r.response(200).putHeader("Content-Length", "0").end();
      } else {
        r.endXml(200, xml.toString());
      }
      return null;
    });
  }

  /** PUT ?restype=container&comp=acl → 200 with the new ETag; replaces the level and every policy. */
  Future<Void> set(AzureRequest r) {
    String account = r.path().account();
    String name = r.path().container();
    ResourceNames.requireContainerName(name);
    String level = publicAccess(r);
    Condition condition = ConditionalHeaders.ofContainer(r);
    return readBody(r).compose(body -> {
      List<SignedIdentifier> identifiers = parse(body);
      MetadataCommand command = MetadataCommand.newBuilder()
          .setPartition(services.metadata().placement().containerPartition(account, name))
          .setRequestId(r.requestId())
          .setSetContainerAcl(ContainerAclUpdate.newBuilder()
              .setAccount(account)
              .setName(name)
              .setCondition(condition)
              .setPublicAccess(level)
              .addAllSignedIdentifiers(identifiers)
              .setEtag(services.newEtag())
              .setLastModifiedEpochMillis(services.clock().millis()))
          .build();
      return services.metadata().submit(r.context(), command);
    }).map(result -> {
      access.invalidate(account, name);
      if (result.getStatus() == CommandStatus.NOT_FOUND) {
        throw AzureError.CONTAINER_NOT_FOUND.exception();
      }
      if (result.getStatus() == CommandStatus.CONDITION_NOT_MET) {
        throw AzureError.CONDITION_NOT_MET.exception();
      }
      ContainerHandler.requireLeaseOk(result.getStatus());
      ContainerHandler.requireOk(result.getStatus());
      r.response(200)
          .putHeader("ETag", result.getContainer().getEtag())
          .putHeader("Last-Modified", HttpDates.rfc1123(result.getContainer().getLastModifiedEpochMillis()))
          .putHeader("Content-Length", "0")
          .end();
      return null;
    });
  }

  private static Future<Buffer> readBody(AzureRequest r) {
    Promise<Buffer> done = Promise.promise();
    Buffer body = Buffer.buffer();
    var req = r.http();
    req.handler(chunk -> {
      if (done.future().isComplete()) {
        return;
      }
      if (body.length() + chunk.length() > MAX_ACL_BODY_BYTES) {
        done.tryFail(AzureError.REQUEST_BODY_TOO_LARGE.exception());
        return;
      }
      body.appendBuffer(chunk);
    });
    req.endHandler(v -> done.tryComplete(body));
    req.exceptionHandler(done::tryFail);
    req.resume();
    return done.future();
  }

  /**
   * {@code <SignedIdentifiers>} of at most five {@code <SignedIdentifier>} (Id, AccessPolicy with
   * optional Start, Expiry, Permission). An empty body clears the policies. No DTDs or entities.
   */
  static List<SignedIdentifier> parse(Buffer body) {
    List<SignedIdentifier> out = new ArrayList<>();
    if (body.toString().isBlank()) {
      return out;
    }
    XMLInputFactory f = XMLInputFactory.newFactory();
    f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
    f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
    Set<String> ids = new HashSet<>();
    try {
      XMLStreamReader x = f.createXMLStreamReader(new ByteArrayInputStream(body.getBytes()));
      try {
        if (x.nextTag() != XMLStreamReader.START_ELEMENT || !x.getLocalName().equals("SignedIdentifiers")) {
          throw AzureError.INVALID_XML_DOCUMENT.exception();
        }
        while (x.nextTag() == XMLStreamReader.START_ELEMENT) {
          if (!x.getLocalName().equals("SignedIdentifier")) {
            throw AzureError.INVALID_XML_DOCUMENT.exception();
          }
          if (out.size() == MAX_IDENTIFIERS) {
            throw AzureError.INVALID_XML_DOCUMENT.exception();
          }
          SignedIdentifier si = identifier(x);
          if (!ids.add(si.getId())) {
            throw AzureError.INVALID_XML_NODE_VALUE.exception();
          }
          out.add(si);
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
    return out;
  }

  /** One SignedIdentifier; the reader is on its start tag and ends on its end tag. */
  private static SignedIdentifier identifier(XMLStreamReader x) throws XMLStreamException {
    SignedIdentifier.Builder b = SignedIdentifier.newBuilder();
    boolean hasId = false;
    while (x.nextTag() == XMLStreamReader.START_ELEMENT) {
      switch (x.getLocalName()) {
        case "Id" -> {
          String id = x.getElementText();
          if (id.isEmpty() || id.length() > MAX_ID_CHARS || hasId) {
            throw AzureError.INVALID_XML_NODE_VALUE.exception();
          }
          b.setId(id);
          hasId = true;
        }
        case "AccessPolicy" -> {
          while (x.nextTag() == XMLStreamReader.START_ELEMENT) {
            String element = x.getLocalName();
            String text = x.getElementText().trim();
            switch (element) {
              case "Start" -> b.setStartEpochMillis(time(text));
              case "Expiry" -> b.setExpiryEpochMillis(time(text));
              case "Permission" -> b.setPermissions(permissions(text));
              default -> throw AzureError.INVALID_XML_DOCUMENT.exception();
            }
          }
        }
        default -> throw AzureError.INVALID_XML_DOCUMENT.exception();
      }
    }
    if (!hasId) {
      throw AzureError.INVALID_XML_DOCUMENT.exception();
    }
    return b.build();
  }

  /** ISO 8601 with an offset (the SDKs send UTC, 'Z'); empty means unset. */
  private static long time(String text) {
    if (text.isEmpty()) {
      return 0;
    }
    try {
      long millis = OffsetDateTime.parse(text).toInstant().toEpochMilli();
      if (millis <= 0) {
        throw AzureError.INVALID_XML_NODE_VALUE.exception();
      }
      return millis;
    } catch (DateTimeParseException | ArithmeticException e) {
      throw AzureError.INVALID_XML_NODE_VALUE.exception();
    }
  }

  /** A subset of {@link #PERMISSION_ORDER} in any order, returned in that order. */
  static String permissions(String text) {
    boolean[] seen = new boolean[PERMISSION_ORDER.length()];
    for (int i = 0; i < text.length(); i++) {
      int at = PERMISSION_ORDER.indexOf(text.charAt(i));
      if (at < 0 || seen[at]) {
        throw AzureError.INVALID_XML_NODE_VALUE.exception();
      }
      seen[at] = true;
    }
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < seen.length; i++) {
      if (seen[i]) {
        out.append(PERMISSION_ORDER.charAt(i));
      }
    }
    return out.toString();
  }
}
