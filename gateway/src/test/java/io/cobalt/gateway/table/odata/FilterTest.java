package io.cobalt.gateway.table.odata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cobalt.gateway.table.edm.EdmValue;
import io.cobalt.gateway.table.edm.Entity;
import io.cobalt.gateway.table.edm.TableInputException;
import io.cobalt.gateway.table.odata.FilterExpression.And;
import io.cobalt.gateway.table.odata.FilterExpression.Comparison;
import io.cobalt.gateway.table.odata.FilterExpression.Not;
import io.cobalt.gateway.table.odata.FilterExpression.Or;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FilterTest {

  private static FilterExpression parse(String text) {
    return Filter.parse(text).expression();
  }

  private static EdmValue literal(String text) {
    return ((Comparison) parse("X eq " + text)).literal();
  }

  private static Comparison cmp(String p, ComparisonOperator op, EdmValue v) {
    return new Comparison(p, op, v);
  }

  private static EdmValue i32(int v) {
    return new EdmValue.EdmInt32(v);
  }

  private static String code(String filter) {
    return assertThrows(TableInputException.class, () -> Filter.parse(filter)).code();
  }

  private static final Entity ENTITY;

  static {
    Map<String, EdmValue> m = new LinkedHashMap<>();
    m.put("Name", new EdmValue.EdmString("O'Brien"));
    m.put("Age", i32(42));
    m.put("Big", new EdmValue.EdmInt64(5_000_000_000L));
    m.put("Score", new EdmValue.EdmDouble(2.5));
    m.put("Nan", new EdmValue.EdmDouble(Double.NaN));
    m.put("Active", new EdmValue.EdmBoolean(true));
    m.put("Since", EdmValue.EdmDateTime.parse("2024-01-01T00:00:00.0000001Z"));
    m.put("Id", EdmValue.EdmGuid.parse("c9da6455-213d-42c9-9a79-3e9149a57833"));
    m.put("Blob", new EdmValue.EdmBinary(new byte[] {0x0A, 0x0B}));
    ENTITY = Entity.stored("pk1", "rk1", EdmValue.EdmDateTime.parse("2025-02-03T04:05:06Z"), m);
  }

  private static boolean matches(String filter) {
    return Filter.parse(filter).matches(ENTITY);
  }

  @Test
  void parsesEveryLiteralType() {
    assertEquals(new EdmValue.EdmString("abc"), literal("'abc'"));
    assertEquals(new EdmValue.EdmString(""), literal("''"));
    assertEquals(i32(42), literal("42"));
    assertEquals(i32(-7), literal("-7"));
    assertEquals(i32(Integer.MIN_VALUE), literal("-2147483648"));
    assertEquals(new EdmValue.EdmInt64(42), literal("42L"));
    assertEquals(new EdmValue.EdmInt64(Long.MIN_VALUE), literal("-9223372036854775808L"));
    assertEquals(new EdmValue.EdmDouble(1.5), literal("1.5"));
    assertEquals(new EdmValue.EdmDouble(2e10), literal("2E10"));
    assertEquals(new EdmValue.EdmDouble(1.0e-3), literal("1.0e-3"));
    assertEquals(new EdmValue.EdmDouble(-0.0), literal("-0.0"));
    assertEquals(new EdmValue.EdmDouble(3.0), literal("3d"));
    assertEquals(new EdmValue.EdmBoolean(true), literal("true"));
    assertEquals(new EdmValue.EdmBoolean(false), literal("false"));
    assertEquals(EdmValue.EdmDateTime.parse("2024-01-01T00:00:00Z"), literal("datetime'2024-01-01T00:00:00Z'"));
    assertEquals(
        "2008-07-10T00:00:00.1234567Z",
        ((EdmValue.EdmDateTime) literal("datetime'2008-07-10T00:00:00.1234567Z'")).format());
    assertEquals(
        new EdmValue.EdmGuid(UUID.fromString("c9da6455-213d-42c9-9a79-3e9149a57833")),
        literal("guid'c9da6455-213d-42c9-9a79-3e9149a57833'"));
    assertEquals(new EdmValue.EdmBinary(new byte[] {0x0A, 0x0B}), literal("X'0A0B'"));
    assertEquals(new EdmValue.EdmBinary(new byte[] {0x0A, (byte) 0xFF}), literal("binary'0aff'"));
    assertEquals(new EdmValue.EdmBinary(new byte[0]), literal("X''"));
  }

  @Test
  void unescapesDoubledQuotes() {
    assertEquals(new EdmValue.EdmString("O'Brien"), literal("'O''Brien'"));
    assertEquals(new EdmValue.EdmString("'"), literal("''''"));
    assertEquals(new EdmValue.EdmString("''x''"), literal("'''''x'''''"));
    assertEquals(new EdmValue.EdmString(" and or not ( ) eq "), literal("' and or not ( ) eq '"));
    assertTrue(matches("Name eq 'O''Brien'"));
    assertEquals("'it''s'", ODataLiterals.quote("it's"));
  }

  @Test
  void andBindsTighterThanOr() {
    assertEquals(
        new Or(cmp("a", ComparisonOperator.EQ, i32(1)),
            new And(cmp("b", ComparisonOperator.EQ, i32(2)), cmp("c", ComparisonOperator.EQ, i32(3)))),
        parse("a eq 1 or b eq 2 and c eq 3"));
    assertEquals(
        new Or(new And(cmp("a", ComparisonOperator.EQ, i32(1)), cmp("b", ComparisonOperator.EQ, i32(2))),
            cmp("c", ComparisonOperator.EQ, i32(3))),
        parse("a eq 1 and b eq 2 or c eq 3"));
  }

  @Test
  void parenthesesOverridePrecedence() {
    assertEquals(
        new And(new Or(cmp("a", ComparisonOperator.EQ, i32(1)), cmp("b", ComparisonOperator.EQ, i32(2))),
            cmp("c", ComparisonOperator.EQ, i32(3))),
        parse("(a eq 1 or b eq 2) and c eq 3"));
    assertEquals(cmp("a", ComparisonOperator.EQ, i32(1)), parse("((((a eq 1))))"));
    assertEquals(cmp("a", ComparisonOperator.EQ, i32(1)), parse("(a) eq (1)"));
  }

  @Test
  void andAndOrAreLeftAssociative() {
    Comparison a = cmp("a", ComparisonOperator.EQ, i32(1));
    Comparison b = cmp("b", ComparisonOperator.EQ, i32(2));
    Comparison c = cmp("c", ComparisonOperator.EQ, i32(3));
    assertEquals(new And(new And(a, b), c), parse("a eq 1 and b eq 2 and c eq 3"));
    assertEquals(new Or(new Or(a, b), c), parse("a eq 1 or b eq 2 or c eq 3"));
  }

  @Test
  void notAppliesToAParenthesizedCondition() {
    assertEquals(new Not(cmp("a", ComparisonOperator.EQ, i32(1))), parse("not (a eq 1)"));
    assertEquals(new Not(new Not(cmp("a", ComparisonOperator.EQ, i32(1)))), parse("not not (a eq 1)"));
    assertEquals(
        new And(new Not(cmp("a", ComparisonOperator.EQ, i32(1))), cmp("b", ComparisonOperator.EQ, i32(2))),
        parse("not (a eq 1) and b eq 2"));
    assertEquals(new Not(cmp("a", ComparisonOperator.EQ, i32(1))), parse("not(a eq 1)"));
  }

  @Test
  void notBindsTighterThanAComparisonSoNotOnAPropertyIsRejected() {
    assertEquals(TableInputException.INVALID_INPUT, code("not a eq 1"));
  }

  @Test
  void aLiteralOnTheLeftIsMirrored() {
    assertEquals(cmp("Age", ComparisonOperator.GT, i32(5)), parse("5 lt Age"));
    assertTrue(matches("50 gt Age"));
    assertFalse(matches("40 gt Age"));
  }

  @Test
  void keywordsAreCaseInsensitiveAndNamesCaseSensitive() {
    assertTrue(matches("Age EQ 42 AND Name Eq 'O''Brien' Or FALSE eq Active"));
    assertFalse(matches("age eq 42"));
  }

  @Test
  void evaluatesComparisonsOfEachType() {
    assertTrue(matches("Age eq 42 and Age ne 41 and Age gt 41 and Age ge 42 and Age lt 43 and Age le 42"));
    assertTrue(matches("Big eq 5000000000L and Big gt 4999999999L"));
    assertTrue(matches("Score eq 2.5 and Score gt 2.4999 and Score lt 2.5e0001"));
    assertTrue(matches("Active eq true and Active ne false and Active gt false"));
    assertTrue(matches("Since gt datetime'2024-01-01T00:00:00Z' and Since lt datetime'2024-01-01T00:00:00.0000002Z'"));
    assertTrue(matches("Id eq guid'C9DA6455-213D-42C9-9A79-3E9149A57833'"));
    assertTrue(matches("Blob eq X'0a0b' and Blob gt X'0a' and Blob lt X'0b'"));
    assertTrue(matches("PartitionKey eq 'pk1' and RowKey ge 'rk' and RowKey lt 'rk2'"));
    assertTrue(matches("Timestamp ge datetime'2025-02-03T04:05:06Z'"));
  }

  @Test
  void comparesStringsOrdinally() {
    Entity e = Entity.of("p", "r", Map.of("s", new EdmValue.EdmString("a")));
    assertTrue(Filter.parse("s gt 'B'").matches(e)); // 'a' (0x61) > 'B' (0x42): no case folding
    assertTrue(Filter.parse("s lt 'aa'").matches(e));
    Entity astral = Entity.of("p", "r", Map.of("s", new EdmValue.EdmString("\uD83D\uDE00")));
    assertTrue(Filter.parse("s lt '\uFFFF'").matches(astral)); // UTF-16 code units, not code points
  }

  @Test
  void aTypeMismatchIsFalseNotAnError() {
    assertFalse(matches("Age eq 42L"));
    assertFalse(matches("Age ne 42L"));
    assertFalse(matches("Age eq 42.0"));
    assertFalse(matches("Big eq 5000000000.0"));
    assertFalse(matches("Name ne 5"));
    assertFalse(matches("PartitionKey eq 1"));
    assertTrue(matches("not (Age eq 42L)"));
  }

  @Test
  void aMissingPropertyMakesEveryComparisonFalse() {
    for (String op : List.of("eq", "ne", "gt", "ge", "lt", "le")) {
      assertFalse(matches("Missing " + op + " 1"), op);
    }
    assertTrue(matches("not (Missing eq 1)"));
    Entity unstored = Entity.of("p", "r", Map.of());
    assertFalse(Filter.parse("Timestamp ge datetime'1601-01-01T00:00:00Z'").matches(unstored));
  }

  @Test
  void nanIsEqualToNothing() {
    assertFalse(matches("Nan eq 0.0"));
    assertTrue(matches("Nan ne 0.0"));
    assertFalse(matches("Nan lt 0.0") || matches("Nan ge 0.0"));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "Name eq 'abc",            // unterminated string
      "Name eq 'abc''",          // unterminated after an escaped quote
      "Since eq datetime'2024-13-01T00:00:00Z'", // bad datetime
      "Since eq datetime'yesterday'",
      "Since eq datetime'1600-01-01T00:00:00Z'", // out of Edm.DateTime range
      "Id eq guid'1234'",
      "Blob eq X'0A0'",          // odd number of hex digits
      "Blob eq X'0G'",
      "Name eqq 'a'",            // unknown operator
      "Name contains 'a'",
      "Name == 'a'",
      "startswith(Name, 'a')",
      "Name eq 'a' xor Age eq 1",
      "Age eq 1 Age",            // trailing garbage
      "Age eq 1)",
      "(Age eq 1",
      "Age eq 1 and",
      "and Age eq 1",
      "Age eq",
      "eq 1",
      "Age",                     // a bare property is not a condition
      "true",
      "not Age",
      "Age eq Name",             // property against property
      "1 eq 1",                  // literal against literal
      "Age eq 1 eq 2",           // comparisons do not chain
      "(Age eq 1) eq true",
      "Age eq 2147483648",       // Int32 overflow without L
      "Age eq 9223372036854775808L",
      "Age eq 1.5L",
      "Age eq 1e999",
      "Age eq 12abc",
      "Age eq 1.",
      "Age eq -",
      "Age eq foo'x'",           // unknown typed literal
      "Age eq \"x\"",            // double quotes are not string delimiters
      "Age eq @x",
      "",
      "   ",
  })
  void rejectsInvalidFiltersWithInvalidInput(String filter) {
    assertEquals(TableInputException.INVALID_INPUT, code(filter));
  }

  @Test
  void allowsFifteenComparisonsAndRejectsSixteen() {
    StringBuilder sb = new StringBuilder("a eq 0");
    for (int i = 1; i < 15; i++) {
      sb.append(" or a eq ").append(i);
    }
    assertEquals(15, Filter.parse(sb.toString()).comparisons());
    sb.append(" or a eq 15");
    assertEquals(TableInputException.INVALID_INPUT, code(sb.toString()));
  }

  @Test
  void rejectsNestingDeeperThanTheLimit() {
    int depth = FilterLimits.AZURE.maxDepth();
    Filter.parse("(".repeat(depth) + "a eq 1" + ")".repeat(depth));
    assertEquals(TableInputException.INVALID_INPUT, code("(".repeat(depth + 1) + "a eq 1" + ")".repeat(depth + 1)));
    assertEquals(TableInputException.INVALID_INPUT, code("not ".repeat(depth + 1) + "(a eq 1)"));
    // Deep input fails fast with InvalidInput, not a StackOverflowError.
    assertEquals(TableInputException.INVALID_INPUT, code("(".repeat(100_000)));
  }

  @Test
  void rejectsFilterLongerThanTheLimit() {
    String longLiteral = "a eq '" + "x".repeat(FilterLimits.AZURE.maxChars()) + "'";
    assertEquals(TableInputException.INVALID_INPUT, code(longLiteral));
    Filter.parse("a eq '" + "x".repeat(FilterLimits.AZURE.maxChars() - 8) + "'");
  }

  @Test
  void printsFilterTextThatParsesBackToTheSameTree() {
    FilterExpression e = parse(
        "not (Name eq 'it''s') and (Big le 3L or Score gt 1.0E-5) and Since ne datetime'2024-01-01T00:00:00Z'"
            + " or Id eq guid'c9da6455-213d-42c9-9a79-3e9149a57833' or Blob eq X'00ff' or Active eq false");
    assertEquals(e, parse(e.toFilterText()));
  }

  @Test
  void derivesThePartitionKeyFromAnEquality() {
    assertEquals(KeyRange.exactly("p1"), Filter.parse("PartitionKey eq 'p1'").partitionKeyRange().orElseThrow());
    assertEquals(
        "p1",
        Filter.parse("PartitionKey eq 'p1' and (RowKey gt 'a' or Age eq 1)").partitionKeyRange().orElseThrow().exact().orElseThrow());
    assertEquals(
        "p1",
        Filter.parse("'p1' eq PartitionKey").partitionKeyRange().orElseThrow().exact().orElseThrow());
  }

  @Test
  void derivesPartitionKeyRanges() {
    KeyRange r = Filter.parse("PartitionKey ge 'a' and PartitionKey lt 'm' and Age gt 3").partitionKeyRange().orElseThrow();
    assertEquals(new KeyRange("a", true, "m", false, false), r);
    assertTrue(r.contains("a") && r.contains("lzz") && !r.contains("m"));
    assertEquals(
        new KeyRange(null, false, "b", false, false),
        Filter.parse("not (PartitionKey ge 'b')").partitionKeyRange().orElseThrow());
    assertEquals(
        new KeyRange("a", true, "c", true, false),
        Filter.parse("PartitionKey eq 'a' or PartitionKey eq 'c'").partitionKeyRange().orElseThrow());
    assertEquals(
        new KeyRange("r", true, "r", true, false),
        Filter.parse("RowKey eq 'r'").rowKeyRange().orElseThrow());
  }

  @Test
  void reportsAnEmptyRangeWhenNothingCanMatch() {
    assertTrue(Filter.parse("PartitionKey eq 'a' and PartitionKey eq 'b'").partitionKeyRange().orElseThrow().isEmpty());
    assertTrue(Filter.parse("PartitionKey gt 'b' and PartitionKey lt 'a'").partitionKeyRange().orElseThrow().isEmpty());
    assertTrue(Filter.parse("PartitionKey eq 1").partitionKeyRange().orElseThrow().isEmpty());
  }

  @Test
  void reportsNoRangeWhenThePartitionKeyIsUnconstrained() {
    for (String f : List.of(
        "Age eq 1",
        "PartitionKey eq 'a' or Age eq 1",
        "PartitionKey ne 'a'",
        "not (PartitionKey eq 'a')",
        "not (PartitionKey eq 1)",
        "RowKey eq 'r'")) {
      assertTrue(Filter.parse(f).partitionKeyRange().isEmpty(), f);
    }
  }

  @Test
  void parsesSelectAndTop() {
    assertEquals(List.of("Name", "Age", "PartitionKey"), QueryOptions.parseSelect(" Name ,Age,PartitionKey,Name"));
    assertNull(QueryOptions.parseSelect(""));
    assertEquals(1, QueryOptions.parseTop("1"));
    assertEquals(1000, QueryOptions.parseTop("1000"));
    for (String bad : List.of("0", "1001", "-1", "abc", "1.5", "", "99999999999")) {
      assertEquals(
          TableInputException.INVALID_INPUT,
          assertThrows(TableInputException.class, () -> QueryOptions.parseTop(bad)).code(), bad);
    }
    for (String bad : List.of("a,,b", "a-b", "a,", "1x")) {
      assertEquals(
          TableInputException.INVALID_INPUT,
          assertThrows(TableInputException.class, () -> QueryOptions.parseSelect(bad)).code(), bad);
    }
    QueryOptions q = QueryOptions.parse("Age gt 1", "Age", "5");
    assertTrue(q.filter().matches(ENTITY));
    assertEquals(List.of("Age"), q.select());
    assertEquals(5, q.top());
    QueryOptions none = QueryOptions.parse(null, null, null);
    assertNull(none.filter());
  }
}
