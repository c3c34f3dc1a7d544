package io.cobalt.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cobalt.gateway.nodeclient.ReplicatedChunkStore;
import io.cobalt.gateway.placement.RendezvousPlacement;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway's repair hints (ADR 0010): a write that left a replica out, and a read that failed
 * over, ask a replica that holds the chunk to queue a repair of the others; a clean write or read
 * asks nothing.
 */
class RepairHintsTest {
  private final ExecutorService executor = Executors.newFixedThreadPool(2);
  private final FakeChunkClient client = new FakeChunkClient(executor);
  private final RendezvousPlacement placement = new RendezvousPlacement(List.of("n1", "n2", "n3"), 4, 3);
  private final ReplicatedChunkStore store = new ReplicatedChunkStore(placement, client, 2);

  @AfterEach
  void stop() {
    executor.shutdownNow();
  }

  private static byte[] chunk() {
    byte[] b = new byte[1024];
    new SecureRandom().nextBytes(b);
    return b;
  }

  private void awaitRequests(int n) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (client.repairRequests.size() < n && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
  }

  @Test
  void aWriteThatMissedAReplicaAsksAnAcknowledgingReplicaToRepairIt() throws Exception {
    byte[] data = chunk();
    byte[] id = FakeChunkClient.sha256(data);
    String missing = placement.replicasOf(id).get(2);
    client.down.add(missing);
    List<String> acked = store.write(id, data).get(5, TimeUnit.SECONDS);
    awaitRequests(1);
    assertEquals(1, client.repairRequests.size(), client.repairRequests.toString());
    String request = client.repairRequests.get(0);
    assertEquals(" -> " + missing, request.substring(request.indexOf(' ')));
    assertEquals(true, acked.contains(request.substring(0, request.indexOf(' '))), "asked a replica that has it");
  }

  @Test
  void aReadThatFailedOverAsksTheServingReplicaToRepairTheOthers() throws Exception {
    byte[] data = chunk();
    byte[] id = FakeChunkClient.sha256(data);
    store.write(id, data).get(5, TimeUnit.SECONDS);
    Thread.sleep(200); // the third replica's write completes too
    List<String> replicas = placement.replicasOf(id);
    byte[] bad = data.clone();
    bad[0] ^= 1;
    client.replace(replicas.get(0), id, bad); // DATA_LOSS on the first replica
    byte[] read = store.read(replicas, id, CompletableFuture::completedFuture).get(5, TimeUnit.SECONDS);
    assertArrayEquals(data, read);
    awaitRequests(1);
    assertEquals(List.of(replicas.get(1) + " -> " + replicas.get(0)), client.repairRequests);
  }

  @Test
  void cleanWritesAndReadsAskForNoRepair() throws Exception {
    byte[] data = chunk();
    byte[] id = FakeChunkClient.sha256(data);
    store.write(id, data).get(5, TimeUnit.SECONDS);
    Thread.sleep(200);
    store.read(placement.replicasOf(id), id, CompletableFuture::completedFuture).get(5, TimeUnit.SECONDS);
    Thread.sleep(100);
    assertEquals(List.of(), client.repairRequests);
  }
}
