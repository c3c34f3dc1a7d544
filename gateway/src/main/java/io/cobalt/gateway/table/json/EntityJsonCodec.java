package io.cobalt.gateway.table.json;

import io.cobalt.gateway.table.edm.EdmType;
import io.cobalt.gateway.table.edm.EdmValue;
import io.cobalt.gateway.table.edm.Entity;
import io.cobalt.gateway.table.edm.TableInputException;
import java.math.BigInteger;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Reads entity request bodies and writes entity responses in Azure's JSON format.
 *
 * <p>Reading: a member {@code P@odata.type} names P's type and P's JSON value is converted to it
 * ({@code Edm.Int64} from a decimal string, {@code Edm.Double} also from {@code "NaN"}, {@code
 * "Infinity"}, {@code "-Infinity"}, {@code Edm.DateTime}/{@code Edm.Guid} from their string forms,
 * {@code Edm.Binary} from base64). Without an annotation a JSON string is an Edm.String, a boolean
 * an Edm.Boolean, an integer literal that fits 32 bits an Edm.Int32, and any other number (one with
 * a fraction or exponent, or a larger integer) an Edm.Double. {@code odata.*} members, Timestamp
 * and {@code null} values are ignored.
 *
 * <p>Writing: see {@link ODataMetadata}; Edm.Int64, Edm.DateTime, Edm.Guid, Edm.Binary and
 * non-finite Edm.Double values are written as strings with a {@code P@odata.type} annotation in
 * minimal and full metadata; Timestamp's annotation only in full metadata.
 */
public final class EntityJsonCodec {

  private static final String TYPE_SUFFIX = "@odata.type";

  private EntityJsonCodec() {}

  /**
   * An entity body as read: keys when the body has them (a body for Update or Merge may leave them
   * to the URL) and the typed custom properties in body order. Not yet checked against Azure's
   * limits: {@link #toEntity} does that.
   */
  public record EntityPayload(String partitionKey, String rowKey, Map<String, EdmValue> properties) {

    /** The entity with the body's own keys; PropertiesNeedValue if it has none. */
    public Entity toEntity() {
      return Entity.of(partitionKey, rowKey, properties);
    }

    /** The entity with the keys the request URL names. */
    public Entity toEntity(String urlPartitionKey, String urlRowKey) {
      return Entity.of(urlPartitionKey, urlRowKey, properties);
    }
  }

