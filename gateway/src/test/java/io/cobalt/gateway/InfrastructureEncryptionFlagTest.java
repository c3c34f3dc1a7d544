package io.cobalt.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cobalt.gateway.nodeclient.ChunkClient;
import io.cobalt.gateway.nodeclient.ReplicatedChunkStore;
import io.cobalt.gateway.placement.RendezvousPlacement;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The gateway's part of infrastructure encryption (ADR 0032): every replica write of a chunk of an
 * account that requires it carries the flag; other accounts' writes do not.
 */
class InfrastructureEncryptionFlagTest {
  private final List<String> puts = new CopyOnWriteArrayList<>();
  private final ChunkClient recording = new ChunkClient() {
    @Override
    public CompletableFuture<Void> put(String nodeId, byte[] chunkId, byte[] data) {
      return put(nodeId, chunkId, data, false);
    }

    @Override
    public CompletableFuture<Void> put(String nodeId, byte[] chunkId, byte[] data, boolean infrastructureEncryption) {
      puts.add(nodeId + ":" + infrastructureEncryption);
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<byte[]> get(String nodeId, byte[] chunkId) {
      return CompletableFuture.failedFuture(new UnsupportedOperationException());
    }
  };
  private final ReplicatedChunkStore store = new ReplicatedChunkStore(
      new RendezvousPlacement(List.of("n1", "n2", "n3"), 4, 3), recording, 2, Set.of("double"));

  @Test
  void chunkWritesOfAnInfrastructureEncryptedAccountCarryTheFlagToEveryReplica() throws Exception {
    assertTrue(store.requiresInfrastructureEncryption("double"));
    assertFalse(store.requiresInfrastructureEncryption("plain"));
    byte[] chunk = new byte[100];
    new SecureRandom().nextBytes(chunk);
    byte[] id = MessageDigest.getInstance("SHA-256").digest(chunk);

    store.write("double", id, chunk).get(10, TimeUnit.SECONDS);
    assertEquals(3, puts.size());
    assertTrue(puts.stream().allMatch(p -> p.endsWith(":true")), puts.toString());

    puts.clear();
    store.write("plain", id, chunk).get(10, TimeUnit.SECONDS);
    assertEquals(3, puts.size());
    assertTrue(puts.stream().allMatch(p -> p.endsWith(":false")), puts.toString());
  }

  @Test
  void theAccountPropertyIsPartOfTheAccountAndNeverShowsItsKeys() {
    AccountKeys on = new AccountKeys("double", new byte[] {1}, null, true);
    assertTrue(on.requireInfrastructureEncryption());
    assertFalse(new AccountKeys("double", new byte[] {1}, null).requireInfrastructureEncryption());
    assertFalse(on.equals(new AccountKeys("double", new byte[] {1}, null)));
    assertTrue(on.toString().contains("requireInfrastructureEncryption=true"));
    assertFalse(on.toString().contains("[1]"));
  }
}
