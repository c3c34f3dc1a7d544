package io.cobalt.node.membership;

import java.util.List;

/**
 * How a node finds and joins the cluster's membership (Hazelcast, open-source edition). Validated
 * here, once; the Hazelcast settings derived from it are in
 * {@link io.cobalt.node.membership.hazelcast.HazelcastMembership}.
 *
 * <p>Membership traffic is neither encrypted nor authenticated (the open-source edition has no TLS),
 * so it carries only what {@link ClusterMember} holds; confine its port to the cluster's network
 * (NetworkPolicy on Kubernetes). The cluster name only keeps unrelated clusters apart; it is not a
 * secret.
 *
 * @param enabled whether the node joins a membership at all; when false the other fields are
 *     still validated but unused
 * @param clusterName the membership's name: members with another name never join
 * @param bindHost IPv4 address the membership port listens on; {@code 0.0.0.0} for all interfaces
 *     (then {@code publicHost} is required)
 * @param port the membership port, fixed (no auto-increment: peers list it in advance);
 *     {@value #DEFAULT_PORT} by convention
 * @param publicHost the address other members reach this node at; also the host of the gRPC and
 *     Raft endpoints the node announces. On Kubernetes, the pod IP
 * @param publicPort the port other members reach the membership port at; {@code port} unless
 *     something forwards it
 * @param join how the node finds the other members
 * @param zone the node's failure zone, announced to the other members
 * @param heartbeatIntervalSeconds how often members send each other heartbeats
 * @param maxNoHeartbeatSeconds a member that sent no heartbeat for this long is declared dead and
 *     reported as left (a member that shuts down is reported at once)
 */
