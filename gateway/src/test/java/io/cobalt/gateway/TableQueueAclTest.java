package io.cobalt.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.exception.HttpResponseException;
import com.azure.core.http.policy.FixedDelayOptions;
import com.azure.core.http.policy.RetryOptions;
import com.azure.data.tables.TableClient;
import com.azure.data.tables.TableClientBuilder;
import com.azure.data.tables.TableServiceClient;
import com.azure.data.tables.TableServiceClientBuilder;
import com.azure.data.tables.models.TableAccessPolicy;
import com.azure.data.tables.models.TableEntity;
import com.azure.data.tables.models.TableServiceException;
import com.azure.data.tables.models.TableSignedIdentifier;
import com.azure.data.tables.sas.TableSasSignatureValues;
import com.azure.storage.queue.QueueClient;
import com.azure.storage.queue.QueueClientBuilder;
import com.azure.storage.queue.QueueServiceClient;
import com.azure.storage.queue.QueueServiceClientBuilder;
import com.azure.storage.queue.models.QueueAccessPolicy;
import com.azure.storage.queue.models.QueueSignedIdentifier;
import com.azure.storage.queue.models.QueueStorageException;
import com.azure.storage.queue.sas.QueueServiceSasSignatureValues;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Get/Set Table ACL and Get/Set Queue ACL with the official SDKs, and SAS tokens naming a stored
 * access policy ({@code si}) resolved against them.
 */
class TableQueueAclTest {
  private static GatewayFixture gateway;
  private static TableServiceClient tables;
  private static QueueServiceClient queues;
  private static final RetryOptions NO_RETRY = new RetryOptions(new FixedDelayOptions(0, Duration.ofMillis(1)));

  @BeforeAll
  static void start() throws Exception {
    gateway = new GatewayFixture(c -> c.withTablePort(0).withQueuePort(0));
    tables = new TableServiceClientBuilder()
        .connectionString("DefaultEndpointsProtocol=http;AccountName=" + GatewayFixture.ACCOUNT + ";AccountKey="
            + GatewayFixture.KEY + ";TableEndpoint=" + tableEndpoint() + ";")
        .retryOptions(NO_RETRY).buildClient();
    queues = new QueueServiceClientBuilder()
        .connectionString("DefaultEndpointsProtocol=http;AccountName=" + GatewayFixture.ACCOUNT + ";AccountKey="
            + GatewayFixture.KEY + ";QueueEndpoint=" + queueEndpoint() + ";")
        .retryOptions(GatewayFixture.NO_RETRY).buildClient();
  }

  @AfterAll
  static void stop() {
    gateway.close();
  }

  private static String tableEndpoint() {
    return "http://127.0.0.1:" + gateway.server.tablePort() + "/" + GatewayFixture.ACCOUNT;
  }

  private static String queueEndpoint() {
    return "http://127.0.0.1:" + gateway.server.queuePort() + "/" + GatewayFixture.ACCOUNT;
  }

  private static String unique(String prefix) {
    return prefix + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
  }

  private static final OffsetDateTime START = OffsetDateTime.of(2024, 1, 2, 3, 4, 5, 0, ZoneOffset.UTC);

