package io.cobalt.node.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cobalt.crypto.tls.ClusterCa;
import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.node.NodeConfig;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Membership settings are checked once, when they are built. */
class MembershipConfigTest {
  private static final List<String> MEMBERS = List.of("127.0.0.1:5701", "127.0.0.1:5702");

  private static MembershipConfig valid() {
    return MembershipConfig.tcpIp("cobalt", "127.0.0.1", 5701, MEMBERS, "zone-a");
  }

  private static void rejects(String why, Executable build) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build, why);
    assertFalse(e.getMessage().isBlank());
  }

  @Test
  void tcpIpDefaultsAreReachableAtTheBindAddressWithDefaultFailureDetection() {
    MembershipConfig c = valid();
    assertTrue(c.enabled());
    assertEquals("127.0.0.1:5701", c.publicAddress());
    assertEquals(MembershipConfig.DEFAULT_HEARTBEAT_INTERVAL_SECONDS, c.heartbeatIntervalSeconds());
    assertEquals(MembershipConfig.DEFAULT_MAX_NO_HEARTBEAT_SECONDS, c.maxNoHeartbeatSeconds());
    assertEquals("127.0.0.1:6000", c.withPublicAddress("127.0.0.1", 6000).publicAddress());
    assertFalse(c.withEnabled(false).enabled());
  }

  @Test
  void kubernetesDnsBindsToAllInterfacesAndAnnouncesThePodIp() {
    MembershipConfig c = MembershipConfig.kubernetesDns("cobalt", "10.1.2.3", 5701,
        "cobalt-nodes.storage.svc.cluster.local", "zone-b");
    assertEquals("0.0.0.0", c.bindHost());
    assertEquals("10.1.2.3:5701", c.publicAddress());
    assertEquals(new MembershipConfig.Join.KubernetesDns("cobalt-nodes.storage.svc.cluster.local", 5701), c.join());
  }

  @Test
  void rejectsWhatHazelcastWouldMisreadOrWhatCannotWork() {
    rejects("member without port", () -> new MembershipConfig.Join.TcpIp(List.of("127.0.0.1")));
    rejects("port range (Hazelcast fails on it later)",
        () -> new MembershipConfig.Join.TcpIp(List.of("127.0.0.1:5701-5703")));
    rejects("no members", () -> new MembershipConfig.Join.TcpIp(List.of()));
    rejects("port 0: peers must know it in advance",
        () -> MembershipConfig.tcpIp("cobalt", "127.0.0.1", 0, MEMBERS, "z"));
    rejects("bind host name", () -> MembershipConfig.tcpIp("cobalt", "localhost", 5701, MEMBERS, "z"));
    rejects("bind address out of range", () -> MembershipConfig.tcpIp("cobalt", "127.0.0.256", 5701, MEMBERS, "z"));
    rejects("unreachable public address", () -> MembershipConfig.kubernetesDns("cobalt", "0.0.0.0", 5701, "svc", "z"));
    rejects("cluster name", () -> MembershipConfig.tcpIp("a b", "127.0.0.1", 5701, MEMBERS, "z"));
    rejects("zone", () -> MembershipConfig.tcpIp("cobalt", "127.0.0.1", 5701, MEMBERS, ""));
    rejects("DNS name", () -> new MembershipConfig.Join.KubernetesDns("svc/evil", 5701));
    rejects("heartbeat", () -> valid().withFailureDetection(0, 10));
    rejects("declared dead before two heartbeats", () -> valid().withFailureDetection(5, 9));
    rejects("no join", () -> new MembershipConfig(true, "c", "127.0.0.1", 5701, "127.0.0.1", 5701, null, "z", 1, 5));
  }

  @Test
  void announcementsAreValidatedToo() {
    assertTrue(new ClusterMember("node-1", "10.0.0.1:7000", "10.0.0.1:7001", "z").hasRaft());
    assertFalse(new ClusterMember("node-1", "10.0.0.1:7000", "", "z").hasRaft());
    rejects("gRPC endpoint without port", () -> new ClusterMember("node-1", "10.0.0.1", "", "z"));
    rejects("node id", () -> new ClusterMember("node 1", "10.0.0.1:7000", "", "z"));
  }

  @Test
  void aNodeJoinsAMembershipOnlyWhenItsConfigIsPresentAndEnabled() {
    ClusterCa ca = ClusterCa.create("config-test", new SecureRandom());
    TlsMaterial tls = TlsMaterial.of(ca.issue("node-1", List.of("localhost"), List.of("127.0.0.1")));
    NodeConfig node = new NodeConfig("node-1", Path.of("data"), "127.0.0.1", 0, 4, tls);
    assertFalse(node.hasMembership(), "off by default");
    assertTrue(node.withMembership(valid()).hasMembership());
    assertFalse(node.withMembership(valid().withEnabled(false)).hasMembership());
    assertEquals(valid(), node.withMembership(valid()).withPort(7000).membership(), "kept by withPort");
  }
}
