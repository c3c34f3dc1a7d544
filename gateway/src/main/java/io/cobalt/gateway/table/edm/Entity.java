package io.cobalt.gateway.table.edm;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A table entity: its keys, its server-managed Timestamp (absent until stored) and its custom
 * properties in the order they were given. Construction checks every Azure limit and throws a
 * {@link TableInputException} naming the code Azure answers with; an {@code Entity} therefore always
 * fits in Azure.
 */
public final class Entity {

  public static final String PARTITION_KEY = "PartitionKey";
  public static final String ROW_KEY = "RowKey";
  public static final String TIMESTAMP = "Timestamp";

  /** Properties besides PartitionKey, RowKey and Timestamp (255 in all). */
  public static final int MAX_CUSTOM_PROPERTIES = 252;
  /** Property names are at most 255 characters. */
  public static final int MAX_PROPERTY_NAME_CHARS = 255;
  /** Keys are at most 1 KiB; counted, like the Azure documentation's examples, in UTF-16 code units. */
  public static final int MAX_KEY_CHARS = 1024;
  /** An entity is at most 1 MiB by {@link #sizeBytes()}. */
  public static final long MAX_ENTITY_BYTES = 1024L * 1024;

  private final String partitionKey;
  private final String rowKey;
  private final EdmValue.EdmDateTime timestamp;
  private final Map<String, EdmValue> properties;

  private Entity(
      String partitionKey,
      String rowKey,
      EdmValue.EdmDateTime timestamp,
      Map<String, EdmValue> properties) {
    this.partitionKey = partitionKey;
    this.rowKey = rowKey;
    this.timestamp = timestamp;
    this.properties = properties;
  }

  /**
   * An entity with these keys and properties (iteration order kept), not yet stored (no
   * Timestamp). Checks keys, names, counts and sizes.
   */
  public static Entity of(String partitionKey, String rowKey, Map<String, EdmValue> properties) {
    return create(partitionKey, rowKey, null, properties);
  }

  /** As {@link #of}, with the Timestamp the store assigned. */
  public static Entity stored(
      String partitionKey,
      String rowKey,
      EdmValue.EdmDateTime timestamp,
      Map<String, EdmValue> properties) {
    return create(partitionKey, rowKey, Objects.requireNonNull(timestamp, "timestamp"), properties);
  }

  private static Entity create(
      String partitionKey,
      String rowKey,
      EdmValue.EdmDateTime timestamp,
      Map<String, EdmValue> properties) {
    checkKey(PARTITION_KEY, partitionKey);
    checkKey(ROW_KEY, rowKey);
    if (properties.size() > MAX_CUSTOM_PROPERTIES) {
      throw new TableInputException(
          TableInputException.TOO_MANY_PROPERTIES,
          properties.size() + " custom properties, at most " + MAX_CUSTOM_PROPERTIES);
    }
    LinkedHashMap<String, EdmValue> copy = new LinkedHashMap<>();
    long size = 4 + 2L * (partitionKey.length() + rowKey.length());
    for (Map.Entry<String, EdmValue> e : properties.entrySet()) {
      String name = e.getKey();
      EdmValue value = Objects.requireNonNull(e.getValue(), name);
      checkPropertyName(name);
      if (name.equals(PARTITION_KEY) || name.equals(ROW_KEY) || name.equals(TIMESTAMP)) {
        throw TableInputException.invalidInput(name + " is a system property, not a custom one");
      }
      checkValueSize(name, value);
      size += 8 + 2L * name.length() + value.sizeBytes();
      copy.put(name, value);
    }
    if (size > MAX_ENTITY_BYTES) {
      throw new TableInputException(
          TableInputException.ENTITY_TOO_LARGE,
          "entity is " + size + " bytes, at most " + MAX_ENTITY_BYTES);
    }
    return new Entity(partitionKey, rowKey, timestamp, Collections.unmodifiableMap(copy));
  }

