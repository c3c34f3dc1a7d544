package io.cobalt.gateway.table.edm;

/**
 * A request's table input (entity body, key, filter, query option) breaks one of Azure's rules. It
 * carries the Azure error code as a string (for example {@code "InvalidInput"}) so the gateway's
 * error catalogue can map it to its HTTP status and message; the message here is diagnostic detail
 * for the log. Expected, so it carries no stack trace.
 */
public final class TableInputException extends RuntimeException {

  /** Malformed input: bad JSON, a value that does not parse as its type, a filter that does not parse. */
  public static final String INVALID_INPUT = "InvalidInput";
  /** A value outside the range its type or field allows (a key with a forbidden character, a date before 1601). */
  public static final String OUT_OF_RANGE_INPUT = "OutOfRangeInput";
  /** A PartitionKey or RowKey longer than 1 KiB (1024 UTF-16 code units). */
  public static final String KEY_VALUE_TOO_LARGE = "KeyValueTooLarge";
  /** A property name longer than 255 characters. */
  public static final String PROPERTY_NAME_TOO_LONG = "PropertyNameTooLong";
  /** A property name that is not a valid C# identifier. */
  public static final String PROPERTY_NAME_INVALID = "PropertyNameInvalid";
  /** A string longer than 32 Ki UTF-16 code units, or a binary longer than 64 KiB. */
  public static final String PROPERTY_VALUE_TOO_LARGE = "PropertyValueTooLarge";
  /** More than 252 custom properties. */
  public static final String TOO_MANY_PROPERTIES = "TooManyProperties";
  /** An entity larger than 1 MiB by Azure's size formula. */
  public static final String ENTITY_TOO_LARGE = "EntityTooLarge";
  /** The same property named twice in one entity body. */
  public static final String DUPLICATE_PROPERTIES_SPECIFIED = "DuplicatePropertiesSpecified";
  /** A required property (PartitionKey, RowKey) has no value. */
  public static final String PROPERTIES_NEED_VALUE = "PropertiesNeedValue";

  private final String code;

  public TableInputException(String code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  /** Azure's error code, e.g. {@code "PropertyValueTooLarge"}. */
  public String code() {
    return code;
  }

  public static TableInputException invalidInput(String message) {
    return new TableInputException(INVALID_INPUT, message);
  }
}
