package io.cobalt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import io.cobalt.node.ListenPorts;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cobalt dev} as a user runs it: the packaged jar in its own JVM, ready within 15 seconds,
 * printing a connection string; SIGINT (Ctrl-C) stops it cleanly; started again on the same data
 * directory it serves the blobs stored before.
 */
class DevCommandIT {
  private static final long READY_LIMIT_MILLIS = 15_000;

  @Test
  void startsWithin15SecondsStopsOnCtrlCAndKeepsDataAcrossRestarts(@TempDir Path data) throws Exception {
    int port = ListenPorts.next();

    DevProcess first = DevProcess.start(data, port);
    try {
      System.out.println("cobalt dev ready in " + first.readyMillis() + " ms (fresh data directory)");
      assertTrue(first.readyMillis() < READY_LIMIT_MILLIS, "ready in " + first.readyMillis() + " ms");
      BlobServiceClient client = new BlobServiceClientBuilder().connectionString(first.connectionString()).buildClient();
      client.createBlobContainer("persisted").getBlobClient("hello.txt").upload(BinaryData.fromString("hello, cobalt"));
      assertTrue(first.outputText().contains("Table endpoint: http://127.0.0.1:"), first.outputText());
      com.azure.data.tables.TableServiceClient tables = new com.azure.data.tables.TableServiceClientBuilder()
          .connectionString(first.connectionString()).buildClient();
      tables.createTable("persisted").createEntity(
          new com.azure.data.tables.models.TableEntity("pk", "rk").addProperty("Greeting", "hello, tables"));
    } finally {
      first.interruptAndWait();
    }
    first.assertStoppedCleanly();

    DevProcess second = DevProcess.start(data, port);
    try {
      System.out.println("cobalt dev ready in " + second.readyMillis() + " ms (existing data directory)");
      assertTrue(second.readyMillis() < READY_LIMIT_MILLIS, "ready again in " + second.readyMillis() + " ms");
      BlobServiceClient client = new BlobServiceClientBuilder().connectionString(second.connectionString()).buildClient();
      assertEquals("hello, cobalt",
          client.getBlobContainerClient("persisted").getBlobClient("hello.txt").downloadContent().toString());
      assertEquals("hello, tables", new com.azure.data.tables.TableServiceClientBuilder()
          .connectionString(second.connectionString()).buildClient().getTableClient("persisted")
          .getEntity("pk", "rk").getProperty("Greeting"));
    } finally {
      second.interruptAndWait();
    }
    second.assertStoppedCleanly();
  }
}
