package io.cobalt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.Context;
import com.azure.storage.queue.QueueClient;
import com.azure.storage.queue.QueueServiceClient;
import com.azure.storage.queue.QueueServiceClientBuilder;
import com.azure.storage.queue.models.QueueItem;
import com.azure.storage.queue.models.QueueMessageItem;
import com.azure.storage.queue.models.QueueStorageException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Queue service on a whole cluster in one JVM (kms-agent, 3 Raft nodes, gateway): the official
 * SDK creates a queue, sends, receives, updates and deletes messages; what is left is still there
 * after a restart on the same data; no message body is on disk in plaintext.
 */
class QueueEndToEndIT {
  private static final long SEED = Long.getLong("cobalt.seed", System.nanoTime());

  private static QueueServiceClient client(DevCluster cluster) {
    return new QueueServiceClientBuilder().connectionString(cluster.connectionString()).buildClient();
  }

  @Test
  void queuesAndMessagesWorkOnTheClusterSurviveARestartAndAreNeverOnDiskInPlaintext(@TempDir Path data)
      throws Exception {
    System.out.println("QueueEndToEndIT seed " + SEED);
    Random random = new Random(SEED);
    byte[] raw = new byte[16];
    random.nextBytes(raw);
    String marker = "COBALT-QUEUE-MARKER-" + HexFormat.of().formatHex(raw);
    DevCluster.Options options = DevCluster.Options.defaults(data).withBlobPort(0).withQueuePort(0);
    try (DevCluster cluster = DevCluster.start(options)) {
      assertTrue(cluster.connectionString().contains("QueueEndpoint=http://"), cluster.connectionString());
      QueueServiceClient service = client(cluster);
      QueueClient queue = service.createQueue("jobs");
      queue.setMetadata(Map.of("owner", "it"));
      for (int i = 0; i < 10; i++) {
        queue.sendMessage(marker + " " + i);
      }
      List<QueueMessageItem> got = new ArrayList<>();
      queue.receiveMessages(4, Duration.ofSeconds(60), null, Context.NONE).forEach(got::add);
      assertEquals(4, got.size());
      assertEquals(marker + " 0", got.get(0).getBody().toString());
      for (QueueMessageItem m : got.subList(0, 3)) {
        queue.deleteMessage(m.getMessageId(), m.getPopReceipt());
      }
      QueueMessageItem fourth = got.get(3);
      queue.updateMessage(fourth.getMessageId(), fourth.getPopReceipt(), marker + " updated", Duration.ZERO);
      QueueStorageException dup = assertThrows(QueueStorageException.class,
          () -> service.createQueueWithResponse("jobs", Map.of("other", "x"), null, Context.NONE));
      assertEquals(409, dup.getStatusCode());
      assertEquals(7, queue.getProperties().getApproximateMessagesCountLong());
    }
    try (DevCluster cluster = DevCluster.start(options)) {
      QueueServiceClient service = client(cluster);
      List<QueueItem> queues = new ArrayList<>();
      service.listQueues().forEach(queues::add);
      assertEquals(List.of("jobs"), queues.stream().map(QueueItem::getName).toList());
      QueueClient queue = service.getQueueClient("jobs");
      assertEquals(Map.of("owner", "it"), queue.getProperties().getMetadata());
      List<String> bodies = new ArrayList<>();
      queue.peekMessages(32, null, Context.NONE).forEach(m -> bodies.add(m.getBody().toString()));
      assertEquals(7, bodies.size());
      assertEquals(marker + " updated", bodies.get(0));
      queue.clearMessages();
      assertNull(queue.peekMessage());
    }
    byte[] needle = marker.getBytes(StandardCharsets.US_ASCII);
    List<Path> files;
    try (Stream<Path> walk = Files.walk(data)) {
      files = walk.filter(Files::isRegularFile).toList();
    }
    assertFalse(files.isEmpty());
    for (Path f : files) {
      assertEquals(-1, BlobEndToEndIT.indexOf(Files.readAllBytes(f), needle), "plaintext marker found in " + f);
    }
  }
}
