package io.cobalt.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.azure.core.http.rest.PagedResponse;
import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobListDetails;
import com.azure.storage.blob.models.BlobType;
import com.azure.storage.blob.models.ListBlobsOptions;
import com.azure.storage.blob.specialized.BlockBlobClient;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * List Blobs with {@code include=uncommittedblobs} (ADR 0026) through the SDK's
 * {@code setRetrieveUncommittedBlobs}: blobs that have only staged blocks are listed, flat and
 * hierarchical, paged, against the node's real partition state machine behind 16 partitions.
 */
class UncommittedBlobsEndpointTest {
  private static GatewayFixture gateway;
  private static BlobContainerClient box;

  @BeforeAll
  static void start() throws Exception {
    gateway = new GatewayFixture(c -> c);
    box = gateway.keyClient().createBlobContainer("staging");
  }

  @AfterAll
  static void stop() {
    if (gateway != null) {
      gateway.close();
    }
  }

  private static String blockId(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private static List<String> names(Iterable<BlobItem> items) {
    List<String> out = new ArrayList<>();
    items.forEach(i -> out.add(i.getName()));
    return out;
  }

  private static ListBlobsOptions withUncommitted() {
    return new ListBlobsOptions().setDetails(new BlobListDetails().setRetrieveUncommittedBlobs(true));
  }

  @Test
  void blobsWithOnlyStagedBlocksAreListedWhenAsked() {
    BlockBlobClient pending = box.getBlobClient("pending.bin").getBlockBlobClient();
    pending.stageBlock(blockId("one"), BinaryData.fromString("staged data"));
    box.getBlobClient("done.txt").upload(BinaryData.fromString("committed"), true);
    // A committed blob with staged blocks too is listed once, as its committed version.
    box.getBlobClient("done.txt").getBlockBlobClient().stageBlock(blockId("two"), BinaryData.fromString("more"));
    box.getBlobClient("dir/inner.bin").getBlockBlobClient().stageBlock(blockId("three"), BinaryData.fromString("x"));

    assertEquals(List.of("done.txt"), names(box.listBlobs()), "not listed unless asked");
    assertEquals(List.of("dir/inner.bin", "done.txt", "pending.bin"), names(box.listBlobs(withUncommitted(), null)));

    for (BlobItem i : box.listBlobs(withUncommitted(), null)) {
      if (i.getName().equals("done.txt")) {
        assertEquals("committed".length(), i.getProperties().getContentLength());
        assertNotNull(i.getProperties().getETag());
      } else {
        assertEquals(0L, i.getProperties().getContentLength(), i.getName());
        assertEquals(BlobType.BLOCK_BLOB, i.getProperties().getBlobType());
        assertNull(i.getProperties().getETag(), "an uncommitted blob has no version");
        assertNotNull(i.getProperties().getLastModified());
        assertNotNull(i.getProperties().getCreationTime());
      }
    }

    // Pages of 1: every blob once, in order.
    List<String> paged = new ArrayList<>();
    for (PagedResponse<BlobItem> page : box.listBlobs(withUncommitted().setMaxResultsPerPage(1), null)
        .iterableByPage()) {
      assertEquals(1, page.getValue().size());
      paged.addAll(names(page.getValue()));
    }
    assertEquals(List.of("dir/inner.bin", "done.txt", "pending.bin"), paged);

    // Hierarchical: the prefix of a blob that only has staged blocks appears only when asked.
    assertEquals(List.of("done.txt"), names(box.listBlobsByHierarchy("/", new ListBlobsOptions(), null)));
    // (The SDK yields a page's blobs before its prefixes.)
    assertEquals(List.of("done.txt", "pending.bin", "dir/"),
        names(box.listBlobsByHierarchy("/", withUncommitted(), null)));

    // Once committed, the blob is listed with its content.
    pending.commitBlockList(List.of(blockId("one")));
    assertEquals(List.of("done.txt", "pending.bin"), names(box.listBlobs()));
    for (BlobItem i : box.listBlobs(withUncommitted(), null)) {
      if (i.getName().equals("pending.bin")) {
        assertEquals("staged data".length(), i.getProperties().getContentLength());
      }
    }

    // Together with snapshots: each blob's snapshots before it, uncommitted blobs among them.
    String snapshot = box.getBlobClient("done.txt").createSnapshot().getSnapshotId();
    ListBlobsOptions both = new ListBlobsOptions().setDetails(
        new BlobListDetails().setRetrieveUncommittedBlobs(true).setRetrieveSnapshots(true));
    List<String> listed = new ArrayList<>();
    for (BlobItem i : box.listBlobs(both, null)) {
      listed.add(i.getSnapshot() == null ? i.getName() : i.getName() + "@" + i.getSnapshot());
    }
    assertEquals(List.of("dir/inner.bin", "done.txt@" + snapshot, "done.txt", "pending.bin"), listed);
  }
}
