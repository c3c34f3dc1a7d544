package io.cobalt.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cobalt.gateway.nodeclient.ReplicatedChunkStore;
import io.cobalt.gateway.placement.RendezvousPlacement;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway's chunk placement follows the placement map's retired nodes (ADR 0028): writes go
 * to the current targets only, reads fail over from a lost recorded replica to the new target, and
 * a failed chunk call asks for a map refresh.
 */
class RetiredChunkPlacementTest {
  private final ExecutorService executor = Executors.newFixedThreadPool(2);
  private final FakeChunkClient client = new FakeChunkClient(executor);
  private final RendezvousPlacement placement =
      new RendezvousPlacement(List.of("node-1", "node-2", "node-3", "node-4", "node-5"), 4, 3);
  private final List<String> retired = new CopyOnWriteArrayList<>();
  private final AtomicInteger refreshes = new AtomicInteger();
  private final ReplicatedChunkStore store =
      new ReplicatedChunkStore(placement, () -> List.copyOf(retired), refreshes::incrementAndGet, client, 2);

  @AfterEach
  void stop() {
    executor.shutdownNow();
  }

  private static byte[] chunk() {
    byte[] b = new byte[1024];
    new SecureRandom().nextBytes(b);
    return b;
  }

  @Test
  void targetsLeaveRetiredNodesOutAndAgreeWithTheNodes() throws Exception {
    // Pinned by the node's ChunkPlacementTest for the same ids: with node-2 retired, chunk-0 goes to
    // node-5, node-1, node-4 (it was node-2, node-5, node-1).
    byte[] id = MessageDigest.getInstance("SHA-256").digest("chunk-0".getBytes(StandardCharsets.UTF_8));
    assertEquals(List.of("node-2", "node-5", "node-1"), store.targetsOf(id));
    retired.add("node-2");
    assertEquals(List.of("node-5", "node-1", "node-4"), store.targetsOf(id));
    assertEquals(List.of("node-5", "node-1", "node-4"), placement.replicasOf(id, List.of("node-2")));
  }

  @Test
  void writesAfterARetirementGoToTheNewTargetsOnly() throws Exception {
    byte[] data = chunk();
    byte[] id = FakeChunkClient.sha256(data);
    String gone = placement.replicasOf(id).get(0);
    retired.add(gone);
    List<String> targets = store.targetsOf(id);
    assertEquals(3, targets.size());
    assertFalse(targets.contains(gone));
    store.write(id, data).get(5, TimeUnit.SECONDS);
    Thread.sleep(200); // the third write completes too
    assertFalse(client.stores.getOrDefault(gone, java.util.Map.of()).containsKey(FakeChunkClient.hex(id)),
        "nothing is written to a retired node");
    for (String t : targets) {
      assertTrue(client.stores.get(t).containsKey(FakeChunkClient.hex(id)), t);
    }
  }

  @Test
  void aReadFailsOverFromALostRecordedReplicaToTheNewTarget() throws Exception {
    byte[] data = chunk();
    byte[] id = FakeChunkClient.sha256(data);
    List<String> recorded = placement.replicasOf(id);
    // Written before the change; then the first replica is lost and retired, and re-replication
    // put the chunk on the new third target; the second recorded replica lost its copy too.
    for (String n : recorded) {
      client.put(n, id, data).get(5, TimeUnit.SECONDS);
    }
    String gone = recorded.get(0);
    client.down.add(gone);
    client.down.add(recorded.get(1));
    retired.add(gone);
    String added = store.targetsOf(id).stream().filter(n -> !recorded.contains(n)).findFirst().orElseThrow();
    client.put(added, id, data).get(5, TimeUnit.SECONDS);
    client.down.add(recorded.get(2));
    byte[] read = store.read(recorded, id, CompletableFuture::completedFuture).get(5, TimeUnit.SECONDS);
    assertArrayEquals(data, read, "served by the new target");
    assertTrue(refreshes.get() > 0, "a failed chunk call asks for a placement refresh");
    Thread.sleep(100);
    for (String request : client.repairRequests) {
      assertFalse(request.contains(gone), "no repair is aimed at a retired node: " + request);
    }
  }

  @Test
  void aRetiredNodeThatIsStillUpServesWhenNoTargetHasTheChunk() throws Exception {
    byte[] data = chunk();
    byte[] id = FakeChunkClient.sha256(data);
    List<String> recorded = placement.replicasOf(id);
    String retiredButUp = recorded.get(0);
    client.put(retiredButUp, id, data).get(5, TimeUnit.SECONDS); // only it has the chunk
    retired.add(retiredButUp);
    byte[] read = store.read(recorded, id, CompletableFuture::completedFuture).get(5, TimeUnit.SECONDS);
    assertArrayEquals(data, read);
  }
}
