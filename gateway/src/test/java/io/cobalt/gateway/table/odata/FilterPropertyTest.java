package io.cobalt.gateway.table.odata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cobalt.gateway.table.edm.EdmValue;
import io.cobalt.gateway.table.edm.Entity;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Randomized tests of the filter parser and evaluator. Each test draws its seed from {@code
 * -Dcobalt.seed} (to replay a failure) or the clock, prints it, and names it in any failure.
 */
class FilterPropertyTest {

  static final int TREES = 4000;
  static final int ENTITIES_PER_TREE = 16;
  static final int LITERALS = 6000;

  private static long seed() {
    long seed = Long.getLong("cobalt.seed", System.nanoTime());
    System.out.println("FilterPropertyTest seed " + seed + " (replay with -Dcobalt.seed=" + seed + ")");
    return seed;
  }

  private static AssertionError failure(long seed, int caseNo, String detail, Throwable cause) {
    return new AssertionError(
        "seed " + seed + " (-Dcobalt.seed=" + seed + "), case " + caseNo + ": " + detail, cause);
  }

  // ---- generated trees, independent of the production AST ----

  sealed interface Tree {}

  record TAnd(Tree l, Tree r) implements Tree {}

  record TOr(Tree l, Tree r) implements Tree {}

  record TNot(Tree t) implements Tree {}

  record TCmp(String property, ComparisonOperator op, EdmValue literal, boolean literalFirst) implements Tree {}

  static final String[] NAMES = {"A", "B", "Num", "Str", "PartitionKey", "RowKey", "Timestamp"};
  static final char[] KEY_CHARS = {'a', 'b', 'c', '\'', ' ', 'é'};
  static final Instant[] INSTANTS = {
    Instant.parse("2020-01-01T00:00:00Z"),
    Instant.parse("2020-01-01T00:00:00.0000001Z"),
    Instant.parse("1601-01-01T00:00:00Z"),
    Instant.parse("9999-12-31T23:59:59.9999999Z"),
  };
  static final UUID[] GUIDS = {
    UUID.fromString("00000000-0000-0000-0000-000000000000"),
    UUID.fromString("c9da6455-213d-42c9-9a79-3e9149a57833"),
    UUID.fromString("ffffffff-0000-0000-0000-000000000001"),
  };
  static final double[] DOUBLES = {0.0, -0.0, 1.5, -2.25, 1e10, 1.0e-3, Double.MAX_VALUE, Double.MIN_VALUE, 3.0};

  static String keyString(Random r) {
    StringBuilder sb = new StringBuilder();
    int n = r.nextInt(4);
    for (int i = 0; i < n; i++) {
      sb.append(KEY_CHARS[r.nextInt(KEY_CHARS.length)]);
    }
    return sb.toString();
  }

  /** A value from a small pool, so equal values and type mismatches are both common. */
  static EdmValue value(Random r) {
    switch (r.nextInt(8)) {
      case 0:
        return new EdmValue.EdmString(keyString(r));
      case 1:
        return new EdmValue.EdmInt32(r.nextInt(10) == 0 ? (r.nextBoolean() ? Integer.MIN_VALUE : Integer.MAX_VALUE) : r.nextInt(7) - 3);
      case 2:
        return new EdmValue.EdmInt64(r.nextInt(10) == 0 ? (r.nextBoolean() ? Long.MIN_VALUE : Long.MAX_VALUE) : r.nextInt(7) - 3);
      case 3:
        return new EdmValue.EdmDouble(DOUBLES[r.nextInt(DOUBLES.length)]);
      case 4:
        return new EdmValue.EdmBoolean(r.nextBoolean());
      case 5:
        return new EdmValue.EdmDateTime(INSTANTS[r.nextInt(INSTANTS.length)]);
      case 6:
        return new EdmValue.EdmGuid(GUIDS[r.nextInt(GUIDS.length)]);
      default: {
        byte[] b = new byte[r.nextInt(3)];
        for (int i = 0; i < b.length; i++) {
          b[i] = (byte) (r.nextBoolean() ? 0 : 0xFF - r.nextInt(2));
        }
        return new EdmValue.EdmBinary(b);
      }
    }
  }

