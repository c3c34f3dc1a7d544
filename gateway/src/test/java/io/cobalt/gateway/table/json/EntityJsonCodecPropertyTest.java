package io.cobalt.gateway.table.json;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cobalt.gateway.table.edm.EdmValue;
import io.cobalt.gateway.table.edm.Entity;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Random entities survive write-then-parse exactly. Seed from -Dcobalt.seed or the clock. */
class EntityJsonCodecPropertyTest {

  static final int ENTITIES = 2000;
  private static final ODataLinks LINKS = new ODataLinks("http://127.0.0.1:10002/devstoreaccount1", "devstoreaccount1", "t1");

  static EdmValue randomValue(Random r) {
    switch (r.nextInt(8)) {
      case 0: {
        StringBuilder sb = new StringBuilder();
        int n = r.nextInt(20);
        for (int i = 0; i < n; i++) {
          sb.append((char) r.nextInt(r.nextBoolean() ? 128 : 0x10000));
        }
        return new EdmValue.EdmString(sb.toString());
      }
      case 1:
        return new EdmValue.EdmInt32(r.nextInt());
      case 2:
        return new EdmValue.EdmInt64(r.nextBoolean() ? r.nextLong() : r.nextInt(100));
      case 3: {
        double[] specials = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, 0.0, 1.0, 1e300};
        double d = Double.longBitsToDouble(r.nextLong());
        return new EdmValue.EdmDouble(r.nextInt(4) == 0 ? specials[r.nextInt(specials.length)] : d);
      }
      case 4:
        return new EdmValue.EdmBoolean(r.nextBoolean());
      case 5: {
        long min = EdmValue.EdmDateTime.MIN.getEpochSecond();
        long max = EdmValue.EdmDateTime.MAX.getEpochSecond();
        return new EdmValue.EdmDateTime(
            Instant.ofEpochSecond(min + (long) (r.nextDouble() * (max - min)), r.nextInt(10_000_000) * 100L));
      }
      case 6:
        return new EdmValue.EdmGuid(new UUID(r.nextLong(), r.nextLong()));
      default: {
        byte[] b = new byte[r.nextInt(25) == 0 ? r.nextInt(64 * 1024 + 1) : r.nextInt(30)];
        r.nextBytes(b);
        return new EdmValue.EdmBinary(b);
      }
    }
  }

  @Test
  void randomEntitiesSurviveMinimalAndFullMetadataExactly() {
    long seed = Long.getLong("cobalt.seed", System.nanoTime());
    System.out.println("EntityJsonCodecPropertyTest seed " + seed + " (replay with -Dcobalt.seed=" + seed + ")");
    Random r = new Random(seed);
    EdmValue.EdmDateTime ts = EdmValue.EdmDateTime.parse("2024-01-01T00:00:00Z");
    for (int i = 0; i < ENTITIES; i++) {
      Map<String, EdmValue> props = new LinkedHashMap<>();
      int n = r.nextInt(12);
      for (int p = 0; p < n; p++) {
        props.put("P" + r.nextInt(1000), randomValue(r));
      }
      Entity e = Entity.stored("pk'" + i, "rk é" + r.nextInt(), ts, props);
      for (ODataMetadata level : List.of(ODataMetadata.MINIMAL_METADATA, ODataMetadata.FULL_METADATA)) {
        String json = EntityJsonCodec.writeEntity(e, "W/\"x\"", level, LINKS, null);
        try {
          EntityJsonCodec.EntityPayload back = EntityJsonCodec.parse(json);
          assertEquals(e, Entity.stored(back.partitionKey(), back.rowKey(), ts, back.properties()));
          assertEquals(List.copyOf(e.properties().keySet()), List.copyOf(back.properties().keySet()));
        } catch (AssertionError | RuntimeException ex) {
          throw new AssertionError("seed " + seed + " (-Dcobalt.seed=" + seed + "), entity " + i + " " + level + ": " + json, ex);
        }
      }
    }
  }
}
