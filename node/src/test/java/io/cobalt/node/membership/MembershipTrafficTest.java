package io.cobalt.node.membership;

import static io.cobalt.node.partition.Records.blob;
import static io.cobalt.node.partition.Records.container;
import static io.cobalt.node.partition.Records.create;
import static io.cobalt.node.partition.Records.getBlob;
import static io.cobalt.node.partition.Records.getContainer;
import static io.cobalt.node.partition.Records.id;
import static io.cobalt.node.partition.Records.put;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.cobalt.crypto.tls.ClusterTls;
import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.node.ClusterPeer;
import io.cobalt.node.ListenPorts;
import io.cobalt.node.NodeConfig;
import io.cobalt.node.NodeServer;
import io.cobalt.node.storage.ChunkId;
import io.cobalt.proto.kms.v1.WrappedKey;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.ChunkServiceGrpc;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.ContainerRecord;
import io.cobalt.proto.node.v1.GetChunkRequest;
import io.cobalt.proto.node.v1.MetadataServiceGrpc;
import io.cobalt.proto.node.v1.PutChunkRequest;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.SecureRandom;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What Hazelcast puts on the wire while a real cluster works: three {@link NodeServer}s (Raft
 * groups, mTLS gRPC, membership on) whose Hazelcast ports are reached only through
 * {@link RecordingTcpProxy}s, so every byte the members send each other is recorded. A workload
 * writes chunks and metadata carrying a random plaintext marker through the nodes' gRPC services;
 * afterwards the recordings must contain neither the marker in any usual encoding, nor any byte
 * string of the cluster's private keys, nor the wrapped keys and MACs of the workload — while they
 * do contain the members' announcements (so the recorder demonstrably sees Hazelcast's payloads).
 */
class MembershipTrafficTest {
  static final long SEED = new SecureRandom().nextLong();
  private static final int NODES = 3;
  private static final int PARTITIONS = 4;
  private static final String ACCOUNT = "acct";

  @TempDir Path data;
  private final NodeServer[] nodes = new NodeServer[NODES];
  private final RecordingTcpProxy[] proxies = new RecordingTcpProxy[NODES];
  private final List<ManagedChannel> channels = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (ManagedChannel c : channels) {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    for (NodeServer n : nodes) {
      if (n != null) {
        n.close();
      }
    }
    for (RecordingTcpProxy p : proxies) {
      if (p != null) {
        p.close();
      }
    }
  }