  static Entity entity(Random r) {
    Map<String, EdmValue> props = new LinkedHashMap<>();
    for (String name : List.of("A", "B", "Num", "Str")) {
      if (r.nextInt(10) < 7) {
        props.put(name, value(r));
      }
    }
    String pk = keyString(r);
    String rk = keyString(r);
    return r.nextInt(5) == 0
        ? Entity.of(pk, rk, props)
        : Entity.stored(pk, rk, new EdmValue.EdmDateTime(INSTANTS[r.nextInt(INSTANTS.length)]), props);
  }

  /** A random tree of at most {@code maxLeaves} comparisons. */
  static Tree tree(Random r, int depth, int maxLeaves) {
    int choice = depth >= 5 || maxLeaves <= 1 ? r.nextInt(5) : r.nextInt(10);
    if (choice == 4 && maxLeaves >= 1 && depth < 6) {
      return new TNot(tree(r, depth + 1, maxLeaves));
    }
    if (choice < 5) {
      String name = NAMES[r.nextInt(NAMES.length)];
      EdmValue literal = value(r);
      if ((name.equals("PartitionKey") || name.equals("RowKey")) && r.nextInt(4) != 0) {
        literal = new EdmValue.EdmString(keyString(r));
      }
      return new TCmp(name, ComparisonOperator.values()[r.nextInt(6)], literal, r.nextInt(5) == 0);
    }
    Tree left = tree(r, depth + 1, 1 + r.nextInt(maxLeaves - 1));
    Tree right = tree(r, depth + 1, maxLeaves - leaves(left));
    return choice < 8 ? new TAnd(left, right) : new TOr(left, right);
  }

  static int leaves(Tree t) {
    if (t instanceof TAnd a) {
      return leaves(a.l()) + leaves(a.r());
    }
    if (t instanceof TOr o) {
      return leaves(o.l()) + leaves(o.r());
    }
    if (t instanceof TNot n) {
      return leaves(n.t());
    }
    return 1;
  }

  // ---- the reference semantics, written out separately from FilterExpression ----

  static boolean eval(Tree t, Entity e) {
    if (t instanceof TAnd a) {
      return eval(a.l(), e) && eval(a.r(), e);
    }
    if (t instanceof TOr o) {
      return eval(o.l(), e) || eval(o.r(), e);
    }
    if (t instanceof TNot n) {
      return !eval(n.t(), e);
    }
    TCmp c = (TCmp) t;
    EdmValue v;
    switch (c.property()) {
      case "PartitionKey" -> v = new EdmValue.EdmString(e.partitionKey());
      case "RowKey" -> v = new EdmValue.EdmString(e.rowKey());
      case "Timestamp" -> v = e.timestamp().orElse(null);
      default -> v = e.properties().get(c.property());
    }
    if (v == null || v.getClass() != c.literal().getClass()) {
      return false;
    }
    // Property on the left: "literal op property" means "property mirrored-op literal".
    ComparisonOperator op = c.literalFirst() ? c.op().mirrored() : c.op();
    if (v instanceof EdmValue.EdmDouble d) {
      double a = d.value();
      double b = ((EdmValue.EdmDouble) c.literal()).value();
      return switch (op) {
        case EQ -> a == b;
        case NE -> a != b;
        case GT -> a > b;
        case GE -> a >= b;
        case LT -> a < b;
        case LE -> a <= b;
      };
    }
    int cmp = order(v, c.literal());
    return switch (op) {
      case EQ -> cmp == 0;
      case NE -> cmp != 0;
      case GT -> cmp > 0;
      case GE -> cmp >= 0;
      case LT -> cmp < 0;
      case LE -> cmp <= 0;
    };
  }

