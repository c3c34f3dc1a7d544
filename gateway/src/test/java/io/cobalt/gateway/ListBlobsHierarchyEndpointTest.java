package io.cobalt.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.http.rest.PagedResponse;
import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobListDetails;
import com.azure.storage.blob.models.ListBlobsOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * List Blobs with a delimiter through the SDK's {@code listBlobsByHierarchy}, paged, against the
 * gateway on strict fakes (the node's real PartitionStateMachine behind 16 partitions).
 */
class ListBlobsHierarchyEndpointTest {
  static GatewayFixture gateway;
  static BlobContainerClient box;
  static final List<String> NAMES = List.of(
      "a.txt", "b/1", "b/2", "b/c/3", "b/c/4", "b/d/5", "c/1", "d.txt", "e/7", "e/f/g/6", "z");

  @BeforeAll
  static void start() throws Exception {
    gateway = new GatewayFixture(c -> c);
    box = gateway.keyClient().createBlobContainer("tree");
    for (String n : NAMES) {
      box.getBlobClient(n).upload(BinaryData.fromString("data of " + n), true);
    }
    box.getBlobClient("b/1").setMetadata(Map.of("kind", "leaf"));
  }

  @AfterAll
  static void stop() {
    if (gateway != null) {
      gateway.close();
    }
  }

  static List<String> names(Iterable<BlobItem> items) {
    List<String> out = new ArrayList<>();
    items.forEach(i -> out.add((Boolean.TRUE.equals(i.isPrefix()) ? "P:" : "B:") + i.getName()));
    return out;
  }

  @Test
  void listsBlobPrefixesAndBlobsAtTheTopLevel() {
    TreeSet<String> top = new TreeSet<>(names(box.listBlobsByHierarchy("/", new ListBlobsOptions(), null)));
    assertEquals(new TreeSet<>(List.of("B:a.txt", "P:b/", "P:c/", "B:d.txt", "P:e/", "B:z")), top);
  }

  @Test
  void combinesDelimiterWithPrefixAndMetadata() {
    ListBlobsOptions options = new ListBlobsOptions().setPrefix("b/")
        .setDetails(new BlobListDetails().setRetrieveMetadata(true));
    List<BlobItem> items = new ArrayList<>();
    box.listBlobsByHierarchy("/", options, null).forEach(items::add);
    assertEquals(new TreeSet<>(List.of("B:b/1", "B:b/2", "P:b/c/", "P:b/d/")), new TreeSet<>(names(items)));
    BlobItem leaf = items.stream().filter(i -> i.getName().equals("b/1")).findFirst().orElseThrow();
    assertEquals("leaf", leaf.getMetadata().get("kind"));
    assertEquals(new TreeSet<>(List.of("P:e/f/", "B:e/7")),
        new TreeSet<>(names(box.listBlobsByHierarchy("/", new ListBlobsOptions().setPrefix("e/"), null))));
  }

  @Test
  void pagesWithByPageAndCountsPrefixesTowardMaxResults() {
    List<String> seen = new ArrayList<>();
    List<Integer> sizes = new ArrayList<>();
    for (PagedResponse<BlobItem> page : box.listBlobsByHierarchy("/", new ListBlobsOptions(), null).iterableByPage(2)) {
      sizes.add(page.getValue().size());
      seen.addAll(names(page.getValue()));
    }
    assertEquals(List.of(2, 2, 2), sizes, "six top-level entries, two per page, BlobPrefixes counted");
    assertEquals(List.of("B:a.txt", "P:b/", "P:c/", "B:d.txt", "P:e/", "B:z"),
        seen.stream().sorted((x, y) -> x.substring(2).compareTo(y.substring(2))).toList());
    assertEquals(6, new TreeSet<>(seen).size(), "no entry twice across pages");
  }

  @Test
  void aNextMarkerThatIsABlobPrefixResumesAfterEveryBlobInIt() throws Exception {
    String first = get("?restype=container&comp=list&delimiter=%2F&maxresults=2");
    assertTrue(first.contains("<BlobPrefix><Name>b/</Name></BlobPrefix>"), first);
    assertTrue(first.contains("<NextMarker>b/</NextMarker>"), first);
    assertTrue(first.contains("<Delimiter>/</Delimiter>"), first);
    String second = get("?restype=container&comp=list&delimiter=%2F&maxresults=2&marker=b%2F");
    assertTrue(second.contains("<BlobPrefix><Name>c/</Name></BlobPrefix>"), second);
    assertTrue(second.contains("<Name>d.txt</Name>"), second);
    assertFalse(second.contains("b/1"), second);
    String last = get("?restype=container&comp=list&delimiter=%2F&maxresults=5000&marker=d.txt");
    assertTrue(last.contains("<NextMarker />"), last);
  }

  @Test
  void theFlatListingStillListsEveryBlobInPages() {
    List<String> all = new ArrayList<>();
    for (PagedResponse<BlobItem> page : box.listBlobs(new ListBlobsOptions().setMaxResultsPerPage(4), null)
        .iterableByPage()) {
      assertTrue(page.getValue().size() <= 4);
      page.getValue().forEach(i -> {
        assertFalse(Boolean.TRUE.equals(i.isPrefix()), "no BlobPrefix without a delimiter");
        all.add(i.getName());
      });
    }
    assertEquals(NAMES, all);
  }

  static String get(String query) throws Exception {
    String sas = gateway.keyClient().generateAccountSas(new com.azure.storage.common.sas.AccountSasSignatureValues(
        OffsetDateTime.now().plusHours(1),
        com.azure.storage.common.sas.AccountSasPermission.parse("rl"),
        com.azure.storage.common.sas.AccountSasService.parse("b"),
        com.azure.storage.common.sas.AccountSasResourceType.parse("sco")));
    HttpResponse<String> resp = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(gateway.httpEndpoint() + "/tree" + query + "&" + sas))
            .header("x-ms-version", "2025-11-05").GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, resp.statusCode(), resp.body());
    return resp.body();
  }
}