  @Test
  void hazelcastTrafficDuringAWorkloadCarriesNoPlaintextMarkerAndNoKeyMaterial() throws Exception {
    System.out.println("MembershipTrafficTest seed " + SEED);
    Random random = new Random(SEED);
    byte[] markerRandom = new byte[16];
    random.nextBytes(markerRandom);
    String marker = "cobalt-plaintext-marker-" + HexFormat.of().formatHex(markerRandom);
    Map<String, byte[]> secrets = new LinkedHashMap<>();

    // The cluster's real TLS directory: CA and per-process keys as PEM files, as `cobalt init` writes them.
    Path tlsDir = data.resolve("tls");
    List<String> names = List.of("node-0", "node-1", "node-2", "client");
    ClusterTls.ensure(tlsDir, "traffic-test", names, new SecureRandom());
    addPrivateKey(secrets, "ca", tlsDir.resolve(ClusterTls.CA_KEY));
    for (String name : names) {
      addPrivateKey(secrets, name, tlsDir.resolve(name + ".key"));
    }

    // Nodes whose Hazelcast ports are reached only through the recording proxies.
    List<ClusterPeer> peers = new ArrayList<>();
    int[] hazelcastPorts = new int[NODES];
    for (int i = 0; i < NODES; i++) {
      peers.add(new ClusterPeer("node-" + i, "127.0.0.1", ListenPorts.next()));
      hazelcastPorts[i] = ListenPorts.next();
      proxies[i] = RecordingTcpProxy.start("node-" + i, hazelcastPorts[i]);
    }
    List<String> memberList = Arrays.stream(proxies).map(p -> "127.0.0.1:" + p.port()).collect(Collectors.toList());
    for (int i = 0; i < NODES; i++) {
      MembershipConfig membership = new MembershipConfig(true, "traffic-test", "127.0.0.1", hazelcastPorts[i],
          "127.0.0.1", proxies[i].port(), new MembershipConfig.Join.TcpIp(memberList), "zone-" + i, 1, 5);
      long t0 = System.nanoTime();
      nodes[i] = NodeServer.start(new NodeConfig("node-" + i, data.resolve("node-" + i), "127.0.0.1", 0, PARTITIONS,
          TlsMaterial.load(tlsDir, "node-" + i), peers.get(i).raftPort(), peers, membership));
      System.out.printf("node-%d (Raft + gRPC + membership) started in %d ms%n", i, ms(System.nanoTime() - t0));
    }
    for (NodeServer n : nodes) {
      Membership m = n.membership().orElseThrow();
      awaitTrue(() -> m.members().size() == NODES, 30, n.nodeId() + " sees " + NODES + " members: " + m.members());
      assertTrue(n.awaitMetadataLeaders(Duration.ofSeconds(30)), n.nodeId() + ": every partition has a leader");
    }
    List<ClusterMember> announced = nodes[0].membership().orElseThrow().members();
    for (int i = 0; i < NODES; i++) {
      ClusterMember self = nodes[i].membership().orElseThrow().self();
      assertEquals(new ClusterMember("node-" + i, "127.0.0.1:" + nodes[i].port(),
          peers.get(i).raftAddress(), "zone-" + i), self);
      assertTrue(announced.contains(self), "node-0 sees node-" + i + "'s announcement " + self);
    }

    // The workload: chunks and metadata with the marker, through every node's gRPC services.
    TlsMaterial clientTls = TlsMaterial.load(tlsDir, "client");
    TlsChannelCredentials.Builder creds = TlsChannelCredentials.newBuilder()
        .keyManager(clientTls.keyManagers()).trustManager(clientTls.trustManagers());
    List<ChunkServiceGrpc.ChunkServiceBlockingStub> chunkStubs = new ArrayList<>();
    List<MetadataServiceGrpc.MetadataServiceBlockingStub> metadataStubs = new ArrayList<>();
    for (NodeServer n : nodes) {
      ManagedChannel c = Grpc.newChannelBuilderForAddress("127.0.0.1", n.port(), creds.build()).build();
      channels.add(c);
      chunkStubs.add(ChunkServiceGrpc.newBlockingStub(c));
      metadataStubs.add(MetadataServiceGrpc.newBlockingStub(c));
    }
    byte[] markerBytes = marker.getBytes(StandardCharsets.US_ASCII);
    long workloadStart = System.nanoTime();
    int ops = 0;
    // Long enough for several heartbeat rounds (1 s) to be recorded as well.
    while (ops < 24 || System.nanoTime() - workloadStart < TimeUnit.SECONDS.toNanos(4)) {
      int node = ops % NODES;
      byte[] chunk = new byte[8 * 1024];
      random.nextBytes(chunk);
      System.arraycopy(markerBytes, 0, chunk, random.nextInt(chunk.length - markerBytes.length), markerBytes.length);
      ByteString chunkId = ByteString.copyFrom(ChunkId.ofContent(chunk).bytes());
      chunkStubs.get(node).withDeadlineAfter(10, TimeUnit.SECONDS)
          .putChunk(PutChunkRequest.newBuilder().setChunkId(chunkId).setData(ByteString.copyFrom(chunk)).build());
      assertArrayEquals(chunk, chunkStubs.get(node).withDeadlineAfter(10, TimeUnit.SECONDS)
          .getChunk(GetChunkRequest.newBuilder().setChunkId(chunkId).build()).getData().toByteArray());

      ContainerRecord c = container(ACCOUNT, "c-" + ops, ops).toBuilder().putMetadata("note", marker).build();
      assertEquals(CommandStatus.OK, metadataStubs.get(node).withDeadlineAfter(10, TimeUnit.SECONDS)
          .submit(create(ops % PARTITIONS, c)).getStatus());

      byte[] wrappedDek = new byte[60];
      random.nextBytes(wrappedDek);
      byte[] manifestMac = new byte[32];
      random.nextBytes(manifestMac);
      secrets.put("wrapped DEK of blob " + ops, wrappedDek);
      secrets.put("manifest MAC of blob " + ops, manifestMac);
      BlobRecord b = blob(ACCOUNT, id(ops), "b-" + ops, ops).toBuilder()
          .putMetadata("note", marker)
          .setDeks(0, WrappedKey.newBuilder().setKeyId("account/" + ACCOUNT).setKeyVersion(1)
              .setCiphertext(ByteString.copyFrom(wrappedDek)))
          .setManifestMac(ByteString.copyFrom(manifestMac))
          .build();
      int partition = (ops + 1) % PARTITIONS;
      assertEquals(CommandStatus.OK, metadataStubs.get(node).withDeadlineAfter(10, TimeUnit.SECONDS)
          .submit(put(partition, b)).getStatus());
      // Read back through another node: the marker really travels the node's paths.
      int reader = (node + 1) % NODES;
      assertEquals(List.of(b), metadataStubs.get(reader).withDeadlineAfter(10, TimeUnit.SECONDS)
          .query(getBlob(partition, ACCOUNT, id(ops), "b-" + ops)).getBlobsList());
      assertEquals(List.of(c), metadataStubs.get(reader).withDeadlineAfter(10, TimeUnit.SECONDS)
          .query(getContainer(ops % PARTITIONS, ACCOUNT, "c-" + ops)).getContainersList());
      ops++;
    }
    System.out.printf("workload: %d rounds (chunk put+get, container, blob, 2 reads) in %d ms%n",
        ops, ms(System.nanoTime() - workloadStart));
    assertEveryMemberConnectionGoesThroughAProxy(hazelcastPorts);

    // A member leaves while the others watch: membership changes are recorded too.
    nodes[2].close();
    nodes[2] = null;
    Membership m0 = nodes[0].membership().orElseThrow();
    awaitTrue(() -> m0.members().size() == NODES - 1, 15, "node-0 sees node-2 leave: " + m0.members());
    for (int i = 0; i < NODES; i++) {
      if (nodes[i] != null) {
        nodes[i].close();
        nodes[i] = null;
      }
    }
    List<RecordingTcpProxy.Recording> recordings = new ArrayList<>();
    long total = 0;
    int connections = 0;
    for (RecordingTcpProxy p : proxies) {
      p.close();
      assertFalse(p.overflowed(), "recording limit reached: the recordings are incomplete");
      System.out.printf("recorded through %s's proxy: %d bytes in %d connection(s)%n",
          p.name(), p.recordedBytes(), p.connections());
      total += p.recordedBytes();
      connections += p.connections();
      recordings.addAll(p.recordings());
    }
    System.out.printf("Hazelcast bytes recorded: %d in %d proxied connection(s) (most are join attempts to a"
        + " member not up yet)%n", total, connections);

    // The recorder saw Hazelcast's traffic, in a form in which strings can be found.
    assertTrue(total > 0, "the proxies recorded no Hazelcast traffic: the test would prove nothing");
    for (ClusterMember member : announced) {
      for (String s : List.of(member.nodeId(), member.grpcEndpoint(), member.raftEndpoint(), member.zone())) {
        assertTrue(find(recordings, s.getBytes(StandardCharsets.UTF_8)) != null,
            "the announcement " + s + " of " + member.nodeId() + " is visible in the recorded traffic");
      }
    }

    // What must never be there.
    Map<String, byte[]> needles = new LinkedHashMap<>();
    addEncodings(needles, "marker", markerBytes);
    needles.put("random part of the marker", markerRandom);
    needles.put("marker in UTF-16BE", marker.getBytes(StandardCharsets.UTF_16BE));
    needles.put("marker in UTF-16LE", marker.getBytes(StandardCharsets.UTF_16LE));
    for (Map.Entry<String, byte[]> s : secrets.entrySet()) {
      addEncodings(needles, s.getKey(), s.getValue());
    }
    for (Map.Entry<String, byte[]> needle : needles.entrySet()) {
      String where = find(recordings, needle.getValue());
      assertEquals(null, where, needle.getKey() + " found in Hazelcast traffic (seed " + SEED + ")");
    }
    System.out.printf("checked %d byte strings (marker forms, %d private keys, %d wrapped keys and MACs) "
        + "against %d bytes: none found%n", needles.size(), names.size() + 1, 2 * ops, total);
  }

