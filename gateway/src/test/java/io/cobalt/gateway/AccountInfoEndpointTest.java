package io.cobalt.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.models.AccountKind;
import com.azure.storage.blob.models.SkuName;
import com.azure.storage.blob.models.StorageAccountInfo;
import com.azure.storage.blob.sas.BlobContainerSasPermission;
import com.azure.storage.blob.sas.BlobServiceSasSignatureValues;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.OffsetDateTime;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Get Account Information on the service, a container and a blob URL, GET and HEAD, key and SAS. */
class AccountInfoEndpointTest {
  static GatewayFixture gateway;
  static BlobServiceClient client;
  static BlobContainerClient box;

  @BeforeAll
  static void start() throws Exception {
    gateway = new GatewayFixture(c -> c);
    client = gateway.keyClient();
    box = client.createBlobContainer("info");
    box.getBlobClient("b").upload(BinaryData.fromString("x"), true);
  }

  @AfterAll
  static void stop() {
    if (gateway != null) {
      gateway.close();
    }
  }

  static void assertCobaltAccount(StorageAccountInfo info) {
    assertEquals(SkuName.STANDARD_LRS, info.getSkuName());
    assertEquals(AccountKind.STORAGE_V2, info.getAccountKind());
    assertFalse(info.isHierarchicalNamespaceEnabled());
  }

  @Test
  void answersOnServiceContainerAndBlobUrlsThroughTheSdk() {
    assertCobaltAccount(client.getAccountInfo());
    assertCobaltAccount(box.getAccountInfo(null));
    assertCobaltAccount(box.getBlobClient("b").getAccountInfo());
    assertCobaltAccount(box.getBlobClient("no-such-blob").getAccountInfo());
  }

  @Test
  void aServiceSasWithAnyPermissionMayAsk() {
    String sas = box.generateSas(new BlobServiceSasSignatureValues(OffsetDateTime.now().plusHours(1),
        BlobContainerSasPermission.parse("l")));
    assertCobaltAccount(gateway.sasClient(sas).getBlobContainerClient("info").getAccountInfo(null));
  }

  @Test
  void headAnswersTheSameHeadersAndOtherVerbsAre405() throws Exception {
    String sas = client.generateAccountSas(new com.azure.storage.common.sas.AccountSasSignatureValues(
        OffsetDateTime.now().plusHours(1),
        com.azure.storage.common.sas.AccountSasPermission.parse("r"),
        com.azure.storage.common.sas.AccountSasService.parse("b"),
        com.azure.storage.common.sas.AccountSasResourceType.parse("o")));
    HttpClient http = HttpClient.newHttpClient();
    for (String path : List.of("", "/info", "/info/b")) {
      URI uri = URI.create(gateway.httpEndpoint() + path + "?restype=account&comp=properties&" + sas);
      HttpResponse<String> head = http.send(HttpRequest.newBuilder(uri).header("x-ms-version", "2025-11-05")
          .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, head.statusCode(), path);
      assertEquals("Standard_LRS", head.headers().firstValue("x-ms-sku-name").orElse(""));
      assertEquals("StorageV2", head.headers().firstValue("x-ms-account-kind").orElse(""));
      assertEquals("false", head.headers().firstValue("x-ms-is-hns-enabled").orElse(""));
      HttpResponse<String> put = http.send(HttpRequest.newBuilder(uri).header("x-ms-version", "2025-11-05")
          .PUT(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(405, put.statusCode(), path + ": " + put.body());
      assertEquals("UnsupportedHttpVerb", put.headers().firstValue("x-ms-error-code").orElse(""));
    }
  }
}
