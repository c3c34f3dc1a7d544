package io.cobalt.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.http.policy.FixedDelayOptions;
import com.azure.core.http.policy.RetryOptions;
import com.azure.data.tables.TableClientBuilder;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import com.azure.storage.queue.QueueClientBuilder;
import io.cobalt.cli.DevCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The register (blob and table), queue and table batch workloads against an in-process cluster
 * without faults: CASes with If-Match get acknowledged and refused, every key is linearizable, the
 * queue drains with nothing lost, every batch is acknowledged and read back whole. The cheap check of the workloads themselves; ChaosSmokeIT adds the faults.
 */
class WorkloadsIT {
  @Test
  void registersQueueAndBatchesOnAHealthyCluster() throws Exception {
    Path data = Files.createTempDirectory("cobalt-workloads-it-");
    try (DevCluster cluster = DevCluster.start(DevCluster.Options.defaults(data).withBlobPort(0).withTablePort(0)
        .withQueuePort(0))) {
      String cs = cluster.connectionString();
      Duration timeout = Duration.ofSeconds(10);
      History history = new History(System.nanoTime());
      RegisterWorkload blobs = new RegisterWorkload("register", RegisterWorkload.blobs(new BlobServiceClientBuilder()
          .connectionString(cs).retryOptions(new RequestRetryOptions(RetryPolicyType.FIXED, 1, timeout,
              Duration.ofMillis(1), Duration.ofMillis(1), null)).buildClient().getBlobContainerClient("registers"),
          timeout), history, 1, 2);
      RegisterWorkload tables = new RegisterWorkload("table", RegisterWorkload.tables(new TableClientBuilder()
          .connectionString(cs).tableName("registers").retryOptions(new RetryOptions(new FixedDelayOptions(0,
              Duration.ofMillis(1)))).buildClient(), timeout), history, 1, 2);
      QueueWorkload queue = new QueueWorkload(new QueueClientBuilder().connectionString(cs).queueName("chaos")
          .buildClient(), history, timeout);
      TableBatchWorkload batch = new TableBatchWorkload(new TableClientBuilder().connectionString(cs)
          .tableName("batches").retryOptions(new RetryOptions(new FixedDelayOptions(0, Duration.ofMillis(1))))
          .buildClient(), history, timeout);
      blobs.start(3);
      tables.start(3);
      queue.start(1, 1);
      batch.start();
      Thread.sleep(12_000);
      blobs.stop();
      tables.stop();
      queue.stop();
      batch.stop();
      blobs.finalReads();
      tables.finalReads();
      QueueWorkload.Result q = queue.drain(60_000);

      List<History.Op> ops = history.ops();
      for (String w : List.of("register", "table")) {
        List<History.Op> mine = ops.stream().filter(op -> op.workload().equals(w)).toList();
        long casOk = mine.stream().filter(op -> op.type() == History.Type.CAS && op.outcome() == History.Outcome.OK).count();
        long casRefused = mine.stream()
            .filter(op -> op.type() == History.Type.CAS && op.outcome() == History.Outcome.FAIL && "412".equals(op.error()))
            .count();
        long other = mine.stream().filter(op -> op.outcome() != History.Outcome.OK && !"412".equals(op.error())).count();
        System.out.printf("%s: %d ops, %d CAS ok, %d CAS refused (412), %d other failures %s%n", w, mine.size(), casOk,
            casRefused, other, mine.stream().filter(op -> op.outcome() != History.Outcome.OK && !"412".equals(op.error()))
                .map(History.Op::error).distinct().limit(5).toList());
        assertTrue(casOk > 0, w + ": no CAS acknowledged");
        assertEquals(0, other, w + ": operations failed other than by 412 on a healthy cluster");
        Map<String, LinearizabilityChecker.Result> verdicts = LinearizabilityChecker.withDefaultBudget().checkAll(mine);
        verdicts.values().forEach(r -> assertEquals(LinearizabilityChecker.Verdict.LINEARIZABLE, r.verdict(), w + " " + r));
        assertEquals(0, RegisterWorkload.readsOfUnwrittenValues(mine));
      }
      System.out.println("queue: " + QueueWorkload.fields(q));
      assertTrue(q.acknowledged() > 0);
      assertEquals(List.of(), q.lost());
      assertEquals(List.of(), q.unexpected());
      assertTrue(q.drained());

      TableBatchWorkload.Result b = batch.readBack(60_000);
      System.out.println("batch: " + TableBatchWorkload.fields(b));
      assertTrue(b.readBack());
      assertTrue(b.acknowledged() > 0, "no batch acknowledged");
      assertEquals(b.submitted(), b.acknowledged(), "batches not acknowledged on a healthy cluster: "
          + ops.stream().filter(op -> op.workload().equals("batch") && op.outcome() != History.Outcome.OK)
              .map(History.Op::error).distinct().limit(5).toList());
      assertEquals(List.of(), b.partial());
      assertEquals(List.of(), b.lost());
      assertEquals(List.of(), b.unexpected());
    }
  }
}