  @Test
  void tableAclRoundTripsAndSignsSas() {
    String name = unique("acl");
    TableClient table = tables.createTable(name);
    table.createEntity(new TableEntity("p", "r").addProperty("V", 1));
    OffsetDateTime expiry = OffsetDateTime.now(ZoneOffset.UTC).plusHours(1).withNano(0);
    table.setAccessPolicies(List.of(
        new TableSignedIdentifier("readers").setAccessPolicy(new TableAccessPolicy()
            .setStartsOn(START).setExpiresOn(expiry).setPermissions("r")),
        new TableSignedIdentifier("open").setAccessPolicy(new TableAccessPolicy().setPermissions("raud"))));
    List<TableSignedIdentifier> got = table.getAccessPolicies().getIdentifiers();
    assertEquals(List.of("readers", "open"), got.stream().map(TableSignedIdentifier::getId).toList());
    assertEquals(START, got.get(0).getAccessPolicy().getStartsOn());
    assertEquals(expiry, got.get(0).getAccessPolicy().getExpiresOn());
    assertEquals("r", got.get(0).getAccessPolicy().getPermissions());

    // A SAS naming "readers" takes its permissions and times from the policy.
    String sas = table.generateSas(new TableSasSignatureValues("readers"));
    TableClient viaSas = new TableClientBuilder().endpoint(tableEndpoint()).tableName(name).sasToken(sas)
        .retryOptions(NO_RETRY).buildClient();
    assertEquals(1, viaSas.getEntity("p", "r").getProperty("V"));
    TableServiceException denied = assertThrows(TableServiceException.class,
        () -> viaSas.createEntity(new TableEntity("p", "x")));
    assertEquals("AuthorizationPermissionMismatch", denied.getValue().getErrorCode().toString());
    // "open" has no expiry: a SAS naming it must carry one.
    TableClient noExpiry = new TableClientBuilder().endpoint(tableEndpoint()).tableName(name)
        .sasToken(table.generateSas(new TableSasSignatureValues("open"))).retryOptions(NO_RETRY).buildClient();
    assertEquals("AuthenticationFailed", assertThrows(TableServiceException.class,
        () -> noExpiry.getEntity("p", "r")).getValue().getErrorCode().toString());
    // Removing the policy revokes the SAS.
    table.setAccessPolicies(List.of());
    List<TableSignedIdentifier> none = table.getAccessPolicies().getIdentifiers();
    assertTrue(none == null || none.isEmpty(), "the SDK reads an empty list as null");
    assertEquals("AuthenticationFailed", assertThrows(TableServiceException.class,
        () -> viaSas.getEntity("p", "r")).getValue().getErrorCode().toString());

    List<TableSignedIdentifier> six = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      six.add(new TableSignedIdentifier("id" + i).setAccessPolicy(new TableAccessPolicy().setPermissions("r")));
    }
    HttpResponseException tooMany = assertThrows(HttpResponseException.class, () -> table.setAccessPolicies(six));
    assertEquals(400, tooMany.getResponse().getStatusCode());
    assertTrue(tooMany.getMessage().contains("InvalidXmlDocument"), tooMany.getMessage());
  }

  @Test
  void queueAclRoundTripsAndSignsSas() {
    QueueClient queue = queues.getQueueClient(unique("acl-"));
    queue.create();
    OffsetDateTime expiry = OffsetDateTime.now(ZoneOffset.UTC).plusHours(1).withNano(0);
    queue.setAccessPolicy(List.of(new QueueSignedIdentifier().setId("senders").setAccessPolicy(
        new QueueAccessPolicy().setStartsOn(START).setExpiresOn(expiry).setPermissions("a"))));
    List<QueueSignedIdentifier> got = new ArrayList<>();
    queue.getAccessPolicy().forEach(got::add);
    assertEquals(1, got.size());
    assertEquals("senders", got.get(0).getId());
    assertEquals(expiry, got.get(0).getAccessPolicy().getExpiresOn());
    assertEquals("a", got.get(0).getAccessPolicy().getPermissions());

    String sas = queue.generateSas(new QueueServiceSasSignatureValues("senders"));
    QueueClient viaSas = new QueueClientBuilder().endpoint(queueEndpoint()).queueName(queue.getQueueName())
        .sasToken(sas).retryOptions(GatewayFixture.NO_RETRY).buildClient();
    viaSas.sendMessage("hi");
    QueueStorageException denied = assertThrows(QueueStorageException.class, viaSas::receiveMessage);
    assertEquals("AuthorizationPermissionMismatch", denied.getErrorCode().toString());
    QueueStorageException noAcl = assertThrows(QueueStorageException.class, viaSas::getAccessPolicy);
    assertEquals(403, noAcl.getStatusCode());

    List<QueueSignedIdentifier> six = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      six.add(new QueueSignedIdentifier().setId("id" + i).setAccessPolicy(new QueueAccessPolicy().setPermissions("r")));
    }
    QueueStorageException tooMany = assertThrows(QueueStorageException.class, () -> queue.setAccessPolicy(six));
    assertEquals(400, tooMany.getStatusCode());
  }
}
