package io.cobalt.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.Context;
import com.azure.storage.queue.QueueClient;
import com.azure.storage.queue.QueueServiceClient;
import com.azure.storage.queue.QueueServiceClientBuilder;
import com.azure.storage.queue.models.PeekedMessageItem;
import com.azure.storage.queue.models.QueueItem;
import com.azure.storage.queue.models.QueueMessageItem;
import com.azure.storage.queue.models.QueueProperties;
import com.azure.storage.queue.models.QueueStorageException;
import com.azure.storage.queue.models.QueuesSegmentOptions;
import com.azure.storage.queue.models.SendMessageResult;
import com.azure.storage.queue.models.UpdateMessageResult;
import com.google.protobuf.ByteString;
import io.cobalt.proto.node.v1.MetadataCommand;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Queue endpoint with the official SDK (azure-storage-queue) and raw HTTP, against the real
 * partition state machine (FakeMetadataClient), a fake kms-agent and a clock the test moves.
 */
class QueueEndpointTest {
  /** The gateway's clock: starts now (Shared Key's 15-minute window), moved only by tests. */
  static final class TestClock extends Clock {
    private volatile Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException();
    }
  }

  private static final TestClock CLOCK = new TestClock();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static GatewayFixture gateway;
  private static QueueServiceClient service;

  @BeforeAll
  static void start() throws Exception {
    gateway = new GatewayFixture(c -> c.withQueuePort(0), CLOCK);
    service = new QueueServiceClientBuilder()
        .connectionString("DefaultEndpointsProtocol=http;AccountName=" + GatewayFixture.ACCOUNT + ";AccountKey="
            + GatewayFixture.KEY + ";QueueEndpoint=" + endpoint() + ";")
        .retryOptions(GatewayFixture.NO_RETRY)
        .buildClient();
  }

  @AfterAll
  static void stop() {
    gateway.close();
  }

  private static String endpoint() {
    return "http://127.0.0.1:" + gateway.server.queuePort() + "/" + GatewayFixture.ACCOUNT;
  }

  private static String uniqueQueue() {
    return "q-" + UUID.randomUUID().toString().substring(0, 13);
  }

  private static QueueClient newQueue() {
    QueueClient q = service.getQueueClient(uniqueQueue());
    q.create();
    return q;
  }

  @Test
  void createsListsAndDeletesQueuesWithMetadata() {
    String prefix = "ls" + UUID.randomUUID().toString().substring(0, 8) + "-";
    QueueClient a = service.getQueueClient(prefix + "a");
    QueueClient b = service.getQueueClient(prefix + "b");
    assertEquals(201, a.createWithResponse(Map.of("color", "blue"), null, Context.NONE).getStatusCode());
    assertEquals(204, a.createWithResponse(Map.of("color", "blue"), null, Context.NONE).getStatusCode(),
        "the same metadata again: 204");
    QueueStorageException conflict = assertThrows(QueueStorageException.class,
        () -> a.createWithResponse(Map.of("color", "red"), null, Context.NONE));
    assertEquals(409, conflict.getStatusCode());
    assertEquals("QueueAlreadyExists", conflict.getErrorCode().toString());
    b.create();

    List<QueueItem> listed = new ArrayList<>();
    service.listQueues(new QueuesSegmentOptions().setPrefix(prefix).setIncludeMetadata(true), null, Context.NONE)
        .forEach(listed::add);
    assertEquals(List.of(prefix + "a", prefix + "b"), listed.stream().map(QueueItem::getName).toList());
    assertEquals(Map.of("color", "blue"), listed.get(0).getMetadata());

    List<String> paged = new ArrayList<>();
    service.listQueues(new QueuesSegmentOptions().setPrefix(prefix).setMaxResultsPerPage(1), null, Context.NONE)
        .iterableByPage().forEach(p -> {
          assertTrue(p.getValue().size() <= 1);
          p.getValue().forEach(q -> paged.add(q.getName()));
        });
    assertEquals(List.of(prefix + "a", prefix + "b"), paged, "maxresults and NextMarker page through");

    a.setMetadata(Map.of("size", "large"));
    assertEquals(Map.of("size", "large"), a.getProperties().getMetadata());

    a.delete();
    List<String> after = new ArrayList<>();
    service.listQueues(new QueuesSegmentOptions().setPrefix(prefix), null, Context.NONE)
        .forEach(q -> after.add(q.getName()));
    assertEquals(List.of(prefix + "b"), after);
    QueueStorageException gone = assertThrows(QueueStorageException.class, a::getProperties);
    assertEquals(404, gone.getStatusCode());
  }

  @Test
  void sendsReceivesPeeksUpdatesAndDeletesMessages() {
    QueueClient q = newQueue();
    for (int i = 0; i < 40; i++) {
      q.sendMessage("message " + i);
    }
    assertEquals(40, q.getProperties().getApproximateMessagesCountLong());

    List<PeekedMessageItem> peeked = new ArrayList<>();
    q.peekMessages(5, null, Context.NONE).forEach(peeked::add);
    assertEquals(List.of("message 0", "message 1", "message 2", "message 3", "message 4"),
        peeked.stream().map(m -> m.getBody().toString()).toList());
    assertEquals(0, peeked.get(0).getDequeueCount());

    List<QueueMessageItem> got = new ArrayList<>();
    q.receiveMessages(32, Duration.ofSeconds(60), null, Context.NONE).forEach(got::add);
    assertEquals(32, got.size(), "at most 32 per Get");
    assertEquals("message 0", got.get(0).getBody().toString());
    assertEquals(1, got.get(0).getDequeueCount());
    assertEquals("message 31", got.get(31).getBody().toString());

    List<PeekedMessageItem> rest = new ArrayList<>();
    q.peekMessages(32, null, Context.NONE).forEach(rest::add);
    assertEquals(8, rest.size(), "received messages are invisible to Peek");
    assertEquals("message 32", rest.get(0).getBody().toString());

    QueueMessageItem first = got.get(0);
    UpdateMessageResult updated = q.updateMessage(first.getMessageId(), first.getPopReceipt(), "changed",
        Duration.ZERO);
    assertNotEquals(first.getPopReceipt(), updated.getPopReceipt());
    QueueStorageException stale = assertThrows(QueueStorageException.class,
        () -> q.deleteMessage(first.getMessageId(), first.getPopReceipt()));
    assertEquals(400, stale.getStatusCode());
    assertEquals("PopReceiptMismatch", stale.getErrorCode().toString());
    PeekedMessageItem head = q.peekMessage();
    assertEquals("changed", head.getBody().toString(), "visible again at once with its new body");
    assertEquals(first.getMessageId(), head.getMessageId());

    q.deleteMessage(first.getMessageId(), updated.getPopReceipt());
    for (QueueMessageItem m : got.subList(1, 32)) {
      q.deleteMessage(m.getMessageId(), m.getPopReceipt());
    }
    assertEquals(8, q.getProperties().getApproximateMessagesCountLong());

    q.clearMessages();
    assertEquals(0, q.getProperties().getApproximateMessagesCountLong());
    assertNull(q.peekMessage());
  }

  @Test
  void sendMessageHonoursVisibilityTimeoutAndTtl() {
    QueueClient q = newQueue();
    Instant now = CLOCK.instant();
    SendMessageResult hidden = q.sendMessageWithResponse("later", Duration.ofSeconds(30), Duration.ofSeconds(3600),
        null, Context.NONE).getValue();
    assertEquals(now.plusSeconds(30), hidden.getTimeNextVisible().toInstant());
    assertEquals(now.plusSeconds(3600), hidden.getExpirationTime().toInstant());
    SendMessageResult forever = q.sendMessageWithResponse("forever", null, Duration.ofSeconds(-1), null,
        Context.NONE).getValue();
    assertEquals(9999, forever.getExpirationTime().getYear(), "messagettl=-1 never expires");
    SendMessageResult shortLived = q.sendMessageWithResponse("short", null, Duration.ofSeconds(10), null,
        Context.NONE).getValue();
    assertNotEquals(shortLived.getMessageId(), forever.getMessageId());

    List<String> visible = new ArrayList<>();
    q.peekMessages(32, null, Context.NONE).forEach(m -> visible.add(m.getBody().toString()));
    assertEquals(List.of("forever", "short"), visible);

    CLOCK.advance(Duration.ofSeconds(31));
    List<String> later = new ArrayList<>();
    q.peekMessages(32, null, Context.NONE).forEach(m -> later.add(m.getBody().toString()));
    assertEquals(List.of("later", "forever"), later, "the short-lived message expired, the hidden one appeared");
  }

  @Test
  void aReceivedMessageIsInvisibleUntilItsTimeoutThenVisibleWithDequeueCountTwo() {
    QueueClient q = newQueue();
    q.sendMessage("once");
    QueueMessageItem first = q.receiveMessage();
    assertEquals(1, first.getDequeueCount());
    assertEquals(CLOCK.instant().plusSeconds(30), first.getTimeNextVisible().toInstant(), "30 s by default");
    assertNull(q.receiveMessage(), "invisible inside its window");
    CLOCK.advance(Duration.ofSeconds(29));
    assertNull(q.receiveMessage(), "still invisible one second before the end");
    CLOCK.advance(Duration.ofSeconds(1));
    QueueMessageItem again = q.receiveMessage();
    assertEquals("once", again.getBody().toString());
    assertEquals(2, again.getDequeueCount());
    assertEquals(first.getMessageId(), again.getMessageId());
    QueueStorageException old = assertThrows(QueueStorageException.class,
        () -> q.deleteMessage(first.getMessageId(), first.getPopReceipt()));
    assertEquals("PopReceiptMismatch", old.getErrorCode().toString());
    q.deleteMessage(again.getMessageId(), again.getPopReceipt());
    assertEquals(0, q.getProperties().getApproximateMessagesCountLong());
  }

  @Test
  void noMessageBodyReachesANodeInPlaintext() {
    QueueClient q = newQueue();
    String marker = "PLAINTEXT-MARKER-" + UUID.randomUUID();
    q.sendMessage(marker + " sent");
    QueueMessageItem m = q.receiveMessage();
    q.updateMessage(m.getMessageId(), m.getPopReceipt(), marker + " updated", Duration.ZERO);
    assertEquals(marker + " updated", q.peekMessage().getBody().toString());
    ByteString needle = ByteString.copyFromUtf8("PLAINTEXT-MARKER-");
    int bodies = 0;
    for (MetadataCommand c : gateway.metadata.commands()) {
      ByteString body = switch (c.getCommandCase()) {
        case PUT_MESSAGE -> c.getPutMessage().getBody();
        case UPDATE_MESSAGE -> c.getUpdateMessage().getBody();
        default -> null;
      };
      if (body != null && !body.isEmpty()) {
        bodies++;
        assertFalse(contains(body, needle), "a sealed body holds the plaintext");
      }
      assertFalse(contains(c.toByteString(), needle), "a command holds the plaintext: " + c.getCommandCase());
    }
    assertTrue(bodies >= 2, "the put and the update were seen");
  }

  private static boolean contains(ByteString haystack, ByteString needle) {
    return haystack.toStringUtf8().contains(needle.toStringUtf8())
        || new String(haystack.toByteArray(), StandardCharsets.ISO_8859_1)
            .contains(new String(needle.toByteArray(), StandardCharsets.ISO_8859_1));
  }

  // ---- raw HTTP: Azure's errors

  /**
   * A request signed with Shared Key, Blob/Queue form (the query values used here need no
   * percent-decoding).
   */
  private static HttpResponse<String> raw(String method, String pathAndQuery, String body, String... extra)
      throws Exception {
    return raw(false, method, pathAndQuery, body, extra);
  }

  /** As {@link #raw(String, String, String, String...)}; with {@code lite}, signed with Shared Key Lite. */
  private static HttpResponse<String> raw(boolean lite, String method, String pathAndQuery, String body,
      String... extra) throws Exception {
    String url = endpoint() + pathAndQuery;
    TreeMap<String, String> msHeaders = new TreeMap<>();
    msHeaders.put("x-ms-date", DateTimeFormatter.RFC_1123_DATE_TIME.format(OffsetDateTime.now(ZoneOffset.UTC)));
    msHeaders.put("x-ms-version", "2021-02-12");
    for (int i = 0; i < extra.length; i += 2) {
      msHeaders.put(extra[i].toLowerCase(java.util.Locale.ROOT), extra[i + 1]);
    }
    byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
    String contentType = body == null ? "" : "application/xml";
    StringBuilder toSign = lite
        ? new StringBuilder(method).append("\n\n").append(contentType).append("\n\n")
        : new StringBuilder(method).append("\n\n\n")
            .append(bytes.length == 0 ? "" : Integer.toString(bytes.length)).append("\n\n")
            .append(contentType).append("\n\n\n\n\n\n\n");
    msHeaders.forEach((k, v) -> toSign.append(k).append(':').append(v).append('\n'));
    URI uri = URI.create(url);
    toSign.append('/').append(GatewayFixture.ACCOUNT).append(uri.getRawPath());
    TreeMap<String, String> query = new TreeMap<>();
    if (uri.getRawQuery() != null) {
      for (String pair : uri.getRawQuery().split("&")) {
        int eq = pair.indexOf('=');
        query.put(pair.substring(0, eq).toLowerCase(java.util.Locale.ROOT), pair.substring(eq + 1));
      }
    }
    if (lite) {
      if (query.containsKey("comp")) {
        toSign.append("?comp=").append(query.get("comp"));
      }
    } else {
      query.forEach((k, v) -> toSign.append('\n').append(k).append(':').append(v));
    }
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(Base64.getDecoder().decode(GatewayFixture.KEY), "HmacSHA256"));
    String sig = Base64.getEncoder().encodeToString(mac.doFinal(toSign.toString().getBytes(StandardCharsets.UTF_8)));
    HttpRequest.Builder b = HttpRequest.newBuilder(uri)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(bytes))
        .header("Authorization", (lite ? "SharedKeyLite " : "SharedKey ") + GatewayFixture.ACCOUNT + ":" + sig);
    msHeaders.forEach(b::header);
    if (body != null) {
      b.header("Content-Type", contentType);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void assertError(HttpResponse<String> resp, int status, String code) {
    assertEquals(status, resp.statusCode(), resp.body());
    assertEquals(code, resp.headers().firstValue("x-ms-error-code").orElse(null));
    assertTrue(resp.body().contains("<Code>" + code + "</Code>"), resp.body());
    assertTrue(resp.headers().firstValue("x-ms-request-id").isPresent());
  }

  private static String message(String text) {
    return "<QueueMessage><MessageText>" + text + "</MessageText></QueueMessage>";
  }

  @Test
  void answersAzureQueueErrorsOverRawHttp() throws Exception {
    String name = uniqueQueue();
    assertError(raw("GET", "/" + name + "?comp=metadata", null), 404, "QueueNotFound");
    assertError(raw("POST", "/" + name + "/messages", message("x")), 404, "QueueNotFound");
    HttpResponse<String> created = raw("PUT", "/" + name, null);
    assertEquals(201, created.statusCode(), created.body());
    assertEquals("2021-02-12", created.headers().firstValue("x-ms-version").orElse(null));
    assertTrue(created.headers().firstValue("x-ms-request-id").isPresent());
    assertEquals(204, raw("PUT", "/" + name, null).statusCode(), "identical metadata: 204");
    assertError(raw("PUT", "/" + name, null, "x-ms-meta-color", "red"), 409, "QueueAlreadyExists");
    assertError(raw("PUT", "/Not_A_Queue", null), 400, "InvalidResourceName");

    HttpResponse<String> put = raw("POST", "/" + name + "/messages?visibilitytimeout=0", message("hello"));
    assertEquals(201, put.statusCode(), put.body());
    String id = between(put.body(), "<MessageId>", "</MessageId>");
    String receipt = between(put.body(), "<PopReceipt>", "</PopReceipt>");
    assertTrue(put.body().contains("<TimeNextVisible>"), put.body());

    assertError(raw("DELETE", "/" + name + "/messages/" + UUID.randomUUID() + "?popreceipt=" + receipt, null),
        404, "MessageNotFound");
    String otherReceipt = Base64.getUrlEncoder().withoutPadding().encodeToString(
        java.nio.ByteBuffer.allocate(24).putLong(Long.MAX_VALUE).array());
    assertError(raw("DELETE", "/" + name + "/messages/" + id + "?popreceipt=" + otherReceipt, null),
        404, "MessageNotFound");
    HttpResponse<String> got = raw("GET", "/" + name + "/messages?visibilitytimeout=5", null);
    assertEquals(200, got.statusCode(), got.body());
    assertTrue(got.body().contains("<MessageText>hello</MessageText>"), got.body());
    assertTrue(got.body().contains("<DequeueCount>1</DequeueCount>"), got.body());
    assertError(raw("DELETE", "/" + name + "/messages/" + id + "?popreceipt=" + receipt, null),
        400, "PopReceiptMismatch");
    String newReceipt = between(got.body(), "<PopReceipt>", "</PopReceipt>");
    HttpResponse<String> upd = raw("PUT", "/" + name + "/messages/" + id + "?popreceipt=" + newReceipt
        + "&visibilitytimeout=10", null);
    assertEquals(204, upd.statusCode(), upd.body());
    assertTrue(upd.headers().firstValue("x-ms-popreceipt").isPresent());
    assertTrue(upd.headers().firstValue("x-ms-time-next-visible").isPresent());

    String tooLarge = "a".repeat(64 * 1024 + 1);
    assertError(raw("POST", "/" + name + "/messages", message(tooLarge)), 400, "MessageTooLarge");
    assertEquals(201, raw("POST", "/" + name + "/messages", message("a".repeat(64 * 1024))).statusCode(),
        "exactly 64 KiB is allowed");
    assertError(raw("POST", "/" + name + "/messages", "<NotAMessage/>"), 400, "InvalidXmlDocument");
    assertError(raw("GET", "/" + name + "/messages?numofmessages=33", null), 400, "OutOfRangeQueryParameterValue");
    assertError(raw("GET", "/" + name + "/messages?numofmessages=0", null), 400, "OutOfRangeQueryParameterValue");
    assertError(raw("GET", "/" + name + "/messages?numofmessages=many", null), 400, "InvalidQueryParameterValue");

    assertEquals(204, raw("DELETE", "/" + name, null).statusCode());
    assertError(raw("DELETE", "/" + name, null), 404, "QueueNotFound");
  }

  @Test
  void acceptsSharedKeyLite() throws Exception {
    String name = uniqueQueue();
    assertEquals(201, raw(true, "PUT", "/" + name, null, "x-ms-meta-kind", "lite").statusCode());
    HttpResponse<String> meta = raw(true, "GET", "/" + name + "?comp=metadata", null);
    assertEquals(200, meta.statusCode(), meta.body());
    assertEquals("lite", meta.headers().firstValue("x-ms-meta-kind").orElse(null));
    assertEquals("0", meta.headers().firstValue("x-ms-approximate-messages-count").orElse(null));
    assertEquals(201, raw(true, "POST", "/" + name + "/messages?messagettl=60", message("hi")).statusCode());
    HttpResponse<String> unsigned = HTTP.send(HttpRequest.newBuilder(URI.create(endpoint() + "/" + name
        + "?comp=metadata")).header("Authorization", "SharedKeyLite " + GatewayFixture.ACCOUNT + ":AAAA")
        .header("x-ms-date", DateTimeFormatter.RFC_1123_DATE_TIME.format(OffsetDateTime.now(ZoneOffset.UTC)))
        .header("x-ms-version", "2021-02-12").GET().build(), HttpResponse.BodyHandlers.ofString());
    assertError(unsigned, 403, "AuthenticationFailed");
  }

  private static String between(String s, String open, String close) {
    int i = s.indexOf(open);
    assertTrue(i >= 0, s);
    return s.substring(i + open.length(), s.indexOf(close, i));
  }
}
