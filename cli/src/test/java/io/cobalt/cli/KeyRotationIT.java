package io.cobalt.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import io.cobalt.cli.admin.rpc.KeyAdminClient;
import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.gateway.NodeEndpoint;
import io.cobalt.gateway.nodeclient.NodeChannels;
import io.cobalt.gateway.placement.RendezvousPlacement;
import io.cobalt.proto.kms.v1.GetKeyResponse;
import io.cobalt.proto.kms.v1.WrappedKey;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.ContainerRecord;
import io.cobalt.proto.node.v1.GetBlob;
import io.cobalt.proto.node.v1.GetContainer;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.MetadataServiceGrpc;
import io.cobalt.proto.node.v1.QueryResult;
import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rotation as an Azure SDK client sees it, on a real dev cluster: several threads upload and
 * download through the SDK (one try each, no retries) for about 10 s while the operator rotates
 * the account key twice over the admin RPC. Zero requests may fail; every blob, written before,
 * between or after the rotations, reads back; and each stored record (queried from the nodes) is
 * wrapped under the version that was primary when it was written.
 */
class KeyRotationIT {
  private static final long SEED = Long.getLong("cobalt.seed", System.nanoTime());
  private static final String ACCOUNT_KEY = "account/" + DevCluster.DEV_ACCOUNT;
  private static final String CONTAINER = "rotation";
  private static final int THREADS = 4;
  private static final Duration WORKLOAD = Duration.ofSeconds(10);
  private static final RequestRetryOptions NO_RETRY =
      new RequestRetryOptions(RetryPolicyType.FIXED, 1, Duration.ofSeconds(30), null, null, null);

  @TempDir
  static Path data;

  private static DevCluster cluster;
  private static BlobServiceClient service;

  @BeforeAll
  static void startCluster() throws Exception {
    System.out.println("KeyRotationIT seed " + SEED + " (replay with -Dcobalt.seed=" + SEED + ")");
    cluster = DevCluster.start(DevCluster.Options.defaults(data).withBlobPort(0));
    service = new BlobServiceClientBuilder().connectionString(cluster.connectionString()).retryOptions(NO_RETRY)
        .buildClient();
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /**
   * A blob the workload wrote; its key version must lie in [lowest, highest]: rotations finished
   * before the upload began, and rotations begun before it ended.
   */
  record Written(String name, byte[] content, int lowestVersion, int highestVersion) {}

  @Test
  void rotatingTwiceUnderLoadFailsNoRequestAndNewWritesUseTheNewestVersion() throws Exception {
    BlobContainerClient c = service.getBlobContainerClient(CONTAINER);
    c.create();
    c.getBlobClient("warm-up").upload(BinaryData.fromString("creates the account key"));

    AtomicInteger rotationsBegun = new AtomicInteger();
    AtomicInteger rotationsDone = new AtomicInteger();
    List<Written> written = new CopyOnWriteArrayList<>();
    ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    AtomicLong uploads = new AtomicLong();
    AtomicLong downloads = new AtomicLong();
    long deadline = System.nanoTime() + WORKLOAD.toNanos();

    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    List<Future<?>> workers = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      int thread = t;
      workers.add(pool.submit(() -> {
        Random random = new Random(SEED + thread);
        for (int i = 0; System.nanoTime() < deadline; i++) {
          String name = "t" + thread + "-" + i;
          byte[] content = new byte[i % 10 == 9 ? 4 * 1024 * 1024 + random.nextInt(1000) : random.nextInt(300_000)];
          random.nextBytes(content);
          int lowest = 1 + rotationsDone.get();
          try {
            c.getBlobClient(name).upload(BinaryData.fromBytes(content));
            uploads.incrementAndGet();
            written.add(new Written(name, content, lowest, 1 + rotationsBegun.get()));
          } catch (RuntimeException e) {
            failures.add("upload " + name + ": " + e);
          }
          int size = written.size();
          if (size == 0) {
            continue;
          }
          Written w = written.get(random.nextInt(size));
          try {
            byte[] back = c.getBlobClient(w.name()).downloadContent().toBytes();
            downloads.incrementAndGet();
            if (!java.util.Arrays.equals(w.content(), back)) {
              failures.add("download " + w.name() + ": content differs");
            }
          } catch (RuntimeException e) {
            failures.add("download " + w.name() + ": " + e);
          }
        }
        return null;
      }));
    }

    List<GetKeyResponse> rotations = new ArrayList<>();
    try (KeyAdminClient admin = KeyAdminClient.connect(cluster.options().host() + ":" + cluster.kmsPort(),
        TlsMaterial.load(cluster.tlsDir(), DevCluster.ADMIN))) {
      assertEquals(1, admin.describe(ACCOUNT_KEY).getPrimaryVersion());
      for (int r = 1; r <= 2; r++) {
        Thread.sleep(WORKLOAD.toMillis() / 3);
        rotationsBegun.incrementAndGet();
        GetKeyResponse k = admin.rotate(ACCOUNT_KEY);
        rotationsDone.incrementAndGet();
        rotations.add(k);
        System.out.println("KeyRotationIT: rotated " + ACCOUNT_KEY + " to version " + k.getPrimaryVersion());
      }
    }
    for (Future<?> w : workers) {
      w.get(2, TimeUnit.MINUTES);
    }
    pool.shutdown();
    assertEquals(2, rotations.get(0).getPrimaryVersion());
    assertEquals(3, rotations.get(1).getPrimaryVersion());

    System.out.printf("KeyRotationIT: %d uploads, %d downloads in %d s across two rotations, %d failed%n",
        uploads.get(), downloads.get(), WORKLOAD.toSeconds(), failures.size());
    assertEquals(List.of(), List.copyOf(failures), "seed " + SEED);

    // Every blob reads back, and its stored DEK is wrapped under the version primary at its write.
    Map<Integer, Integer> perVersion = new HashMap<>();
    try (RecordReader records = new RecordReader()) {
      assertEquals(1, records.wrappedKey("warm-up").getKeyVersion());
      for (Written w : written) {
        assertArrayEquals(w.content(), c.getBlobClient(w.name()).downloadContent().toBytes(), w.name());
        WrappedKey key = records.wrappedKey(w.name());
        assertEquals(ACCOUNT_KEY, key.getKeyId());
        int v = key.getKeyVersion();
        assertTrue(v >= w.lowestVersion() && v <= w.highestVersion(),
            w.name() + " wrapped under version " + v + ", expected " + w.lowestVersion() + ".." + w.highestVersion());
        perVersion.merge(v, 1, Integer::sum);
      }
      c.getBlobClient("after-rotations").upload(BinaryData.fromString("newest"));
      assertEquals(3, records.wrappedKey("after-rotations").getKeyVersion());
    }
    System.out.println("KeyRotationIT: stored records per key version " + perVersion);
    assertTrue(perVersion.getOrDefault(1, 0) > 0 && perVersion.getOrDefault(3, 0) > 0,
        "the workload wrote under the first and the last version: " + perVersion);
  }