  static int order(EdmValue a, EdmValue b) {
    if (a instanceof EdmValue.EdmString x) {
      String s = x.value();
      String t = ((EdmValue.EdmString) b).value();
      for (int i = 0; i < Math.min(s.length(), t.length()); i++) {
        if (s.charAt(i) != t.charAt(i)) {
          return s.charAt(i) - t.charAt(i);
        }
      }
      return s.length() - t.length();
    }
    if (a instanceof EdmValue.EdmInt32 x) {
      return Long.signum((long) x.value() - ((EdmValue.EdmInt32) b).value());
    }
    if (a instanceof EdmValue.EdmInt64 x) {
      return Long.compare(x.value(), ((EdmValue.EdmInt64) b).value());
    }
    if (a instanceof EdmValue.EdmBoolean x) {
      return (x.value() ? 1 : 0) - (((EdmValue.EdmBoolean) b).value() ? 1 : 0);
    }
    if (a instanceof EdmValue.EdmDateTime x) {
      return x.value().compareTo(((EdmValue.EdmDateTime) b).value());
    }
    if (a instanceof EdmValue.EdmGuid x) {
      // Unsigned field by field: time_low, time_mid, time_hi, then the remaining bytes.
      return Arrays.compare(guidKey(x.value()), guidKey(((EdmValue.EdmGuid) b).value()));
    }
    return Arrays.compareUnsigned(((EdmValue.EdmBinary) a).bytes(), ((EdmValue.EdmBinary) b).bytes());
  }

  private static long[] guidKey(UUID u) {
    return new long[] {
      (u.getMostSignificantBits() >>> 32),
      (u.getMostSignificantBits() >>> 16) & 0xFFFF,
      u.getMostSignificantBits() & 0xFFFF,
      u.getLeastSignificantBits() >>> 1,
      u.getLeastSignificantBits() & 1
    };
  }

  // ---- printing generated trees as filter text, with noise ----

  static String space(Random r, boolean required) {
    String[] ws = {" ", "  ", "\t", "\n", " \r\n "};
    if (!required && r.nextInt(3) == 0) {
      return "";
    }
    return ws[r.nextInt(ws.length)];
  }

  static String keyword(Random r, String kw) {
    switch (r.nextInt(6)) {
      case 0:
        return kw.toUpperCase(Locale.ROOT);
      case 1:
        return Character.toUpperCase(kw.charAt(0)) + kw.substring(1);
      default:
        return kw;
    }
  }

  static String literalText(Random r, EdmValue v) {
    if (v instanceof EdmValue.EdmInt64 x) {
      return x.value() + (r.nextBoolean() ? "L" : "l");
    }
    if (v instanceof EdmValue.EdmDouble x) {
      String s = Double.toString(x.value());
      switch (r.nextInt(3)) {
        case 0:
          return s.replace('E', 'e');
        case 1:
          return s + (r.nextBoolean() ? "d" : "D");
        default:
          return s;
      }
    }
    if (v instanceof EdmValue.EdmBoolean x) {
      return keyword(r, Boolean.toString(x.value()));
    }
    if (v instanceof EdmValue.EdmDateTime x) {
      return keyword(r, "datetime") + "'" + x.format() + "'";
    }
    if (v instanceof EdmValue.EdmGuid x) {
      String g = x.format();
      return keyword(r, "guid") + "'" + (r.nextBoolean() ? g.toUpperCase(Locale.ROOT) : g) + "'";
    }
    if (v instanceof EdmValue.EdmBinary x) {
      String hex = HexFormat.of().formatHex(x.bytes());
      String[] prefixes = {"X", "x", "binary", "BINARY"};
      return prefixes[r.nextInt(4)] + "'" + (r.nextBoolean() ? hex.toUpperCase(Locale.ROOT) : hex) + "'";
    }
    return ODataLiterals.format(v);
  }

  /** Prints t; parenthesizes whatever precedence and left associativity require, and sometimes more. */
  static String print(Random r, Tree t, boolean mustParen) {
    boolean paren = mustParen || r.nextInt(6) == 0;
    String body;
    if (t instanceof TAnd a) {
      body = print(r, a.l(), a.l() instanceof TOr) + space(r, true) + keyword(r, "and") + space(r, true)
          + print(r, a.r(), a.r() instanceof TOr || a.r() instanceof TAnd);
    } else if (t instanceof TOr o) {
      body = print(r, o.l(), false) + space(r, true) + keyword(r, "or") + space(r, true)
          + print(r, o.r(), o.r() instanceof TOr);
    } else if (t instanceof TNot n) {
      body = keyword(r, "not") + space(r, true) + print(r, n.t(), !(n.t() instanceof TNot));
    } else {
      TCmp c = (TCmp) t;
      String prop = r.nextInt(8) == 0 ? "(" + space(r, false) + c.property() + space(r, false) + ")" : c.property();
      String lit = literalText(r, c.literal());
      String left = c.literalFirst() ? lit : prop;
      String right = c.literalFirst() ? prop : lit;
      body = left + space(r, true) + keyword(r, c.op().keyword()) + space(r, true) + right;
    }
    return paren ? "(" + space(r, false) + body + space(r, false) + ")" : body;
  }

