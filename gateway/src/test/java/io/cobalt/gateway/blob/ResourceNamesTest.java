package io.cobalt.gateway.blob;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ResourceNamesTest {
  @ParameterizedTest
  @ValueSource(strings = {"abc", "a-b-c", "123", "a1-2b", "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij123"})
  void acceptsValidContainerNames(String name) {
    assertTrue(ResourceNames.isValidContainerName(name));
  }

  @ParameterizedTest
  @ValueSource(strings = {"ab", "Abc", "a--b", "-abc", "abc-", "a_b", "a.b", "ab c", "$root",
      "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij1234"})
  void rejectsInvalidContainerNames(String name) {
    assertFalse(ResourceNames.isValidContainerName(name));
  }

  @Test
  void acceptsBlobNamesUpTo1024Characters() {
    assertTrue(ResourceNames.isValidBlobName("a"));
    assertTrue(ResourceNames.isValidBlobName("dir/sub dir/ünïcode+plus.txt"));
    assertTrue(ResourceNames.isValidBlobName("x".repeat(1024)));
    assertFalse(ResourceNames.isValidBlobName("x".repeat(1025)));
    assertFalse(ResourceNames.isValidBlobName(""));
    assertFalse(ResourceNames.isValidBlobName("bad\u0001name"));
  }
}
