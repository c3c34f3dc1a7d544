package io.cobalt.gateway.table.edm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EntityTest {

  private static String code(Runnable r) {
    return assertThrows(TableInputException.class, r::run).code();
  }

  private static Map<String, EdmValue> props(Object... nameValue) {
    Map<String, EdmValue> m = new LinkedHashMap<>();
    for (int i = 0; i < nameValue.length; i += 2) {
      m.put((String) nameValue[i], (EdmValue) nameValue[i + 1]);
    }
    return m;
  }

  @Test
  void keepsPropertiesInInsertionOrder() {
    Map<String, EdmValue> in = props(
        "zeta", new EdmValue.EdmInt32(1),
        "alpha", new EdmValue.EdmString("a"),
        "mid", new EdmValue.EdmBoolean(true));
    Entity e = Entity.of("pk", "rk", in);
    assertEquals(List.of("zeta", "alpha", "mid"), List.copyOf(e.properties().keySet()));
    assertTrue(e.timestamp().isEmpty());
  }

  @Test
  void acceptsEmptyKeysAndKeysOfExactlyTheLimit() {
    Entity.of("", "", Map.of());
    String max = "k".repeat(Entity.MAX_KEY_CHARS);
    Entity.of(max, max, Map.of());
  }

  @Test
  void rejectsKeyLongerThanOneKibWithKeyValueTooLarge() {
    String tooLong = "k".repeat(Entity.MAX_KEY_CHARS + 1);
    assertEquals(TableInputException.KEY_VALUE_TOO_LARGE, code(() -> Entity.of(tooLong, "r", Map.of())));
    assertEquals(TableInputException.KEY_VALUE_TOO_LARGE, code(() -> Entity.of("p", tooLong, Map.of())));
  }

  @Test
  void rejectsMissingKeyWithPropertiesNeedValue() {
    assertEquals(TableInputException.PROPERTIES_NEED_VALUE, code(() -> Entity.of(null, "r", Map.of())));
    assertEquals(TableInputException.PROPERTIES_NEED_VALUE, code(() -> Entity.of("p", null, Map.of())));
  }

  @Test
  void rejectsEveryForbiddenKeyCharacterWithOutOfRangeInput() {
    StringBuilder forbidden = new StringBuilder("/\\#?");
    for (char c = 0; c <= 0x1F; c++) {
      forbidden.append(c);
    }
    for (char c = 0x7F; c <= 0x9F; c++) {
      forbidden.append(c);
    }
    for (int i = 0; i < forbidden.length(); i++) {
      String key = "a" + forbidden.charAt(i) + "b";
      assertEquals(TableInputException.OUT_OF_RANGE_INPUT, code(() -> Entity.of(key, "r", Map.of())), key);
      assertEquals(TableInputException.OUT_OF_RANGE_INPUT, code(() -> Entity.of("p", key, Map.of())), key);
    }
    // Neighbours of the forbidden ranges are fine, as are quotes, percent and non-ASCII.
    Entity.of(" ~\u00A0'%&é\uD83D\uDE00", "\u00A0", Map.of());
  }

  @ParameterizedTest
  @ValueSource(strings = {"a", "_", "_x1", "Name", "név", "名前", "a\u0301", "x_y_z9"})
  void acceptsCSharpIdentifiers(String name) {
    Entity.of("p", "r", props(name, new EdmValue.EdmInt32(1)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "1abc", "a-b", "a b", "a.b", "@a", "odata.etag", "a@odata.type", "$x"})
  void rejectsNamesThatAreNotIdentifiersWithPropertyNameInvalid(String name) {
    assertEquals(
        TableInputException.PROPERTY_NAME_INVALID,
        code(() -> Entity.of("p", "r", props(name, new EdmValue.EdmInt32(1)))));
  }

  @Test
  void limitsPropertyNamesTo255Characters() {
    Entity.of("p", "r", props("n".repeat(255), new EdmValue.EdmInt32(1)));
    assertEquals(
        TableInputException.PROPERTY_NAME_TOO_LONG,
        code(() -> Entity.of("p", "r", props("n".repeat(256), new EdmValue.EdmInt32(1)))));
  }

  @Test
  void rejectsSystemPropertyNamesAmongCustomProperties() {
    for (String name : List.of("PartitionKey", "RowKey", "Timestamp")) {
      assertEquals(
          TableInputException.INVALID_INPUT,
          code(() -> Entity.of("p", "r", props(name, new EdmValue.EdmString("x")))));
    }
  }

  @Test
  void allows252CustomPropertiesAndNotOneMore() {
    Map<String, EdmValue> m = new LinkedHashMap<>();
    for (int i = 0; i < 252; i++) {
      m.put("p" + i, new EdmValue.EdmInt32(i));
    }
    Entity.of("p", "r", m);
    m.put("one_more", new EdmValue.EdmInt32(0));
    assertEquals(TableInputException.TOO_MANY_PROPERTIES, code(() -> Entity.of("p", "r", m)));
  }

  @Test
  void limitsStringsTo32KiUtf16CodeUnits() {
    Entity.of("p", "r", props("s", new EdmValue.EdmString("x".repeat(32 * 1024))));
    assertEquals(
        TableInputException.PROPERTY_VALUE_TOO_LARGE,
        code(() -> Entity.of("p", "r", props("s", new EdmValue.EdmString("x".repeat(32 * 1024 + 1))))));
    // Counted in UTF-16 code units: 16 Ki supplementary characters are 32 Ki units.
    Entity.of("p", "r", props("s", new EdmValue.EdmString("\uD83D\uDE00".repeat(16 * 1024))));
    assertEquals(
        TableInputException.PROPERTY_VALUE_TOO_LARGE,
        code(() -> Entity.of("p", "r",
            props("s", new EdmValue.EdmString("\uD83D\uDE00".repeat(16 * 1024) + "x")))));
  }

  @Test
  void limitsBinariesTo64KiB() {
    Entity.of("p", "r", props("b", new EdmValue.EdmBinary(new byte[64 * 1024])));
    Entity.of("p", "r", props("b", new EdmValue.EdmBinary(new byte[0])));
    assertEquals(
        TableInputException.PROPERTY_VALUE_TOO_LARGE,
        code(() -> Entity.of("p", "r", props("b", new EdmValue.EdmBinary(new byte[64 * 1024 + 1])))));
  }

  @Test
  void computesSizeWithAzuresFormula() {
    // 4 + 2*(2+2) + [8 + 2*1 + (2*3+4)] + [8 + 2*1 + 4] + [8 + 2*1 + 8] + [8 + 2*1 + 16]
    //   + [8 + 2*1 + 1] + [8 + 2*1 + 8] + [8 + 2*1 + (5+4)] + [8 + 2*1 + 8]
    Entity e = Entity.of("pk", "rk", props(
        "s", new EdmValue.EdmString("abc"),
        "i", new EdmValue.EdmInt32(1),
        "l", new EdmValue.EdmInt64(1),
        "g", new EdmValue.EdmGuid(java.util.UUID.randomUUID()),
        "b", new EdmValue.EdmBoolean(true),
        "d", new EdmValue.EdmDouble(1),
        "x", new EdmValue.EdmBinary(new byte[5]),
        "t", EdmValue.EdmDateTime.of(Instant.EPOCH)));
    assertEquals(4 + 8 + 20 + 14 + 18 + 26 + 11 + 18 + 19 + 18, e.sizeBytes());
  }

  @Test
  void acceptsEntityOfExactlyOneMibAndRejectsOneByteMoreWithEntityTooLarge() {
    // Keys "p" and "r": 4 + 2*2 = 8. Fifteen binaries of 64 KiB named b10..b24: 15 * (8 + 6 + 65540).
    // The last binary "bzz" takes what is left: 8 + 6 + (n + 4) = 1 MiB - 8 - 15 * 65554.
    Map<String, EdmValue> m = new LinkedHashMap<>();
    for (int i = 10; i < 25; i++) {
      m.put("b" + i, new EdmValue.EdmBinary(new byte[64 * 1024]));
    }
    int last = (int) (Entity.MAX_ENTITY_BYTES - 8 - 15 * 65554L) - 18;
    m.put("bzz", new EdmValue.EdmBinary(new byte[last]));
    assertEquals(Entity.MAX_ENTITY_BYTES, Entity.of("p", "r", m).sizeBytes());
    m.put("bzz", new EdmValue.EdmBinary(new byte[last + 1]));
    assertEquals(TableInputException.ENTITY_TOO_LARGE, code(() -> Entity.of("p", "r", m)));
  }

  @Test
  void exposesKeysAndTimestampAsFilterProperties() {
    EdmValue.EdmDateTime ts = EdmValue.EdmDateTime.parse("2024-05-06T07:08:09.1234567Z");
    Entity e = Entity.stored("p", "r", ts, props("x", new EdmValue.EdmInt32(3)));
    assertEquals(new EdmValue.EdmString("p"), e.property("PartitionKey").orElseThrow());
    assertEquals(new EdmValue.EdmString("r"), e.property("RowKey").orElseThrow());
    assertEquals(ts, e.property("Timestamp").orElseThrow());
    assertEquals(new EdmValue.EdmInt32(3), e.property("x").orElseThrow());
    assertTrue(e.property("y").isEmpty());
  }
}