  /** The tree the parser must build for t. */
  static FilterExpression expected(Tree t) {
    if (t instanceof TAnd a) {
      return new FilterExpression.And(expected(a.l()), expected(a.r()));
    }
    if (t instanceof TOr o) {
      return new FilterExpression.Or(expected(o.l()), expected(o.r()));
    }
    if (t instanceof TNot n) {
      return new FilterExpression.Not(expected(n.t()));
    }
    TCmp c = (TCmp) t;
    return new FilterExpression.Comparison(
        c.property(), c.literalFirst() ? c.op().mirrored() : c.op(), c.literal());
  }

  @Test
  void parsedFiltersMatchTheGeneratedTreeAndAgreeWithReferenceEvaluation() {
    long seed = seed();
    Random r = new Random(seed);
    long start = System.nanoTime();
    int evaluations = 0;
    int matched = 0;
    for (int i = 0; i < TREES; i++) {
      Tree t = tree(r, 0, FilterLimits.AZURE.maxComparisons());
      String text = print(r, t, false);
      try {
        Filter f = Filter.parse(text);
        assertEquals(expected(t), f.expression());
        Optional<KeyRange> pkRange = f.partitionKeyRange();
        Optional<KeyRange> rkRange = f.rowKeyRange();
        for (int j = 0; j < ENTITIES_PER_TREE; j++) {
          Entity e = entity(r);
          boolean want = eval(t, e);
          assertEquals(want, f.matches(e), () -> "entity " + e);
          evaluations++;
          if (want) {
            matched++;
            // Routing is sound: a matching entity's keys lie in the derived ranges.
            pkRange.ifPresent(k -> assertTrue(k.contains(e.partitionKey()), () -> k + " lacks " + e));
            rkRange.ifPresent(k -> assertTrue(k.contains(e.rowKey()), () -> k + " lacks " + e));
          }
        }
        // The canonical text parses back to the same tree.
        assertEquals(f.expression(), Filter.parse(f.toString()).expression());
      } catch (AssertionError | RuntimeException e) {
        throw failure(seed, i, "filter <" + text + ">", e);
      }
    }
    System.out.printf(
        "FilterPropertyTest: %d filters, %d evaluations (%d matches) in %d ms%n",
        TREES, evaluations, matched, (System.nanoTime() - start) / 1_000_000);
    assertTrue(matched > evaluations / 20 && matched < evaluations * 19 / 20, "generator too one-sided");
  }

  @Test
  void keyEqualitiesPinTheRangeToOneKeyAndEmptyRangesMatchNothing() {
    long seed = seed();
    Random r = new Random(seed);
    for (int i = 0; i < TREES / 4; i++) {
      String pk = keyString(r);
      Tree rest = tree(r, 1, 8);
      Tree t = r.nextBoolean()
          ? new TAnd(new TCmp("PartitionKey", ComparisonOperator.EQ, new EdmValue.EdmString(pk), false), rest)
          : new TAnd(rest, new TCmp("PartitionKey", ComparisonOperator.EQ, new EdmValue.EdmString(pk), true));
      String text = print(r, t, false);
      try {
        KeyRange range = Filter.parse(text).partitionKeyRange().orElseThrow();
        assertTrue(range.isEmpty() || range.exact().equals(Optional.of(pk)), range::toString);
        if (range.isEmpty()) {
          for (int j = 0; j < ENTITIES_PER_TREE; j++) {
            Entity e = entity(r);
            assertTrue(!eval(t, e), () -> "empty range but matches " + e);
          }
        }
      } catch (AssertionError | RuntimeException e) {
        throw failure(seed, i, "filter <" + text + ">", e);
      }
    }
  }