  /** Parses an entity request body. */
  public static EntityPayload parse(String body) {
    Object root = JsonReader.parse(body);
    if (!(root instanceof JsonReader.JsonObject object)) {
      throw TableInputException.invalidInput("an entity body is a JSON object");
    }
    Map<String, Object> values = new LinkedHashMap<>();
    Map<String, String> annotations = new HashMap<>();
    Set<String> seen = new HashSet<>();
    for (JsonReader.Member m : object.members()) {
      if (!seen.add(m.name())) {
        throw new TableInputException(
            TableInputException.DUPLICATE_PROPERTIES_SPECIFIED, "member named twice: " + m.name());
      }
      if (m.name().startsWith("odata.")) {
        continue;
      }
      if (m.name().endsWith(TYPE_SUFFIX)) {
        String property = m.name().substring(0, m.name().length() - TYPE_SUFFIX.length());
        if (!(m.value() instanceof String typeName)) {
          throw TableInputException.invalidInput(m.name() + " is not a string");
        }
        annotations.put(property, typeName);
      } else if (m.name().indexOf('@') >= 0) {
        throw TableInputException.invalidInput("unsupported annotation " + m.name());
      } else {
        values.put(m.name(), m.value());
      }
    }
    for (String annotated : annotations.keySet()) {
      if (!values.containsKey(annotated)) {
        throw TableInputException.invalidInput("type annotation for absent property " + annotated);
      }
    }
    String partitionKey = null;
    String rowKey = null;
    Map<String, EdmValue> properties = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : values.entrySet()) {
      String name = e.getKey();
      Object json = e.getValue();
      String typeName = annotations.get(name);
      EdmType type = typeName == null ? null : EdmType.fromOdataName(typeName);
      if (json == JsonReader.NULL || name.equals(Entity.TIMESTAMP)) {
        continue;
      }
      if (name.equals(Entity.PARTITION_KEY) || name.equals(Entity.ROW_KEY)) {
        if (!(json instanceof String key) || (type != null && type != EdmType.STRING)) {
          throw TableInputException.invalidInput(name + " must be a string");
        }
        if (name.equals(Entity.PARTITION_KEY)) {
          partitionKey = key;
        } else {
          rowKey = key;
        }
        continue;
      }
      properties.put(name, type == null ? untyped(name, json) : typed(name, type, json));
    }
    return new EntityPayload(partitionKey, rowKey, properties);
  }

  private static EdmValue untyped(String name, Object json) {
    if (json instanceof String s) {
      return new EdmValue.EdmString(s);
    }
    if (json instanceof Boolean b) {
      return new EdmValue.EdmBoolean(b);
    }
    if (json instanceof JsonReader.JsonNumber n) {
      if (n.isIntegral() && n.lexeme().length() <= 11) {
        long v = Long.parseLong(n.lexeme());
        if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
          return new EdmValue.EdmInt32((int) v);
        }
      }
      return new EdmValue.EdmDouble(finiteDouble(name, n.lexeme()));
    }
    throw TableInputException.invalidInput(name + " is not a primitive value");
  }

  private static EdmValue typed(String name, EdmType type, Object json) {
    switch (type) {
      case STRING:
        return new EdmValue.EdmString(string(name, type, json));
      case INT32: {
        BigInteger v = integer(name, type, json);
        if (v.bitLength() >= 32) {
          throw TableInputException.invalidInput(name + " is out of Edm.Int32 range");
        }
        return new EdmValue.EdmInt32(v.intValue());
      }
      case INT64: {
        BigInteger v = integer(name, type, json);
        if (v.bitLength() >= 64) {
          throw TableInputException.invalidInput(name + " is out of Edm.Int64 range");
        }
        return new EdmValue.EdmInt64(v.longValue());
      }
      case DOUBLE:
        if (json instanceof JsonReader.JsonNumber n) {
          return new EdmValue.EdmDouble(finiteDouble(name, n.lexeme()));
        }
        return new EdmValue.EdmDouble(doubleFromString(name, string(name, type, json)));
      case BOOLEAN:
        if (json instanceof Boolean b) {
          return new EdmValue.EdmBoolean(b);
        }
        throw TableInputException.invalidInput(name + " is not an Edm.Boolean");
      case DATE_TIME:
        return EdmValue.EdmDateTime.parse(string(name, type, json));
      case GUID:
        return EdmValue.EdmGuid.parse(string(name, type, json));
      case BINARY:
        return EdmValue.EdmBinary.fromBase64(string(name, type, json));
      default:
        throw new IllegalStateException(type.toString());
    }
  }

  private static String string(String name, EdmType type, Object json) {
    if (json instanceof String s) {
      return s;
    }
    throw TableInputException.invalidInput(name + " is not a string for " + type.odataName());
  }

  /** An integer from an integral JSON number or a decimal string ({@code -?[0-9]+}). */
  private static BigInteger integer(String name, EdmType type, Object json) {
    String digits;
    if (json instanceof JsonReader.JsonNumber n && n.isIntegral() && n.lexeme().length() <= 40) {
      digits = n.lexeme();
    } else if (json instanceof String s && s.matches("[+-]?[0-9]{1,40}")) {
      digits = s;
    } else {
      throw TableInputException.invalidInput(name + " is not an " + type.odataName());
    }
    return new BigInteger(digits);
  }

  private static double finiteDouble(String name, String lexeme) {
    double d = Double.parseDouble(lexeme);
    if (Double.isInfinite(d)) {
      throw TableInputException.invalidInput(name + " is out of Edm.Double range");
    }
    return d;
  }

  private static double doubleFromString(String name, String s) {
    switch (s) {
      case "NaN":
        return Double.NaN;
      case "Infinity":
      case "INF":
        return Double.POSITIVE_INFINITY;
      case "-Infinity":
      case "-INF":
        return Double.NEGATIVE_INFINITY;
      default:
        if (!s.matches("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?")) {
          throw TableInputException.invalidInput(name + " is not an Edm.Double");
        }
        return finiteDouble(name, s);
    }
  }

  /**
   * One entity as Get Entity and Insert Entity answer it: {@code odata.metadata} ({@code
   * .../@Element}) first in minimal and full metadata.
   *
   * @param select the properties {@code $select} asked for, or null for all
   */
  public static String writeEntity(
      Entity entity, String etag, ODataMetadata level, ODataLinks links, Collection<String> select) {
    StringBuilder sb = new StringBuilder();
    JsonWriter w = new JsonWriter(sb);
    w.beginObject();
    if (level != ODataMetadata.NO_METADATA) {
      w.member("odata.metadata", links.entityMetadata() + selectSuffix(select));
    }
    entityMembers(w, entity, etag, level, links, select);
    w.endObject();
    return sb.toString();
  }

  /**
   * A Query Entities page: {@code {"odata.metadata":"…","value":[…]}} ({@code odata.metadata}
   * omitted in no metadata, and followed by {@code &$select=…} when the query selected).
   *
   * @param etags each entity's ETag
   */
  public static String writeQueryPage(
      List<Entity> entities,
      Function<Entity, String> etags,
      ODataMetadata level,
      ODataLinks links,
      Collection<String> select) {
    StringBuilder sb = new StringBuilder();
    JsonWriter w = new JsonWriter(sb);
    w.beginObject();
    if (level != ODataMetadata.NO_METADATA) {
      w.member("odata.metadata", links.entitySetMetadata() + selectSuffix(select));
    }
    w.name("value").beginArray();
    for (Entity e : entities) {
      w.beginObject();
      entityMembers(w, e, etags.apply(e), level, links, select);
      w.endObject();
    }
    w.endArray();
    w.endObject();
    return sb.toString();
  }

  private static String selectSuffix(Collection<String> select) {
    return select == null ? "" : "&$select=" + String.join(",", select);
  }

  private static void entityMembers(
      JsonWriter w,
      Entity entity,
      String etag,
      ODataMetadata level,
      ODataLinks links,
      Collection<String> select) {
    if (level == ODataMetadata.FULL_METADATA) {
      w.member("odata.type", links.type());
      w.member("odata.id", links.id(entity.partitionKey(), entity.rowKey()));
    }
    if (level != ODataMetadata.NO_METADATA) {
      w.member("odata.etag", etag);
    }
    if (level == ODataMetadata.FULL_METADATA) {
      w.member("odata.editLink", links.editLink(entity.partitionKey(), entity.rowKey()));
    }
    if (selected(select, Entity.PARTITION_KEY)) {
      w.member(Entity.PARTITION_KEY, entity.partitionKey());
    }
    if (selected(select, Entity.ROW_KEY)) {
      w.member(Entity.ROW_KEY, entity.rowKey());
    }
    if (selected(select, Entity.TIMESTAMP) && entity.timestamp().isPresent()) {
      if (level == ODataMetadata.FULL_METADATA) {
        w.member(Entity.TIMESTAMP + TYPE_SUFFIX, EdmType.DATE_TIME.odataName());
      }
      w.member(Entity.TIMESTAMP, entity.timestamp().get().format());
    }
    for (Map.Entry<String, EdmValue> p : entity.properties().entrySet()) {
      if (selected(select, p.getKey())) {
        property(w, p.getKey(), p.getValue(), level);
      }
    }
  }

  private static boolean selected(Collection<String> select, String name) {
    return select == null || select.contains(name);
  }

  private static void property(JsonWriter w, String name, EdmValue value, ODataMetadata level) {
    boolean annotate = level != ODataMetadata.NO_METADATA && needsAnnotation(value);
    if (annotate) {
      w.member(name + TYPE_SUFFIX, value.type().odataName());
    }
    w.name(name);
    if (value instanceof EdmValue.EdmString v) {
      w.string(v.value());
    } else if (value instanceof EdmValue.EdmInt32 v) {
      w.raw(Integer.toString(v.value()));
    } else if (value instanceof EdmValue.EdmInt64 v) {
      w.string(Long.toString(v.value()));
    } else if (value instanceof EdmValue.EdmDouble v) {
      double d = v.value();
      if (Double.isNaN(d)) {
        w.string("NaN");
      } else if (Double.isInfinite(d)) {
        w.string(d > 0 ? "Infinity" : "-Infinity");
      } else {
        w.raw(Double.toString(d));
      }
    } else if (value instanceof EdmValue.EdmBoolean v) {
      w.raw(Boolean.toString(v.value()));
    } else if (value instanceof EdmValue.EdmDateTime v) {
      w.string(v.format());
    } else if (value instanceof EdmValue.EdmGuid v) {
      w.string(v.format());
    } else if (value instanceof EdmValue.EdmBinary v) {
      w.string(v.base64());
    } else {
      throw new IllegalStateException(value.toString());
    }
  }

  /** Types JSON cannot tell apart from a string or an Int32 on their own. */
  private static boolean needsAnnotation(EdmValue value) {
    switch (value.type()) {
      case INT64:
      case DATE_TIME:
      case GUID:
      case BINARY:
        return true;
      case DOUBLE:
        return !Double.isFinite(((EdmValue.EdmDouble) value).value());
      default:
        return false;
    }
  }
}
