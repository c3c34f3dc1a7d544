package io.cobalt.gateway.table.edm;

/** The property types the Table service stores, by their OData names. */
public enum EdmType {
  STRING("Edm.String"),
  INT32("Edm.Int32"),
  INT64("Edm.Int64"),
  DOUBLE("Edm.Double"),
  BOOLEAN("Edm.Boolean"),
  DATE_TIME("Edm.DateTime"),
  GUID("Edm.Guid"),
  BINARY("Edm.Binary");

  private final String odataName;

  EdmType(String odataName) {
    this.odataName = odataName;
  }

  /** The name used in {@code @odata.type} annotations, e.g. {@code "Edm.Int64"}. */
  public String odataName() {
    return odataName;
  }

  /** The type an {@code @odata.type} annotation names; InvalidInput for any other name. */
  public static EdmType fromOdataName(String name) {
    for (EdmType type : values()) {
      if (type.odataName.equals(name)) {
        return type;
      }
    }
    throw TableInputException.invalidInput("unknown property type " + name);
  }
}