public record MembershipConfig(
    boolean enabled,
    String clusterName,
    String bindHost,
    int port,
    String publicHost,
    int publicPort,
    Join join,
    String zone,
    int heartbeatIntervalSeconds,
    int maxNoHeartbeatSeconds) {

  /** Hazelcast's conventional member port. */
  public static final int DEFAULT_PORT = 5701;
  /** Heartbeat every second (research/cluster.md §6.3). */
  public static final int DEFAULT_HEARTBEAT_INTERVAL_SECONDS = 1;
  /** Declared dead after 30 s of silence: long enough to ride out a GC pause, short against the healing grace period. */
  public static final int DEFAULT_MAX_NO_HEARTBEAT_SECONDS = 30;
  /** The zone of a node that names none. */
  public static final String DEFAULT_ZONE = "default";

  static final String NAME_PATTERN = "[A-Za-z0-9._-]{1,64}";
  private static final String ANY_ADDRESS = "0.0.0.0";

  public MembershipConfig {
    if (clusterName == null || !clusterName.matches(NAME_PATTERN)) {
      throw new IllegalArgumentException("clusterName must be 1-64 characters of [A-Za-z0-9._-]: " + clusterName);
    }
    if (!isIpv4Literal(bindHost)) {
      throw new IllegalArgumentException("bindHost must be an IPv4 address (0.0.0.0 for all interfaces): " + bindHost);
    }
    requirePort("port", port);
    if (publicHost == null || !publicHost.matches("[A-Za-z0-9._-]{1,253}")) {
      throw new IllegalArgumentException("publicHost must be a host name or IPv4 address: " + publicHost);
    }
    if (publicHost.equals(ANY_ADDRESS)) {
      throw new IllegalArgumentException("publicHost must be an address other members can reach, not 0.0.0.0");
    }
    requirePort("publicPort", publicPort);
    if (join == null) {
      throw new IllegalArgumentException("join is required");
    }
    if (zone == null || !zone.matches(NAME_PATTERN)) {
      throw new IllegalArgumentException("zone must be 1-64 characters of [A-Za-z0-9._-]: " + zone);
    }
    if (heartbeatIntervalSeconds < 1 || heartbeatIntervalSeconds > 60) {
      throw new IllegalArgumentException("heartbeatIntervalSeconds must be in [1, 60]: " + heartbeatIntervalSeconds);
    }
    if (maxNoHeartbeatSeconds < 2 * heartbeatIntervalSeconds || maxNoHeartbeatSeconds > 3600) {
      throw new IllegalArgumentException("maxNoHeartbeatSeconds must be at least two heartbeat intervals and at most"
          + " 3600: " + maxNoHeartbeatSeconds);
    }
  }

  /**
   * A member that binds to {@code host:port}, is reached there, and joins the members listed
   * ({@code host:port} each, this node may be among them): local and test clusters.
   */
  public static MembershipConfig tcpIp(String clusterName, String host, int port, List<String> members, String zone) {
    return new MembershipConfig(true, clusterName, host, port, host, port, new Join.TcpIp(members), zone,
        DEFAULT_HEARTBEAT_INTERVAL_SECONDS, DEFAULT_MAX_NO_HEARTBEAT_SECONDS);
  }

  /**
   * A member on Kubernetes: binds to all interfaces on {@code port}, is reached at {@code podIp},
   * and finds the others by resolving {@code serviceDns} (a headless service over the members),
   * each on {@code port}. Needs no API access (no RBAC).
   */
  public static MembershipConfig kubernetesDns(String clusterName, String podIp, int port, String serviceDns,
      String zone) {
    return new MembershipConfig(true, clusterName, ANY_ADDRESS, port, podIp, port,
        new Join.KubernetesDns(serviceDns, port), zone,
        DEFAULT_HEARTBEAT_INTERVAL_SECONDS, DEFAULT_MAX_NO_HEARTBEAT_SECONDS);
  }

  /** The same member, reached by the others at {@code host:port} (e.g. through a forwarder). */
  public MembershipConfig withPublicAddress(String host, int newPublicPort) {
    return new MembershipConfig(enabled, clusterName, bindHost, port, host, newPublicPort, join, zone,
        heartbeatIntervalSeconds, maxNoHeartbeatSeconds);
  }

  /** The same member with other failure-detection timings. */
  public MembershipConfig withFailureDetection(int newHeartbeatIntervalSeconds, int newMaxNoHeartbeatSeconds) {
    return new MembershipConfig(enabled, clusterName, bindHost, port, publicHost, publicPort, join, zone,
        newHeartbeatIntervalSeconds, newMaxNoHeartbeatSeconds);
  }

  /** The same settings, switched on or off. */
  public MembershipConfig withEnabled(boolean on) {
    return new MembershipConfig(on, clusterName, bindHost, port, publicHost, publicPort, join, zone,
        heartbeatIntervalSeconds, maxNoHeartbeatSeconds);
  }

  /** {@code publicHost:publicPort}: this member's address as the others know it. */
  public String publicAddress() {
    return publicHost + ":" + publicPort;
  }

  /** How a member finds the others. */
  public sealed interface Join {
    /**
     * A fixed list of members to contact, {@code host:port} each (IPv4 address or host name; no
     * port ranges).
     */
    record TcpIp(List<String> members) implements Join {
      public TcpIp {
        members = List.copyOf(members);
        if (members.isEmpty()) {
          throw new IllegalArgumentException("TCP-IP join needs at least one member address");
        }
        for (String m : members) {
          requireHostPort("member", m);
        }
      }
    }

    /**
     * Kubernetes DNS lookup: every address {@code serviceDns} resolves to is a member on
     * {@code servicePort}.
     */
    record KubernetesDns(String serviceDns, int servicePort) implements Join {
      public KubernetesDns {
        if (serviceDns == null || !serviceDns.matches("[A-Za-z0-9.-]{1,253}")) {
          throw new IllegalArgumentException("serviceDns must be a DNS name: " + serviceDns);
        }
        requirePort("servicePort", servicePort);
      }
    }
  }

  static void requireHostPort(String what, String hostPort) {
    int colon = hostPort == null ? -1 : hostPort.lastIndexOf(':');
    if (colon <= 0 || !hostPort.substring(0, colon).matches("[A-Za-z0-9._-]{1,253}")) {
      throw new IllegalArgumentException(what + " must be host:port: " + hostPort);
    }
    int p;
    try {
      p = Integer.parseInt(hostPort.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(what + " must be host:port with one numeric port: " + hostPort);
    }
    requirePort(what + " port", p);
  }

  private static void requirePort(String what, int p) {
    if (p < 1 || p > 65535) {
      throw new IllegalArgumentException(what + " must be in [1, 65535]: " + p);
    }
  }

  private static boolean isIpv4Literal(String s) {
    if (s == null || !s.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
      return false;
    }
    for (String part : s.split("\\.")) {
      if (Integer.parseInt(part) > 255) {
        return false;
      }
    }
    return true;
  }
}
