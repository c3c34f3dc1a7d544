package io.cobalt.node.membership.hazelcast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.cobalt.node.ListenPorts;
import io.cobalt.node.membership.ClusterMember;
import io.cobalt.node.membership.Membership;
import io.cobalt.node.membership.MembershipConfig;
import io.cobalt.node.membership.MembershipListener;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Real Hazelcast members in one JVM over loopback TCP: joining, announcements, leaving, crashing. */
class MembershipClusterTest {
  /** Failure detection in these tests: heartbeat 1 s, dead after 5 s of silence. */
  private static final int MAX_NO_HEARTBEAT_SECONDS = 5;

  private final List<Membership> started = new ArrayList<>();

  @AfterEach
  void leave() {
    for (Membership m : started) {
      m.close();
    }
  }

  @Test
  void threeMembersJoinOverTcpIpSeeEachOthersAnnouncementsAndALeaverIsReportedAtOnce() throws Exception {
    int[] ports = {ListenPorts.next(), ListenPorts.next(), ListenPorts.next()};
    List<String> addresses = List.of("127.0.0.1:" + ports[0], "127.0.0.1:" + ports[1], "127.0.0.1:" + ports[2]);
    List<ClusterMember> announced = List.of(
        new ClusterMember("node-0", "127.0.0.1:7100", "127.0.0.1:7200", "zone-a"),
        new ClusterMember("node-1", "127.0.0.1:7101", "127.0.0.1:7201", "zone-b"),
        // A standalone node announces no Raft endpoint.
        new ClusterMember("node-2", "127.0.0.1:7102", "", "zone-c"));
    for (int i = 0; i < 3; i++) {
      long t0 = System.nanoTime();
      started.add(HazelcastMembership.start(
          MembershipConfig.tcpIp("membership-test", "127.0.0.1", ports[i], addresses, announced.get(i).zone())
              .withFailureDetection(1, MAX_NO_HEARTBEAT_SECONDS),
          announced.get(i)));
      System.out.printf("member %d started in %d ms%n", i, ms(System.nanoTime() - t0));
    }

    for (Membership m : started) {
      awaitTrue(() -> m.members().size() == 3, 30, m.self().nodeId() + " sees 3 members, saw " + m.members());
      // Every member sees the same list, oldest first, each with exactly what it announced.
      assertEquals(announced, m.members(), "members as " + m.self().nodeId() + " sees them");
    }
    assertFalse(started.get(2).members().get(2).hasRaft());

    // A listener is first told about everyone present, then about changes.
    Events events = new Events();
    started.get(0).addListener(events);
    assertEquals(Set.of("joined node-0", "joined node-1", "joined node-2"),
        new HashSet<>(events.take(3, 10)), "initial members");

    long leaveStart = System.nanoTime();
    started.get(1).close();
    assertEquals(List.of("left node-1"), events.take(1, 10), "node-1's graceful leave");
    long leaveMs = ms(System.nanoTime() - leaveStart);
    System.out.printf("graceful leave reported to node-0 after %d ms (close included)%n", leaveMs);
    assertEquals(List.of(announced.get(0), announced.get(2)), started.get(0).members());
    awaitTrue(() -> started.get(2).members().size() == 2, 10, "node-2 sees node-1 gone");
  }

  @Test
  void aCrashedMemberIsReportedAsLeftByFailureDetectionWithinTheBound() throws Exception {
    int[] ports = {ListenPorts.next(), ListenPorts.next()};
    List<String> addresses = List.of("127.0.0.1:" + ports[0], "127.0.0.1:" + ports[1]);
    for (int i = 0; i < 2; i++) {
      started.add(HazelcastMembership.start(
          MembershipConfig.tcpIp("crash-test", "127.0.0.1", ports[i], addresses, "z")
              .withFailureDetection(1, MAX_NO_HEARTBEAT_SECONDS),
          new ClusterMember("node-" + i, "127.0.0.1:" + (7300 + i), "", "z")));
    }
    awaitTrue(() -> started.get(0).members().size() == 2, 30, "2 members");
    Events events = new Events();
    started.get(0).addListener(events);
    assertEquals(2, events.take(2, 10).size());

    // No graceful leave: the member's sockets just close, as when its process is killed.
    HazelcastInstance victim = Hazelcast.getHazelcastInstanceByName("cobalt-node-1");
    assertNotNull(victim, "the member's Hazelcast instance is named after the node");
    long crash = System.nanoTime();
    victim.getLifecycleService().terminate();
    assertEquals(List.of("left node-1"), events.take(1, MAX_NO_HEARTBEAT_SECONDS + 10),
        "a crashed member is reported within max-no-heartbeat plus slack");
    System.out.printf("crashed member reported as left after %d ms%n", ms(System.nanoTime() - crash));
  }

  @Test
  void kubernetesDnsLookupFormsACluster() throws Exception {
    // Both members resolve "localhost" on the first member's port: the first finds itself, the
    // second finds the first (as pods find each other through a headless service).
    int[] ports = {ListenPorts.next(), ListenPorts.next()};
    MembershipConfig.Join dns = new MembershipConfig.Join.KubernetesDns("localhost", ports[0]);
    for (int i = 0; i < 2; i++) {
      long t0 = System.nanoTime();
      started.add(HazelcastMembership.start(
          new MembershipConfig(true, "dns-test", "127.0.0.1", ports[i], "127.0.0.1", ports[i], dns, "z", 1,
              MAX_NO_HEARTBEAT_SECONDS),
          new ClusterMember("pod-" + i, "127.0.0.1:" + (7400 + i), "127.0.0.1:" + (7500 + i), "z")));
      System.out.printf("DNS-lookup member %d started in %d ms%n", i, ms(System.nanoTime() - t0));
    }
    for (Membership m : started) {
      awaitTrue(() -> m.members().size() == 2, 30, m.self().nodeId() + " sees 2 members, saw " + m.members());
      assertEquals(List.of(started.get(0).self(), started.get(1).self()), m.members());
    }
  }

  @Test
  void aDisabledConfigStartsNoMember() {
    MembershipConfig off = MembershipConfig.tcpIp("x", "127.0.0.1", 5701, List.of("127.0.0.1:5701"), "z")
        .withEnabled(false);
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> HazelcastMembership.start(off, new ClusterMember("n", "127.0.0.1:1", "", "z")));
  }

  /** Events a listener saw, in order, as "joined node-x" / "left node-x". */
  private static final class Events implements MembershipListener {
    private final BlockingQueue<String> queue = new LinkedBlockingQueue<>();

    @Override
    public void joined(ClusterMember member) {
      queue.add("joined " + member.nodeId());
    }

    @Override
    public void left(ClusterMember member) {
      queue.add("left " + member.nodeId());
    }

    List<String> take(int n, int timeoutSeconds) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
      List<String> out = new ArrayList<>();
      while (out.size() < n) {
        String e = queue.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (e == null) {
          throw new AssertionError("expected " + n + " membership events within " + timeoutSeconds + " s, got " + out);
        }
        out.add(e);
      }
      return out;
    }
  }

  static void awaitTrue(Supplier<Boolean> condition, int timeoutSeconds, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    while (!condition.get()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + timeoutSeconds + " s: " + what);
      }
      Thread.sleep(50);
    }
  }


  private static long ms(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }
}
