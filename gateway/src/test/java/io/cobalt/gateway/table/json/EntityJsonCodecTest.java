package io.cobalt.gateway.table.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cobalt.gateway.table.edm.EdmValue;
import io.cobalt.gateway.table.edm.Entity;
import io.cobalt.gateway.table.edm.TableInputException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class EntityJsonCodecTest {

  private static final ODataLinks LINKS =
      new ODataLinks("https://acct.table.core.windows.net/", "acct", "Customers");
  private static final EdmValue.EdmDateTime TS =
      EdmValue.EdmDateTime.parse("2013-08-22T23:20:16.3134645Z");
  private static final String ETAG = "W/\"datetime'2013-08-22T23%3A20%3A16.3134645Z'\"";

  private static Map<String, EdmValue> parseProps(String json) {
    return EntityJsonCodec.parse(json).properties();
  }

  private static String code(String json) {
    return assertThrows(TableInputException.class, () -> EntityJsonCodec.parse(json).toEntity()).code();
  }

  /** One property of every type, including the awkward values. */
  static Entity everyType() {
    byte[] big = new byte[64 * 1024];
    new Random(7).nextBytes(big);
    Map<String, EdmValue> m = new LinkedHashMap<>();
    m.put("Str", new EdmValue.EdmString("it's \"quoted\" \\ \n\t \u0001 \u2028 é \uD83D\uDE00"));
    m.put("EmptyStr", new EdmValue.EdmString(""));
    m.put("NumericStr", new EdmValue.EdmString("12345"));
    m.put("I32", new EdmValue.EdmInt32(42));
    m.put("I32Min", new EdmValue.EdmInt32(Integer.MIN_VALUE));
    m.put("I32Max", new EdmValue.EdmInt32(Integer.MAX_VALUE));
    m.put("I64Min", new EdmValue.EdmInt64(Long.MIN_VALUE));
    m.put("I64Max", new EdmValue.EdmInt64(Long.MAX_VALUE));
    m.put("I64Small", new EdmValue.EdmInt64(7));
    m.put("D", new EdmValue.EdmDouble(200.23));
    m.put("DWhole", new EdmValue.EdmDouble(3.0));
    m.put("DNeg0", new EdmValue.EdmDouble(-0.0));
    m.put("DTiny", new EdmValue.EdmDouble(Double.MIN_VALUE));
    m.put("DHuge", new EdmValue.EdmDouble(Double.MAX_VALUE));
    m.put("DNaN", new EdmValue.EdmDouble(Double.NaN));
    m.put("DPosInf", new EdmValue.EdmDouble(Double.POSITIVE_INFINITY));
    m.put("DNegInf", new EdmValue.EdmDouble(Double.NEGATIVE_INFINITY));
    m.put("B", new EdmValue.EdmBoolean(true));
    m.put("BFalse", new EdmValue.EdmBoolean(false));
    m.put("Dt", EdmValue.EdmDateTime.parse("2008-10-01T15:25:05.2852025Z"));
    m.put("DtMin", EdmValue.EdmDateTime.parse("1601-01-01T00:00:00Z"));
    m.put("DtMax", EdmValue.EdmDateTime.parse("9999-12-31T23:59:59.9999999Z"));
    m.put("G", new EdmValue.EdmGuid(UUID.fromString("c9da6455-213d-42c9-9a79-3e9149a57833")));
    m.put("BinEmpty", new EdmValue.EdmBinary(new byte[0]));
    m.put("Bin64K", new EdmValue.EdmBinary(big));
    return Entity.stored("Customer's", "Name é", TS, m);
  }

  @ParameterizedTest
  @EnumSource(value = ODataMetadata.class, names = {"MINIMAL_METADATA", "FULL_METADATA"})
  void everyTypeSurvivesWriteThenParseExactly(ODataMetadata level) {
    Entity e = everyType();
    String json = EntityJsonCodec.writeEntity(e, ETAG, level, LINKS, null);
    EntityJsonCodec.EntityPayload back = EntityJsonCodec.parse(json);
    assertEquals(e.partitionKey(), back.partitionKey());
    assertEquals(e.rowKey(), back.rowKey());
    assertEquals(e.properties(), back.properties());
    assertEquals(List.copyOf(e.properties().keySet()), List.copyOf(back.properties().keySet()));
    // And a second round trip writes the same text.
    assertEquals(json, EntityJsonCodec.writeEntity(
        Entity.stored(back.partitionKey(), back.rowKey(), TS, back.properties()), ETAG, level, LINKS, null));
  }

  @Test
  void noMetadataKeepsWhatJsonCarriesAndWritesTheRestAsTheirStrings() {
    Entity e = everyType();
    String json = EntityJsonCodec.writeEntity(e, ETAG, ODataMetadata.NO_METADATA, LINKS, null);
    assertFalse(json.contains("odata."), json);
    Map<String, EdmValue> back = parseProps(json);
    for (Map.Entry<String, EdmValue> p : e.properties().entrySet()) {
      EdmValue original = p.getValue();
      EdmValue read = back.get(p.getKey());
      switch (original.type()) {
        case STRING, INT32, BOOLEAN -> assertEquals(original, read, p.getKey());
        case DOUBLE -> {
          double d = ((EdmValue.EdmDouble) original).value();
          assertEquals(
              Double.isFinite(d) ? original : new EdmValue.EdmString(d > 0 ? "Infinity" : d < 0 ? "-Infinity" : "NaN"),
              read, p.getKey());
        }
        case INT64 -> assertEquals(new EdmValue.EdmString(Long.toString(((EdmValue.EdmInt64) original).value())), read);
        case DATE_TIME -> assertEquals(new EdmValue.EdmString(((EdmValue.EdmDateTime) original).format()), read);
        case GUID -> assertEquals(new EdmValue.EdmString(((EdmValue.EdmGuid) original).format()), read);
        case BINARY -> assertEquals(new EdmValue.EdmString(((EdmValue.EdmBinary) original).base64()), read);
        default -> throw new AssertionError(original);
      }
    }
  }

  @Test
  void minimalMetadataHasMetadataEtagAndTypeAnnotationsOnlyWhereJsonCannotTell() {
    Map<String, EdmValue> m = new LinkedHashMap<>();
    m.put("Address", new EdmValue.EdmString("Mountain View"));
    m.put("Age", new EdmValue.EdmInt32(23));
    m.put("AmountDue", new EdmValue.EdmDouble(200.23));
    m.put("CustomerCode", new EdmValue.EdmGuid(UUID.fromString("c9da6455-213d-42c9-9a79-3e9149a57833")));
    m.put("CustomerSince", EdmValue.EdmDateTime.parse("2008-07-10T00:00:00Z"));
    m.put("IsActive", new EdmValue.EdmBoolean(true));
    m.put("NumberOfOrders", new EdmValue.EdmInt64(255));
    m.put("Photo", new EdmValue.EdmBinary(new byte[] {1, 2}));
    m.put("Ratio", new EdmValue.EdmDouble(Double.NaN));
    Entity e = Entity.stored("mypartitionkey", "myrowkey", TS, m);
    assertEquals(
        "{\"odata.metadata\":\"https://acct.table.core.windows.net/$metadata#Customers/@Element\","
            + "\"odata.etag\":\"W/\\\"datetime'2013-08-22T23%3A20%3A16.3134645Z'\\\"\","
            + "\"PartitionKey\":\"mypartitionkey\",\"RowKey\":\"myrowkey\","
            + "\"Timestamp\":\"2013-08-22T23:20:16.3134645Z\","
            + "\"Address\":\"Mountain View\",\"Age\":23,\"AmountDue\":200.23,"
            + "\"CustomerCode@odata.type\":\"Edm.Guid\",\"CustomerCode\":\"c9da6455-213d-42c9-9a79-3e9149a57833\","
            + "\"CustomerSince@odata.type\":\"Edm.DateTime\",\"CustomerSince\":\"2008-07-10T00:00:00.0000000Z\","
            + "\"IsActive\":true,"
            + "\"NumberOfOrders@odata.type\":\"Edm.Int64\",\"NumberOfOrders\":\"255\","
            + "\"Photo@odata.type\":\"Edm.Binary\",\"Photo\":\"AQI=\","
            + "\"Ratio@odata.type\":\"Edm.Double\",\"Ratio\":\"NaN\"}",
        EntityJsonCodec.writeEntity(e, ETAG, ODataMetadata.MINIMAL_METADATA, LINKS, null));
  }

  @Test
  void fullMetadataAddsTypeIdEditLinkAndTimestampType() {
    Entity e = Entity.stored("Customer", "Na'me", TS, Map.of("Age", new EdmValue.EdmInt32(23)));
    assertEquals(
        "{\"odata.metadata\":\"https://acct.table.core.windows.net/$metadata#Customers/@Element\","
            + "\"odata.type\":\"acct.Customers\","
            + "\"odata.id\":\"https://acct.table.core.windows.net/Customers(PartitionKey='Customer',RowKey='Na''me')\","
            + "\"odata.etag\":\"e1\","
            + "\"odata.editLink\":\"Customers(PartitionKey='Customer',RowKey='Na''me')\","
            + "\"PartitionKey\":\"Customer\",\"RowKey\":\"Na'me\","
            + "\"Timestamp@odata.type\":\"Edm.DateTime\",\"Timestamp\":\"2013-08-22T23:20:16.3134645Z\","
            + "\"Age\":23}",
        EntityJsonCodec.writeEntity(e, "e1", ODataMetadata.FULL_METADATA, LINKS, null));
  }

  @Test
  void queryPageWrapsEntitiesInValueAndNamesTheSelection() {
    Entity a = Entity.stored("p", "1", TS, Map.of("X", new EdmValue.EdmInt64(1), "Y", new EdmValue.EdmInt32(2)));
    Entity b = Entity.stored("p", "2", TS, Map.of("Y", new EdmValue.EdmInt32(3)));
    assertEquals(
        "{\"odata.metadata\":\"https://acct.table.core.windows.net/$metadata#Customers&$select=RowKey,X\","
            + "\"value\":[{\"odata.etag\":\"e-1\",\"RowKey\":\"1\",\"X@odata.type\":\"Edm.Int64\",\"X\":\"1\"},"
            + "{\"odata.etag\":\"e-2\",\"RowKey\":\"2\"}]}",
        EntityJsonCodec.writeQueryPage(
            List.of(a, b), e -> "e-" + e.rowKey(), ODataMetadata.MINIMAL_METADATA, LINKS, List.of("RowKey", "X")));
    assertEquals(
        "{\"value\":[{\"PartitionKey\":\"p\",\"RowKey\":\"2\",\"Timestamp\":\"2013-08-22T23:20:16.3134645Z\",\"Y\":3}]}",
        EntityJsonCodec.writeQueryPage(List.of(b), e -> "x", ODataMetadata.NO_METADATA, LINKS, null));
  }

  @Test
  void untypedNumbersAreInt32WhenTheyFitElseDouble() {
    Map<String, EdmValue> p = parseProps(
        "{\"a\":1,\"b\":-2147483648,\"c\":2147483648,\"d\":1.0,\"e\":2E10,\"f\":-0.0,\"g\":1.5e-3,\"h\":-0,"
            + "\"i\":123456789012345678901234567890}");
    assertEquals(new EdmValue.EdmInt32(1), p.get("a"));
    assertEquals(new EdmValue.EdmInt32(Integer.MIN_VALUE), p.get("b"));
    assertEquals(new EdmValue.EdmDouble(2147483648.0), p.get("c"));
    assertEquals(new EdmValue.EdmDouble(1.0), p.get("d"));
    assertEquals(new EdmValue.EdmDouble(2e10), p.get("e"));
    assertEquals(new EdmValue.EdmDouble(-0.0), p.get("f"));
    assertEquals(new EdmValue.EdmDouble(1.5e-3), p.get("g"));
    assertEquals(new EdmValue.EdmInt32(0), p.get("h"));
    assertEquals(new EdmValue.EdmDouble(1.2345678901234568E29), p.get("i"));
  }

  @Test
  void annotationsTypeTheirValues() {
    Map<String, EdmValue> p = parseProps(
        "{\"PartitionKey\":\"pk\",\"RowKey\":\"rk\","
            + "\"L@odata.type\":\"Edm.Int64\",\"L\":\"-9223372036854775808\","
            + "\"LNum\":12,\"LNum@odata.type\":\"Edm.Int64\","
            + "\"D@odata.type\":\"Edm.Double\",\"D\":\"Infinity\","
            + "\"DInt@odata.type\":\"Edm.Double\",\"DInt\":5,"
            + "\"I@odata.type\":\"Edm.Int32\",\"I\":7,"
            + "\"T@odata.type\":\"Edm.DateTime\",\"T\":\"2024-01-01T00:00:00.1234567Z\","
            + "\"G@odata.type\":\"Edm.Guid\",\"G\":\"c9da6455-213d-42c9-9a79-3e9149a57833\","
            + "\"Bin@odata.type\":\"Edm.Binary\",\"Bin\":\"AQI=\","
            + "\"S@odata.type\":\"Edm.String\",\"S\":\"5\","
            + "\"Bo@odata.type\":\"Edm.Boolean\",\"Bo\":false}");
    assertEquals(new EdmValue.EdmInt64(Long.MIN_VALUE), p.get("L"));
    assertEquals(new EdmValue.EdmInt64(12), p.get("LNum"));
    assertEquals(new EdmValue.EdmDouble(Double.POSITIVE_INFINITY), p.get("D"));
    assertEquals(new EdmValue.EdmDouble(5.0), p.get("DInt"));
    assertEquals(new EdmValue.EdmInt32(7), p.get("I"));
    assertEquals("2024-01-01T00:00:00.1234567Z", ((EdmValue.EdmDateTime) p.get("T")).format());
    assertEquals(new EdmValue.EdmGuid(UUID.fromString("c9da6455-213d-42c9-9a79-3e9149a57833")), p.get("G"));
    assertEquals(new EdmValue.EdmBinary(new byte[] {1, 2}), p.get("Bin"));
    assertEquals(new EdmValue.EdmString("5"), p.get("S"));
    assertEquals(new EdmValue.EdmBoolean(false), p.get("Bo"));
  }

  @Test
  void ignoresOdataMembersTimestampAndNulls() {
    EntityJsonCodec.EntityPayload p = EntityJsonCodec.parse(
        "{\"odata.metadata\":\"x\",\"odata.etag\":\"W/\\\"1\\\"\",\"odata.type\":\"a.b\",\"PartitionKey\":\"p\","
            + "\"RowKey\":\"r\",\"Timestamp@odata.type\":\"Edm.DateTime\",\"Timestamp\":\"2000-01-01T00:00:00Z\","
            + "\"N\":null,\"X\":1}");
    assertEquals(Map.of("X", new EdmValue.EdmInt32(1)), p.properties());
  }

  @Test
  void keysMayComeFromTheUrlInstead() {
    EntityJsonCodec.EntityPayload p = EntityJsonCodec.parse("{\"X\":1}");
    assertNull(p.partitionKey());
    assertEquals("p", p.toEntity("p", "r").partitionKey());
    assertEquals(TableInputException.PROPERTIES_NEED_VALUE, code("{\"X\":1}"));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "", "[]", "1", "{", "{\"a\":}", "{\"a\":1,}", "{\"a\" 1}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}",
      "{\"a\":tru}", "{\"a\":\"x}", "{\"a\":\"\\x\"}", "{\"a\":1} x", "{'a':1}", "{\"a\":NaN}",
  })
  void malformedJsonIsInvalidInput(String json) {
    assertEquals(TableInputException.INVALID_INPUT, code(json));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{\"PartitionKey\":\"p\",\"RowKey\":\"r\",\"a\":{\"b\":1}}",
      "{\"PartitionKey\":\"p\",\"RowKey\":\"r\",\"a\":[1]}",
      "{\"PartitionKey\":1,\"RowKey\":\"r\"}",
      "{\"PartitionKey\":\"p\",\"RowKey\":\"r\",\"a@odata.type\":\"Edm.Int64\",\"a\":\"12x\"}",
      "{\"PartitionKey\":\"p\",\"RowKey\":\"r\",\"a@odata.type\":\"Edm.Int64\",\"a\":\"9223372036854775808\"}",
      "{\"PartitionKey\":\"p\",\"RowKey\":\"r\",\"a@odata.type\":\"Edm.Int32\",\"a\":2147483648}",
      "{\"PartitionKey\":\"p\",\"RowKey\":\"r\",\"a@odata.type\":\"Edm.Int32\",\"a\":1.5}",
      "{\"PartitionKey\":\"p\",\"RowKey\":\"r\",\"a@odata.type\":\"Edm.Double\",\"a\":\"abc\"}",
      "{\"PartitionKey\":\"p\",\"RowKey\":\"r\",\"a@odata.type\":\"Edm.Double\",\"a\":true}",
      "{\"PartitionKey\":\"p\",\"RowKey\":\"r\",\"a@odata.type\":\"Edm.Boolean\",\"a\":\"true\"}",
      "{\"PartitionKey\":\"p\",\"RowKey\":\"r\",\"a@odata.type\":\"Edm.DateTime\",\"a\":\"not a date\"}",
      "{\"PartitionKey\":\"p\",\"RowKey\":\"r\",\"a@odata.type\":\"Edm.DateTime\",\"a\":5}",
      "{\"PartitionKey\":\"p\",\"RowKey\":\"r\",\"a@odata.type\":\"Edm.Guid\",\"a\":\"nope\"}",
      "{\"PartitionKey\":\"p\",\"RowKey\":\"r\",\"a@odata.type\":\"Edm.Binary\",\"a\":\"***\"}",
      "{\"PartitionKey\":\"p\",\"RowKey\":\"r\",\"a@odata.type\":\"Edm.Decimal\",\"a\":\"1\"}",
      "{\"PartitionKey\":\"p\",\"RowKey\":\"r\",\"a@odata.type\":5,\"a\":\"1\"}",
      "{\"PartitionKey\":\"p\",\"RowKey\":\"r\",\"b@odata.type\":\"Edm.Int64\",\"a\":\"1\"}",
      "{\"PartitionKey\":\"p\",\"RowKey\":\"r\",\"a@other\":\"x\",\"a\":\"1\"}",
      "{\"PartitionKey\":\"p\",\"RowKey\":\"r\",\"a\":1e400}",
  })
  void wrongTypesAndShapesAreInvalidInput(String json) {
    assertEquals(TableInputException.INVALID_INPUT, code(json));
  }

  @Test
  void duplicatePropertyIsDuplicatePropertiesSpecified() {
    assertEquals(
        TableInputException.DUPLICATE_PROPERTIES_SPECIFIED,
        code("{\"PartitionKey\":\"p\",\"RowKey\":\"r\",\"a\":1,\"a\":2}"));
  }

  @Test
  void limitsAreCheckedWhenTheBodyBecomesAnEntity() {
    assertEquals(TableInputException.OUT_OF_RANGE_INPUT, code("{\"PartitionKey\":\"a/b\",\"RowKey\":\"r\"}"));
    assertEquals(TableInputException.OUT_OF_RANGE_INPUT, code("{\"PartitionKey\":\"p\",\"RowKey\":\"\\u0007\"}"));
    assertEquals(TableInputException.PROPERTY_NAME_INVALID, code("{\"PartitionKey\":\"p\",\"RowKey\":\"r\",\"a-b\":1}"));
    assertEquals(
        TableInputException.OUT_OF_RANGE_INPUT,
        code("{\"PartitionKey\":\"p\",\"RowKey\":\"r\",\"t@odata.type\":\"Edm.DateTime\",\"t\":\"1600-01-01T00:00:00Z\"}"));
    String big = "{\"PartitionKey\":\"p\",\"RowKey\":\"r\",\"s\":\"" + "x".repeat(32 * 1024 + 1) + "\"}";
    assertEquals(TableInputException.PROPERTY_VALUE_TOO_LARGE, code(big));
  }

  @Test
  void writesUnpairedSurrogatesAsEscapesThatReadBack() {
    Entity e = Entity.of("p", "r", Map.of("s", new EdmValue.EdmString("a\uD800b\uDC00")));
    String json = EntityJsonCodec.writeEntity(e, "x", ODataMetadata.NO_METADATA, LINKS, null);
    assertTrue(json.contains("\\ud800") && json.contains("\\udc00"), json);
    assertEquals(e.properties(), parseProps(json));
  }

  @Test
  void mediaTypesSelectTheMetadataLevel() {
    assertEquals(ODataMetadata.NO_METADATA, ODataMetadata.fromMediaType("application/json;odata=nometadata").orElseThrow());
    assertEquals(ODataMetadata.FULL_METADATA,
        ODataMetadata.fromMediaType("application/json; odata=FullMetadata; charset=utf-8").orElseThrow());
    assertEquals(ODataMetadata.MINIMAL_METADATA, ODataMetadata.fromMediaType("application/json").orElseThrow());
    assertTrue(ODataMetadata.fromMediaType("application/atom+xml").isEmpty());
    assertTrue(ODataMetadata.fromMediaType("application/json;odata=verbose").isEmpty());
    assertEquals(
        "application/json;odata=minimalmetadata;streaming=true;charset=utf-8",
        ODataMetadata.MINIMAL_METADATA.contentType());
  }

  @Test
  void linksEscapeQuotesAndPercentEncodeKeys() {
    assertEquals("T(PartitionKey='a%20b',RowKey='it''s%C3%A9')", new ODataLinks("http://h/acct", "acct", "T").editLink("a b", "it'sé"));
  }
}
