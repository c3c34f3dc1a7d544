package io.cobalt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.http.rest.PagedResponse;
import com.azure.data.tables.TableClient;
import com.azure.data.tables.TableServiceClient;
import com.azure.data.tables.TableServiceClientBuilder;
import com.azure.data.tables.models.ListEntitiesOptions;
import com.azure.data.tables.models.TableEntity;
import com.azure.data.tables.models.TableTransactionAction;
import com.azure.data.tables.models.TableTransactionActionType;
import com.azure.data.tables.models.TableEntityUpdateMode;
import com.azure.data.tables.models.TableItem;
import com.azure.data.tables.models.TableServiceException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Table service on a whole cluster in one JVM (kms-agent, 3 Raft nodes, gateway): the official
 * SDK creates, updates, queries and pages; everything is still there after a restart on the same
 * data; no property value is on disk in plaintext.
 */
class TableEndToEndIT {
  private static final long SEED = Long.getLong("cobalt.seed", System.nanoTime());

  private static TableServiceClient client(DevCluster cluster) {
    return new TableServiceClientBuilder().connectionString(cluster.connectionString()).buildClient();
  }

  @Test
  void tablesAndEntitiesWorkOnTheClusterSurviveARestartAndAreNeverOnDiskInPlaintext(@TempDir Path data)
      throws Exception {
    System.out.println("TableEndToEndIT seed " + SEED);
    String marker = "COBALT-TABLE-MARKER-" + HexFormat.of().formatHex(randomBytes(new Random(SEED), 16));
    DevCluster.Options options = DevCluster.Options.defaults(data).withBlobPort(0).withTablePort(0);
    try (DevCluster cluster = DevCluster.start(options)) {
      assertTrue(cluster.connectionString().contains("TableEndpoint=http://"), cluster.connectionString());
      TableServiceClient service = client(cluster);
      TableClient table = service.createTable("People");
      for (int p = 0; p < 3; p++) {
        for (int r = 0; r < 4; r++) {
          table.createEntity(new TableEntity("team" + p, "m" + r).addProperty("Rank", p * 10 + r)
              .addProperty("Note", marker));
        }
      }
      table.updateEntity(new TableEntity("team1", "m2").addProperty("Lead", true), TableEntityUpdateMode.MERGE);
      TableEntity lead = table.getEntity("team1", "m2");
      assertEquals(true, lead.getProperty("Lead"));
      assertEquals(12, lead.getProperty("Rank"));
      assertEquals(List.of("m2", "m3"), table.listEntities(new ListEntitiesOptions()
          .setFilter("PartitionKey eq 'team1' and Rank ge 12"), null, null).stream().map(TableEntity::getRowKey).toList());
      List<String> paged = new ArrayList<>();
      int pages = 0;
      for (PagedResponse<TableEntity> page : table.listEntities(new ListEntitiesOptions().setTop(5), null, null)
          .iterableByPage()) {
        pages++;
        page.getValue().forEach(e -> paged.add(e.getPartitionKey() + "/" + e.getRowKey()));
      }
      assertEquals(3, pages);
      assertEquals(12, paged.size());
      TableServiceException dup = assertThrows(TableServiceException.class, () -> service.createTable("people"));
      assertEquals(409, dup.getResponse().getStatusCode());

      // A transaction larger than one Raft log entry (~3.6 MB of JSON): staged in parts, applied at once (ADR 0025).
      TableClient big = service.createTable("Big");
      byte[] value = randomBytes(new Random(SEED + 1), 60_000);
      List<TableTransactionAction> large = new ArrayList<>();
      for (int i = 0; i < 45; i++) {
        large.add(new TableTransactionAction(TableTransactionActionType.CREATE,
            new TableEntity("p", "r" + i).addProperty("B", value)));
      }
      assertEquals(45, big.submitTransaction(large).getTransactionActionResponses().size());
    }
    try (DevCluster cluster = DevCluster.start(options)) {
      TableServiceClient service = client(cluster);
      assertEquals(List.of("Big", "People"), service.listTables().stream().map(TableItem::getName).toList());
      assertEquals(45, service.getTableClient("Big").listEntities().stream().count());
      service.deleteTable("Big");
      assertEquals(List.of("People"), service.listTables().stream().map(TableItem::getName).toList());
      TableClient table = service.getTableClient("People");
      assertEquals(12, table.listEntities().stream().count());
      assertEquals(marker, table.getEntity("team2", "m3").getProperty("Note"));
      table.deleteEntity("team2", "m3");
      assertEquals(11, table.listEntities().stream().count());
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

  private static byte[] randomBytes(Random random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }
}