  /** Reads blob records straight from the nodes' metadata service, as the gateway routes them. */
  private static final class RecordReader implements AutoCloseable {
    private final RendezvousPlacement placement;
    private final Map<String, ManagedChannel> channels = new HashMap<>();
    private final ContainerRecord container;

    RecordReader() throws Exception {
      List<NodeEndpoint> nodes = cluster.nodeEndpoints();
      placement = new RendezvousPlacement(nodes.stream().map(NodeEndpoint::nodeId).toList(),
          cluster.options().partitions(), cluster.options().replicationFactor());
      TlsMaterial tls = TlsMaterial.load(cluster.tlsDir(), DevCluster.GATEWAY);
      for (NodeEndpoint n : nodes) {
        channels.put(n.nodeId(), NodeChannels.open(n.host(), n.port(), tls));
      }
      int p = placement.containerPartition(DevCluster.DEV_ACCOUNT, CONTAINER);
      QueryResult r = query(p, MetadataQuery.newBuilder().setPartition(p)
          .setGetContainer(GetContainer.newBuilder().setAccount(DevCluster.DEV_ACCOUNT).setName(CONTAINER)).build());
      container = r.getContainers(0);
    }

    WrappedKey wrappedKey(String blob) throws InterruptedException {
      int p = placement.blobPartition(DevCluster.DEV_ACCOUNT, CONTAINER, blob);
      QueryResult r = query(p, MetadataQuery.newBuilder().setPartition(p).setGetBlob(GetBlob.newBuilder()
          .setAccount(DevCluster.DEV_ACCOUNT).setContainerId(container.getContainerId()).setName(blob)).build());
      BlobRecord record = r.getBlobs(0);
      assertEquals(1, record.getDeksCount(), blob);
      return record.getDeks(0);
    }

    /** The first voter of the partition that has an answer (a follower may lag a moment behind). */
    private QueryResult query(int partition, MetadataQuery q) throws InterruptedException {
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (true) {
        for (String node : placement.metadataNodesOf(partition)) {
          QueryResult r = MetadataServiceGrpc.newBlockingStub(channels.get(node))
              .withDeadlineAfter(10, TimeUnit.SECONDS).query(q);
          if (r.getContainersCount() + r.getBlobsCount() > 0) {
            return r;
          }
        }
        if (System.nanoTime() > until) {
          throw new AssertionError("no voter of partition " + partition + " has " + q);
        }
        Thread.sleep(100);
      }
    }

    @Override
    public void close() {
      channels.values().forEach(ManagedChannel::shutdownNow);
    }
  }
}
