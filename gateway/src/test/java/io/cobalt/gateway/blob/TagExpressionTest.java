package io.cobalt.gateway.blob;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TagExpressionTest {
  private static final Map<String, String> TAGS = Map.of("Project", "cobalt", "n", "5", "date", "2024-01-15");

  private static boolean find(String e) {
    return TagExpression.parse(e, TagExpression.Dialect.FIND_IN_ACCOUNT).matches(TAGS);
  }

  private static boolean ifTags(String e) {
    return TagExpression.parse(e, TagExpression.Dialect.IF_TAGS).matches(TAGS);
  }

  @Test
  void comparesValuesAsStringsAndJoinsWithAnd() {
    assertTrue(find("\"Project\" = 'cobalt'"));
    assertFalse(find("\"project\" = 'cobalt'"), "keys are case-sensitive");
    assertTrue(find("\"date\" >= '2024-01-01' AND \"date\" < '2024-02-01'"));
    assertFalse(find("\"date\" > '2024-01-15'"));
    assertTrue(find("\"date\" <= '2024-01-15' and \"n\" > '10'"), "'5' > '10' as strings; keywords in any case");
    assertFalse(find("\"missing\" < 'zzz'"), "a comparison on a missing tag is false");
    assertTrue(find("\"n\"='5'"), "spaces are optional");
  }

  @Test
  void ifTagsAlsoTakesOrNotEqualAndParentheses() {
    assertTrue(ifTags("\"n\" <> '4'"));
    assertTrue(ifTags("\"n\" = '4' OR \"Project\" = 'cobalt'"));
    assertFalse(ifTags("(\"n\" = '4' OR \"Project\" = 'cobalt') AND \"date\" = 'x'"));
    assertTrue(ifTags("\"n\" = '4' OR \"Project\" = 'cobalt' AND \"date\" = '2024-01-15'"), "AND binds tighter");
    assertFalse(ifTags("\"missing\" <> 'x'"));
  }

  @Test
  void containerIsOnlyForAccountLevelFind() {
    TagExpression e = TagExpression.parse("@container = 'box' AND \"n\" = '5'", TagExpression.Dialect.FIND_IN_ACCOUNT);
    assertEquals("box", e.container());
    assertEquals(List.of("n"), List.copyOf(e.keys()));
    assertNull(TagExpression.parse("\"n\" = '5'", TagExpression.Dialect.FIND_IN_ACCOUNT).container());
    for (TagExpression.Dialect d : new TagExpression.Dialect[] {
        TagExpression.Dialect.FIND_IN_CONTAINER, TagExpression.Dialect.IF_TAGS}) {
      assertThrows(TagExpression.Invalid.class, () -> TagExpression.parse("@container = 'box' AND \"n\" = '5'", d));
    }
  }

  @Test
  void refusesWhatAzuresGrammarDoesNot() {
    for (String bad : new String[] {"", " ", "n = '5'", "\"n\" = 5", "\"n\" = '5' AND", "\"n\" == '5'",
        "\"n\" = '5", "\"n\" = '5' \"m\" = '6'", "\"bad!\" = '5'", "\"n\" = 'x!'", "@container = 'a'",
        "\"n\" = '5' AND @container = 'a' AND @container = 'b'", "\"\" = '1'", "\"n\" ~ '1'",
        "\"" + "k".repeat(129) + "\" = '1'", "x".repeat(TagExpression.MAX_CHARS + 1)}) {
      assertThrows(TagExpression.Invalid.class,
          () -> TagExpression.parse(bad, TagExpression.Dialect.FIND_IN_ACCOUNT), bad);
    }
    for (String findOnly : new String[] {"\"n\" <> '5'", "\"n\" = '5' OR \"m\" = '6'", "(\"n\" = '5')"}) {
      assertThrows(TagExpression.Invalid.class,
          () -> TagExpression.parse(findOnly, TagExpression.Dialect.FIND_IN_CONTAINER), findOnly);
    }
    assertThrows(TagExpression.Invalid.class, () -> TagExpression.parse(
        "(".repeat(20) + "\"n\" = '5'" + ")".repeat(20), TagExpression.Dialect.IF_TAGS), "nesting is bounded");
  }
}
