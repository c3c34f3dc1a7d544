package io.cobalt.gateway.blob;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.cobalt.gateway.http.AzureException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class BlobTagsTest {
  @Test
  void headerXmlAndSealedEncodingRoundTrip() {
    BlobTags t = BlobTags.fromHeader("a=1&path%20key=x%2Fy%3Az&empty=");
    assertEquals(Map.of("a", "1", "path key", "x/y:z", "empty", ""), t.tags());
    assertEquals(t, BlobTags.fromXml(t.toXml().getBytes(StandardCharsets.UTF_8)));
    assertEquals(t, BlobTags.decode(t.encode()));
    assertEquals(BlobTags.NONE, BlobTags.fromHeader(null));
    assertEquals(BlobTags.NONE, BlobTags.fromXml(new byte[0]));
    assertEquals(BlobTags.NONE, BlobTags.fromXml("<Tags><TagSet/></Tags>".getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void refusesWhatAzureRefuses() {
    assertEquals("InvalidTag", code(() -> BlobTags.fromHeader("a=1&a=2")));
    assertEquals("InvalidTag", code(() -> BlobTags.fromHeader("=1")));
    assertEquals("InvalidTag", code(() -> BlobTags.fromHeader("a=%3C")));
    assertEquals("InvalidTag", code(() -> BlobTags.fromHeader("a=%zz")));
    StringBuilder eleven = new StringBuilder();
    for (int i = 0; i < 11; i++) {
      eleven.append(i == 0 ? "" : "&").append("k").append(i).append("=v");
    }
    assertEquals("TagsTooLarge", code(() -> BlobTags.fromHeader(eleven.toString())));
    assertThrows(IllegalArgumentException.class, () -> BlobTags.decode(new byte[] {1, 0}));
    TreeMap<String, String> ok = new TreeMap<>(Map.of("k", "v"));
    byte[] trailing = new BlobTags(ok).encode();
    byte[] longer = java.util.Arrays.copyOf(trailing, trailing.length + 1);
    assertThrows(IllegalArgumentException.class, () -> BlobTags.decode(longer));
  }

  private static String code(Runnable r) {
    return assertThrows(AzureException.class, r::run).error().code();
  }
}
