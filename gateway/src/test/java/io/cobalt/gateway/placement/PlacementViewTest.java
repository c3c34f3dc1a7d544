package io.cobalt.gateway.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cobalt.gateway.nodeclient.BackendUnavailableException;
import io.cobalt.gateway.nodeclient.MetadataClient;
import io.cobalt.proto.node.v1.CommandResult;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.PartitionVoters;
import io.cobalt.proto.node.v1.PlacementMap;
import io.cobalt.proto.node.v1.QueryResult;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class PlacementViewTest {
  private static final List<String> NODES = List.of("n0", "n1", "n2", "n3");
  private static final int PARTITIONS = 4;

  /** Answers GetPlacement from {@link #maps}; a node missing there is down. */
  private static final class FakeNodes implements MetadataClient {
    final Map<String, PlacementMap> maps = new HashMap<>();
    final List<String> asked = new ArrayList<>();

    @Override
    public CompletableFuture<CommandResult> submit(String nodeId, MetadataCommand command) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CompletableFuture<QueryResult> query(String nodeId, MetadataQuery query) {
      throw new UnsupportedOperationException();
    }

    @Override
    public synchronized CompletableFuture<PlacementMap> placement(String nodeId) {
      asked.add(nodeId);
      PlacementMap m = maps.get(nodeId);
      return m == null ? CompletableFuture.failedFuture(new BackendUnavailableException(nodeId + " is down"))
          : CompletableFuture.completedFuture(m);
    }
  }

  private static PlacementMap shifted(RendezvousPlacement r, long version, int partition, String newVoter) {
    PlacementMap.Builder b = PlacementMap.newBuilder().setVersion(version);
    for (int p = 0; p < PARTITIONS; p++) {
      List<String> v = new ArrayList<>(r.metadataNodesOf(p));
      if (p == partition) {
        v.set(0, newVoter);
      }
      b.addPartitions(PartitionVoters.newBuilder().addAllNodeIds(v));
    }
    return b.build();
  }

  private static String nonVoter(RendezvousPlacement r, int partition) {
    return NODES.stream().filter(n -> !r.metadataNodesOf(partition).contains(n)).findFirst().orElseThrow();
  }

  @Test
  void rendezvousUntilAMapArrivesThenTheMapAndNeverAnOlderOne() throws Exception {
    RendezvousPlacement r = new RendezvousPlacement(NODES, PARTITIONS, 3);
    FakeNodes nodes = new FakeNodes();
    PlacementView view = new PlacementView(r, nodes, NODES);
    for (int p = 0; p < PARTITIONS; p++) {
      assertEquals(r.metadataNodesOf(p), view.metadataNodesOf(p), "no map yet: rendezvous");
    }
    assertEquals(0, view.version());

    // n0 is down, n1 answers version 2: the view takes it and stops asking.
    PlacementMap v2 = shifted(r, 2, 1, nonVoter(r, 1));
    nodes.maps.put("n1", v2);
    nodes.maps.put("n2", v2);
    view.refresh().get(5, TimeUnit.SECONDS);
    assertEquals(List.of("n0", "n1"), nodes.asked);
    assertEquals(2, view.version());
    assertEquals(v2.getPartitions(1).getNodeIdsList(), view.metadataNodesOf(1));
    assertEquals(r.metadataNodesOf(0), view.metadataNodesOf(0));

    // A lagging node's older map does not move the view back.
    nodes.maps.put("n0", PlacementMap.newBuilder(shifted(r, 1, -1, "")).build());
    view.refresh().get(5, TimeUnit.SECONDS);
    assertEquals(2, view.version());
    assertEquals(v2.getPartitions(1).getNodeIdsList(), view.metadataNodesOf(1));

    // A standalone node's empty map (version 0) and a map naming unknown nodes are ignored.
    assertEquals(false, view.offer(PlacementMap.getDefaultInstance()));
    assertEquals(false, view.offer(shifted(r, 9, 2, "stranger")));
    assertEquals(2, view.version());

    // A newer map is taken.
    PlacementMap v3 = shifted(r, 3, 2, nonVoter(r, 2));
    nodes.maps.put("n0", v3);
    view.refresh().get(5, TimeUnit.SECONDS);
    assertEquals(3, view.version());
    assertEquals(v3.getPartitions(2).getNodeIdsList(), view.metadataNodesOf(2));
  }

  @Test
  void whenNoNodeAnswersTheViewKeepsRendezvous() throws Exception {
    RendezvousPlacement r = new RendezvousPlacement(NODES, PARTITIONS, 3);
    FakeNodes nodes = new FakeNodes();
    PlacementView view = new PlacementView(r, nodes, NODES);
    view.refresh().get(5, TimeUnit.SECONDS);
    assertEquals(NODES, nodes.asked);
    assertEquals(0, view.version());
    assertEquals(r.metadataNodesOf(3), view.metadataNodesOf(3));
  }
}