  /**
   * Checks a PartitionKey or RowKey value: at most {@link #MAX_KEY_CHARS} UTF-16 code units
   * (KeyValueTooLarge), none of {@code / \ # ?} nor the control characters U+0000..U+001F and
   * U+007F..U+009F (OutOfRangeInput). The empty string is a valid key.
   */
  public static void checkKey(String which, String key) {
    if (key == null) {
      throw new TableInputException(
          TableInputException.PROPERTIES_NEED_VALUE, which + " has no value");
    }
    if (key.length() > MAX_KEY_CHARS) {
      throw new TableInputException(
          TableInputException.KEY_VALUE_TOO_LARGE,
          which + " is " + key.length() + " characters, at most " + MAX_KEY_CHARS);
    }
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c == '/' || c == '\\' || c == '#' || c == '?' || c <= 0x1F || (c >= 0x7F && c <= 0x9F)) {
        throw new TableInputException(
            TableInputException.OUT_OF_RANGE_INPUT,
            String.format("%s has the forbidden character U+%04X at %d", which, (int) c, i));
      }
    }
  }

  /**
   * Checks a property name: at most 255 characters (PropertyNameTooLong) and a C# identifier
   * without the verbatim {@code @} prefix: a letter or {@code _}, then letters, digits, connectors,
   * combining marks and formatting characters (PropertyNameInvalid).
   */
  public static void checkPropertyName(String name) {
    if (name.length() > MAX_PROPERTY_NAME_CHARS) {
      throw new TableInputException(
          TableInputException.PROPERTY_NAME_TOO_LONG,
          "property name is " + name.length() + " characters, at most " + MAX_PROPERTY_NAME_CHARS);
    }
    if (!isIdentifier(name)) {
      throw new TableInputException(
          TableInputException.PROPERTY_NAME_INVALID, "not a valid property name: " + name);
    }
  }

  /** Whether a name is a C# identifier (without {@code @}) of at most 255 characters. */
  public static boolean isValidPropertyName(String name) {
    return name.length() <= MAX_PROPERTY_NAME_CHARS && isIdentifier(name);
  }

  static boolean isIdentifier(String name) {
    if (name.isEmpty()) {
      return false;
    }
    int first = name.codePointAt(0);
    if (first != '_' && !isLetter(first)) {
      return false;
    }
    for (int i = Character.charCount(first); i < name.length(); ) {
      int cp = name.codePointAt(i);
      if (!isIdentifierPart(cp)) {
        return false;
      }
      i += Character.charCount(cp);
    }
    return true;
  }

  /** Whether a code point may start a property name (with {@code _}). */
  public static boolean isLetter(int cp) {
    switch (Character.getType(cp)) {
      case Character.UPPERCASE_LETTER:
      case Character.LOWERCASE_LETTER:
      case Character.TITLECASE_LETTER:
      case Character.MODIFIER_LETTER:
      case Character.OTHER_LETTER:
      case Character.LETTER_NUMBER:
        return true;
      default:
        return false;
    }
  }

  /** Whether a code point may continue a property name (letters, digits, {@code _}, marks). */
  public static boolean isIdentifierPart(int cp) {
    if (isLetter(cp)) {
      return true;
    }
    switch (Character.getType(cp)) {
      case Character.DECIMAL_DIGIT_NUMBER:
      case Character.CONNECTOR_PUNCTUATION:
      case Character.NON_SPACING_MARK:
      case Character.COMBINING_SPACING_MARK:
      case Character.FORMAT:
        return true;
      default:
        return false;
    }
  }

  private static void checkValueSize(String name, EdmValue value) {
    if (value instanceof EdmValue.EdmString s && s.value().length() > EdmValue.MAX_STRING_CHARS) {
      throw new TableInputException(
          TableInputException.PROPERTY_VALUE_TOO_LARGE,
          name + " is " + s.value().length() + " UTF-16 code units, at most "
              + EdmValue.MAX_STRING_CHARS);
    }
    if (value instanceof EdmValue.EdmBinary b && b.length() > EdmValue.MAX_BINARY_BYTES) {
      throw new TableInputException(
          TableInputException.PROPERTY_VALUE_TOO_LARGE,
          name + " is " + b.length() + " bytes, at most " + EdmValue.MAX_BINARY_BYTES);
    }
  }

  public String partitionKey() {
    return partitionKey;
  }

  public String rowKey() {
    return rowKey;
  }

  /** The Timestamp the store assigned; empty for an entity not yet stored. */
  public Optional<EdmValue.EdmDateTime> timestamp() {
    return Optional.ofNullable(timestamp);
  }

  /** Custom properties in insertion order; unmodifiable. */
  public Map<String, EdmValue> properties() {
    return properties;
  }

  /**
   * Any property by name as a filter sees it: PartitionKey and RowKey as strings, Timestamp as a
   * DateTime (if stored), custom properties as stored; empty if the entity has no such property.
   */
  public Optional<EdmValue> property(String name) {
    switch (name) {
      case PARTITION_KEY:
        return Optional.of(new EdmValue.EdmString(partitionKey));
      case ROW_KEY:
        return Optional.of(new EdmValue.EdmString(rowKey));
      case TIMESTAMP:
        return Optional.ofNullable(timestamp);
      default:
        return Optional.ofNullable(properties.get(name));
    }
  }

  /** This entity with the Timestamp the store assigned. */
  public Entity withTimestamp(EdmValue.EdmDateTime newTimestamp) {
    return new Entity(partitionKey, rowKey, Objects.requireNonNull(newTimestamp), properties);
  }

  /**
   * The size Azure charges against the 1 MiB limit: 4 + 2 × (PartitionKey + RowKey characters) +
   * for each custom property 8 + 2 × name characters + {@link EdmValue#sizeBytes()}.
   */
  public long sizeBytes() {
    long size = 4 + 2L * (partitionKey.length() + rowKey.length());
    for (Map.Entry<String, EdmValue> e : properties.entrySet()) {
      size += 8 + 2L * e.getKey().length() + e.getValue().sizeBytes();
    }
    return size;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Entity other
        && partitionKey.equals(other.partitionKey)
        && rowKey.equals(other.rowKey)
        && Objects.equals(timestamp, other.timestamp)
        && properties.equals(other.properties);
  }

  @Override
  public int hashCode() {
    return Objects.hash(partitionKey, rowKey, timestamp, properties);
  }

  @Override
  public String toString() {
    return "Entity[" + partitionKey + ", " + rowKey + ", " + timestamp + ", " + properties + "]";
  }
}
