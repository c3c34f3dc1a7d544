package io.cobalt.node.membership.hazelcast;

import com.hazelcast.cluster.InitialMembershipEvent;
import com.hazelcast.cluster.InitialMembershipListener;
import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.cobalt.node.membership.ClusterMember;
import io.cobalt.node.membership.Membership;
import io.cobalt.node.membership.MembershipConfig;
import io.cobalt.node.membership.MembershipListener;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Hazelcast member that carries this node's {@link ClusterMember} as member attributes and
 * nothing else: no maps, queues, topics or other data structures are ever created through it.
 *
 * <p>Settings (research/deps.md §4, research/cluster.md §6.3): fixed port without auto-increment,
 * an explicit public address, multicast and auto-detection off, TCP-IP or Kubernetes DNS-lookup
 * join, phone-home off, Jet off, logging through SLF4J, no JVM shutdown hook of Hazelcast's own
 * (the node closes its membership itself, first, when it stops).
 */
public final class HazelcastMembership implements Membership {
  private static final Logger LOG = LoggerFactory.getLogger(HazelcastMembership.class);

  static final String NODE_ID = "cobalt.node-id";
  static final String GRPC_ENDPOINT = "cobalt.grpc";
  static final String RAFT_ENDPOINT = "cobalt.raft";
  static final String ZONE = "cobalt.zone";
  /** A graceful leave has no data to hand over; bound it in case the others are unreachable. */
  private static final int GRACEFUL_SHUTDOWN_MAX_WAIT_SECONDS = 10;

  private final HazelcastInstance hazelcast;
  private final ClusterMember self;
  private final AtomicBoolean closed = new AtomicBoolean();

  private HazelcastMembership(HazelcastInstance hazelcast, ClusterMember self) {
    this.hazelcast = hazelcast;
    this.self = self;
  }

  /**
   * Starts a member announcing {@code self} and returns once it has joined a cluster (or, finding
   * no other member, formed one alone).
   *
   * @throws IllegalArgumentException if {@code config} is not enabled
   */
  public static HazelcastMembership start(MembershipConfig config, ClusterMember self) {
    Objects.requireNonNull(self, "self");
    if (!config.enabled()) {
      throw new IllegalArgumentException("membership is disabled in its config");
    }
    HazelcastInstance hz = Hazelcast.newHazelcastInstance(hazelcastConfig(config, self));
    LOG.info("{} joined membership {} as {} (zone {}); {} member(s)", self.nodeId(), config.clusterName(),
        config.publicAddress(), self.zone(), hz.getCluster().getMembers().size());
    return new HazelcastMembership(hz, self);
  }

  /** The Hazelcast configuration for {@code config}: everything Cobalt asks of Hazelcast is here. */
  static Config hazelcastConfig(MembershipConfig config, ClusterMember self) {
    Config c = new Config();
    c.setClusterName(config.clusterName());
    c.setInstanceName("cobalt-" + self.nodeId());
    c.setProperty("hazelcast.logging.type", "slf4j");
    c.setProperty("hazelcast.phone.home.enabled", "false");
    c.setProperty("hazelcast.shutdownhook.enabled", "false");
    c.setProperty("hazelcast.graceful.shutdown.max.wait", Integer.toString(GRACEFUL_SHUTDOWN_MAX_WAIT_SECONDS));
    c.setProperty("hazelcast.heartbeat.interval.seconds", Integer.toString(config.heartbeatIntervalSeconds()));
    c.setProperty("hazelcast.max.no.heartbeat.seconds", Integer.toString(config.maxNoHeartbeatSeconds()));
    c.getJetConfig().setEnabled(false);

    c.getMemberAttributeConfig()
        .setAttribute(NODE_ID, self.nodeId())
        .setAttribute(GRPC_ENDPOINT, self.grpcEndpoint())
        .setAttribute(RAFT_ENDPOINT, self.raftEndpoint())
        .setAttribute(ZONE, self.zone());

    NetworkConfig net = c.getNetworkConfig();
    net.setPort(config.port()).setPortAutoIncrement(false);
    net.setPublicAddress(config.publicAddress());
    if (!config.bindHost().equals("0.0.0.0")) {
      // Listen on this address only (Hazelcast binds to all interfaces unless told not to).
      c.setProperty("hazelcast.socket.bind.any", "false");
      net.getInterfaces().setEnabled(true).addInterface(config.bindHost());
    }
    JoinConfig join = net.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    if (config.join() instanceof MembershipConfig.Join.TcpIp tcpIp) {
      join.getTcpIpConfig().setEnabled(true).setMembers(tcpIp.members());
    } else if (config.join() instanceof MembershipConfig.Join.KubernetesDns dns) {
      join.getKubernetesConfig().setEnabled(true)
          .setProperty("service-dns", dns.serviceDns())
          .setProperty("service-port", Integer.toString(dns.servicePort()));
    } else {
      throw new IllegalArgumentException("unknown join: " + config.join());
    }
    return c;
  }

  @Override
  public ClusterMember self() {
    return self;
  }

  @Override
  public List<ClusterMember> members() {
    List<ClusterMember> members = new ArrayList<>();
    for (Member m : hazelcast.getCluster().getMembers()) {
      toClusterMember(m).ifPresent(members::add);
    }
    return List.copyOf(members);
  }

  @Override
  public Registration addListener(MembershipListener listener) {
    Objects.requireNonNull(listener, "listener");
    UUID id = hazelcast.getCluster().addMembershipListener(new InitialMembershipListener() {
      @Override
      public void init(InitialMembershipEvent event) {
        for (Member m : event.getMembers()) {
          toClusterMember(m).ifPresent(listener::joined);
        }
      }

      @Override
      public void memberAdded(MembershipEvent event) {
        toClusterMember(event.getMember()).ifPresent(listener::joined);
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        toClusterMember(event.getMember()).ifPresent(listener::left);
      }
    });
    AtomicBoolean removed = new AtomicBoolean();
    return () -> {
      if (removed.compareAndSet(false, true) && hazelcast.getLifecycleService().isRunning()) {
        hazelcast.getCluster().removeMembershipListener(id);
      }
    };
  }

  /** Leaves the cluster gracefully: the others see this member leave at once. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      hazelcast.shutdown();
      LOG.info("{} left membership", self.nodeId());
    }
  }

  /** The member's announcement, or empty (and a warning) for a member that is not a Cobalt node. */
  private static Optional<ClusterMember> toClusterMember(Member m) {
    try {
      return Optional.of(new ClusterMember(m.getAttribute(NODE_ID), m.getAttribute(GRPC_ENDPOINT),
          Objects.requireNonNullElse(m.getAttribute(RAFT_ENDPOINT), ""), m.getAttribute(ZONE)));
    } catch (IllegalArgumentException | NullPointerException e) {
      LOG.warn("ignoring membership member {} without a valid Cobalt announcement: {}", m.getAddress(), e.getMessage());
      return Optional.empty();
    }
  }

  @Override
  public String toString() {
    return "HazelcastMembership[" + self.nodeId() + "]";
  }
}