  /**
   * No member reached another member's Hazelcast port except through its proxy: every established
   * TCP connection to a member port (from the kernel's table) comes from a proxy's outbound socket.
   */
  private void assertEveryMemberConnectionGoesThroughAProxy(int[] memberPorts) throws IOException {
    java.util.Set<Integer> ports = Arrays.stream(memberPorts).boxed().collect(Collectors.toSet());
    java.util.Set<Integer> proxied = new java.util.HashSet<>();
    for (RecordingTcpProxy p : proxies) {
      proxied.addAll(p.outboundLocalPorts());
    }
    int seen = 0;
    List<String> direct = new ArrayList<>();
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      Path file = Path.of(table);
      if (!Files.exists(file)) {
        continue;
      }
      List<String> lines = Files.readAllLines(file);
      for (String line : lines.subList(1, lines.size())) {
        String[] f = line.trim().split("\\s+");
        if (!f[3].equals("01")) { // ESTABLISHED only
          continue;
        }
        int local = Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1), 16);
        int remote = Integer.parseInt(f[2].substring(f[2].indexOf(':') + 1), 16);
        if (ports.contains(remote)) { // the connecting side of a connection to a member port
          seen++;
          if (!proxied.contains(local)) {
            direct.add(line.trim());
          }
        }
      }
    }
    assertTrue(Files.exists(Path.of("/proc/net/tcp")), "this check reads Linux's /proc/net/tcp");
    // Hazelcast members form a full mesh: at least one connection per pair.
    assertTrue(seen >= NODES * (NODES - 1) / 2, "established connections to member ports: " + seen);
    assertEquals(List.of(), direct, "connections to member ports that bypass the recording proxies");
    System.out.printf("%d established connection(s) to member ports, all from the recording proxies%n", seen);
  }

  /** The key as stored (PEM body, each PEM line), as DER, and its EC scalar. */
  private static void addPrivateKey(Map<String, byte[]> secrets, String name, Path pemFile) throws Exception {
    List<String> lines = Files.readAllLines(pemFile, StandardCharsets.US_ASCII).stream()
        .filter(l -> !l.startsWith("-----") && !l.isBlank()).collect(Collectors.toList());
    String body = String.join("", lines);
    secrets.put("PEM body of " + name + "'s private key", body.getBytes(StandardCharsets.US_ASCII));
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).length() >= 16) {
        secrets.put("PEM line " + i + " of " + name + "'s private key", lines.get(i).getBytes(StandardCharsets.US_ASCII));
      }
    }
    byte[] der = Base64.getDecoder().decode(body);
    secrets.put("DER of " + name + "'s private key", der);
    ECPrivateKey key = (ECPrivateKey) KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
    secrets.put("EC scalar of " + name + "'s private key", unsigned32(key.getS()));
  }

  private static byte[] unsigned32(BigInteger s) {
    byte[] raw = s.toByteArray();
    byte[] out = new byte[32];
    int n = Math.min(raw.length, 32);
    System.arraycopy(raw, raw.length - n, out, 32 - n, n);
    return out;
  }

  /** {@code value} itself, in lower- and upper-case hex, and in standard and URL-safe base64 at each of the 3 alignments. */
  private static void addEncodings(Map<String, byte[]> needles, String name, byte[] value) {
    needles.put(name, value);
    String hex = HexFormat.of().formatHex(value);
    needles.put(name + " (hex)", hex.getBytes(StandardCharsets.US_ASCII));
    needles.put(name + " (HEX)", hex.toUpperCase(java.util.Locale.ROOT).getBytes(StandardCharsets.US_ASCII));
    for (int k = 0; k < 3; k++) {
      byte[] shifted = new byte[k + value.length];
      System.arraycopy(value, 0, shifted, k, value.length);
      // Only the characters made entirely of the value's bits, whatever precedes it in a stream.
      int from = (8 * k + 5) / 6;
      int to = 8 * (k + value.length) / 6;
      String std = Base64.getEncoder().withoutPadding().encodeToString(shifted).substring(from, to);
      String url = Base64.getUrlEncoder().withoutPadding().encodeToString(shifted).substring(from, to);
      needles.put(name + " (base64, offset " + k + ")", std.getBytes(StandardCharsets.US_ASCII));
      needles.put(name + " (base64url, offset " + k + ")", url.getBytes(StandardCharsets.US_ASCII));
    }
  }

  /** Where {@code needle} occurs in the recordings ("label@offset"), or null. */
  private static String find(List<RecordingTcpProxy.Recording> recordings, byte[] needle) {
    String n = new String(needle, StandardCharsets.ISO_8859_1);
    for (RecordingTcpProxy.Recording r : recordings) {
      int at = new String(r.bytes(), StandardCharsets.ISO_8859_1).indexOf(n);
      if (at >= 0) {
        return r.label() + "@" + at;
      }
    }
    return null;
  }

  private static void awaitTrue(Supplier<Boolean> condition, int timeoutSeconds, String what)
      throws InterruptedException {
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
