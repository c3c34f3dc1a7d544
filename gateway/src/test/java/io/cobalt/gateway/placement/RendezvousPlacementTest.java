package io.cobalt.gateway.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RendezvousPlacementTest {
  static final List<String> NODES = List.of("node-a", "node-b", "node-c");

  @Test
  void partitionsAreStableAcrossInstancesAndIndependentOfNodeOrder() {
    RendezvousPlacement p1 = new RendezvousPlacement(NODES, 16, 3);
    RendezvousPlacement p2 = new RendezvousPlacement(List.of("node-c", "node-a", "node-b"), 16, 3);
    // A fixed expectation: the first 4 bytes of SHA-256("devstoreaccount1/c1") mod 16 never change.
    assertEquals(p1.containerPartition("devstoreaccount1", "c1"), p2.containerPartition("devstoreaccount1", "c1"));
    for (int part = 0; part < 16; part++) {
      assertEquals(p1.ownerOf(part), p2.ownerOf(part));
    }
    byte[] id = new byte[32];
    new Random(1).nextBytes(id);
    assertEquals(p1.replicasOf(id), p2.replicasOf(id));
  }

  @Test
  void partitionIsTheFirstFourBytesOfSha256ModP() throws Exception {
    RendezvousPlacement p = new RendezvousPlacement(NODES, 16, 3);
    byte[] d = java.security.MessageDigest.getInstance("SHA-256")
        .digest("acct/cont/blob".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    long first4 = java.nio.ByteBuffer.wrap(d, 0, 4).getInt() & 0xFFFFFFFFL;
    assertEquals((int) (first4 % 16), p.blobPartition("acct", "cont", "blob"));
  }

  @Test
  void replicasAreDistinctNodesAndSpreadEvenly() {
    RendezvousPlacement p = new RendezvousPlacement(List.of("n1", "n2", "n3", "n4", "n5"), 16, 3);
    long seed = new Random().nextLong();
    Random rnd = new Random(seed);
    int[] firsts = new int[5];
    for (int i = 0; i < 5000; i++) {
      byte[] id = new byte[32];
      rnd.nextBytes(id);
      List<String> r = p.replicasOf(id);
      assertEquals(3, new HashSet<>(r).size(), "seed " + seed);
      firsts[Integer.parseInt(r.get(0).substring(1)) - 1]++;
    }
    for (int f : firsts) {
      assertTrue(f > 800 && f < 1200, "uneven spread " + java.util.Arrays.toString(firsts) + " seed " + seed);
    }
  }

  @Test
  void removingANodeMovesOnlyThePartitionsItOwned() {
    RendezvousPlacement before = new RendezvousPlacement(List.of("n1", "n2", "n3", "n4"), 64, 3);
    RendezvousPlacement after = new RendezvousPlacement(List.of("n1", "n2", "n3"), 64, 3);
    for (int part = 0; part < 64; part++) {
      if (!before.ownerOf(part).equals("n4")) {
        assertEquals(before.ownerOf(part), after.ownerOf(part));
      }
    }
  }
}