  @Test
  void everyLiteralRoundTripsThroughFilterText() {
    long seed = seed();
    Random r = new Random(seed);
    for (int i = 0; i < LITERALS; i++) {
      EdmValue v = i % 2 == 0 ? new EdmValue.EdmString(randomString(r)) : randomTypedValue(r);
      String text = "P eq " + literalText(r, v);
      try {
        FilterExpression.Comparison c = (FilterExpression.Comparison) Filter.parse(text).expression();
        assertEquals(v, c.literal());
      } catch (AssertionError | RuntimeException e) {
        throw failure(seed, i, "filter <" + text + ">", e);
      }
    }
  }

  /** Strings heavy in quotes, with whitespace, keywords, parentheses and non-ASCII text. */
  static String randomString(Random r) {
    String[] pieces = {"'", "''", "'''", " ", "\t", "(", ")", "and", "eq", "X'0A'", "é", "\uD83D\uDE00", "\u0000", "a", "Z"};
    StringBuilder sb = new StringBuilder();
    int n = r.nextInt(8);
    for (int i = 0; i < n; i++) {
      sb.append(r.nextInt(4) == 0 ? (char) r.nextInt(0xD800) : pieces[r.nextInt(pieces.length)]);
    }
    return sb.toString();
  }

  static EdmValue randomTypedValue(Random r) {
    switch (r.nextInt(7)) {
      case 0:
        return new EdmValue.EdmInt32(r.nextInt());
      case 1:
        return new EdmValue.EdmInt64(r.nextLong());
      case 2: {
        double d = Double.longBitsToDouble(r.nextLong());
        return new EdmValue.EdmDouble(Double.isFinite(d) ? d : r.nextGaussian());
      }
      case 3:
        return new EdmValue.EdmBoolean(r.nextBoolean());
      case 4: {
        long min = EdmValue.EdmDateTime.MIN.getEpochSecond();
        long max = EdmValue.EdmDateTime.MAX.getEpochSecond();
        long s = min + (long) (r.nextDouble() * (max - min));
        return new EdmValue.EdmDateTime(Instant.ofEpochSecond(s, r.nextInt(10_000_000) * 100L));
      }
      case 5:
        return new EdmValue.EdmGuid(new UUID(r.nextLong(), r.nextLong()));
      default: {
        byte[] b = new byte[r.nextInt(40)];
        r.nextBytes(b);
        return new EdmValue.EdmBinary(b);
      }
    }
  }

  @Test
  void mutatedFiltersEitherParseConsistentlyOrFailWithInvalidInput() {
    long seed = seed();
    Random r = new Random(seed);
    String[] pieces = {"(", ")", " ", "'", "''", "a", "eq", "and", "or", "not", "1", "L", "-", ".", "e", "X'",
        "guid'", "datetime'", "PartitionKey", "true", "0A", "\u0000", "é"};
    int accepted = 0;
    for (int i = 0; i < LITERALS; i++) {
      StringBuilder sb = new StringBuilder(print(r, tree(r, 0, 6), false));
      int mutations = 1 + r.nextInt(3);
      for (int m = 0; m < mutations && sb.length() > 0; m++) {
        int at = r.nextInt(sb.length());
        switch (r.nextInt(4)) {
          case 0 -> sb.deleteCharAt(at);
          case 1 -> sb.insert(at, pieces[r.nextInt(pieces.length)]);
          case 2 -> sb.setLength(at);
          default -> sb.setCharAt(at, pieces[r.nextInt(pieces.length)].charAt(0));
        }
      }
      String text = sb.toString();
      try {
        Filter f = Filter.parse(text);
        accepted++;
        assertEquals(f.expression(), Filter.parse(f.toString()).expression());
      } catch (io.cobalt.gateway.table.edm.TableInputException e) {
        assertEquals(io.cobalt.gateway.table.edm.TableInputException.INVALID_INPUT, e.code());
      } catch (AssertionError | RuntimeException e) {
        throw failure(seed, i, "filter <" + text + ">", e);
      }
    }
    System.out.println("FilterPropertyTest: " + accepted + " of " + LITERALS + " mutated filters still parse");
    assertTrue(accepted > 0 && accepted < LITERALS, "mutations too weak or too strong");
  }
}
