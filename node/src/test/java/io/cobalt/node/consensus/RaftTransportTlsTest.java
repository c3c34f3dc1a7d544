package io.cobalt.node.consensus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cobalt.crypto.tls.ClusterCa;
import io.cobalt.crypto.tls.IssuedCertificate;
import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.node.ClusterPeer;
import io.cobalt.node.ListenPorts;
import io.cobalt.node.NodeConfig;
import io.cobalt.node.NodeServer;
import io.cobalt.node.partition.Records;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.TimeDuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Raft port speaks mutual TLS with the cluster's certificates only. */
class RaftTransportTlsTest {
  @TempDir static Path data;
  private static ClusterCa ca;
  private static NodeServer node;
  private static ClusterPeer peer;

  @BeforeAll
  static void startSingleVoterNode() throws Exception {
    ca = ClusterCa.create("raft-tls", new SecureRandom());
    int raftPort = ListenPorts.next();
    peer = new ClusterPeer("node-1", "127.0.0.1", raftPort);
    node = NodeServer.start(new NodeConfig("node-1", data, "127.0.0.1", 0, 2,
        TlsMaterial.of(ca.issue("node-1", List.of("localhost"), List.of("127.0.0.1"))), raftPort, List.of(peer)));
    assertTrue(node.awaitMetadataLeaders(Duration.ofSeconds(20)));
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static RaftClient client(Parameters parameters) {
    RaftProperties properties = new RaftProperties();
    RaftClientConfigKeys.Rpc.setRequestTimeout(properties, TimeDuration.valueOf(2, TimeUnit.SECONDS));
    PartitionGroups groups = new PartitionGroups(List.of(peer), 2, 3);
    return RaftClient.newBuilder()
        .setProperties(properties)
        .setParameters(parameters)
        .setRaftGroup(groups.group(0))
        .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(2, TimeDuration.valueOf(100, TimeUnit.MILLISECONDS)))
        .build();
  }

  private static RaftClientReply read(RaftClient client) throws Exception {
    Message query = Message.valueOf(ByteString.copyFrom(Records.getContainer(0, "acct", "c").toByteArray()));
    return client.async().sendReadOnly(query).get(20, TimeUnit.SECONDS);
  }

  @Test
  void acceptsAPeerWithACertificateFromTheClusterCa() throws Exception {
    TlsMaterial member = TlsMaterial.of(ca.issue("node-2", List.of("localhost"), List.of("127.0.0.1")));
    try (RaftClient c = client(RaftPartitionServer.tlsParameters(member))) {
      RaftClientReply reply = read(c);
      assertTrue(reply.isSuccess(), String.valueOf(reply.getException()));
      assertEquals(Reply.OK, Reply.tag(reply.getMessage().getContent().toByteArray()));
    }
  }

  @Test
  void refusesAPeerWithACertificateFromAnotherCa() throws Exception {
    ClusterCa rogueCa = ClusterCa.create("rogue", new SecureRandom());
    IssuedCertificate rogue = rogueCa.issue("node-2", List.of("localhost"), List.of("127.0.0.1"));
    // The rogue trusts the real CA, so only the server's check of the client can refuse it.
    TlsMaterial rogueTrustingCluster = new TlsMaterial(
        new X509Certificate[] {rogue.certificate(), rogue.issuer()}, rogue.privateKey(), ca.certificate());
    try (RaftClient c = client(RaftPartitionServer.tlsParameters(rogueTrustingCluster))) {
      assertRefused(c);
    }
  }

  @Test
  void refusesAPlaintextPeer() throws Exception {
    try (RaftClient c = client(new Parameters())) {
      assertRefused(c);
    }
  }

  private static void assertRefused(RaftClient c) {
    Exception e = assertThrows(Exception.class, () -> {
      RaftClientReply reply = read(c);
      if (!reply.isSuccess()) {
        throw reply.getException();
      }
    });
    StringBuilder chain = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      chain.append(" <- ").append(t);
    }
    System.out.println("refused:" + chain);
    // The failure is the transport's (TLS handshake / closed connection), never a reply. When the
    // handshake failures exhaust the client's retries first, Ratis reports its closed client
    // (AlreadyClosedException) instead of the connection's error.
    assertTrue(chain.toString().matches("(?s).*(UNAVAILABLE|ssl|SSL|certificate|Network closed|AlreadyClosedException).*"),
        chain.toString());
    assertTrue(!chain.toString().contains("StateMachineException"), "a reply from the state machine: " + chain);
  }
}
