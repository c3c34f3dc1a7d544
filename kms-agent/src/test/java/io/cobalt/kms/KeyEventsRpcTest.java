package io.cobalt.kms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cobalt.crypto.tls.ClusterCa;
import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.kms.policy.CallerGrant;
import io.cobalt.proto.kms.v1.CreateKeyRequest;
import io.cobalt.proto.kms.v1.KeyEvent;
import io.cobalt.proto.kms.v1.KeyEventKind;
import io.cobalt.proto.kms.v1.KeyEventSubscribeRequest;
import io.cobalt.proto.kms.v1.RecoverKeyRequest;
import io.cobalt.proto.kms.v1.RotateKeyRequest;
import io.cobalt.proto.kms.v1.ScheduleKeyDeletionRequest;
import io.cobalt.proto.kms.v1.SetKeyVersionStateRequest;
import io.cobalt.proto.kms.v1.SetMinimumDecryptionVersionRequest;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The KeyEvents stream of a real agent over mTLS: what a gateway's DEK cache is told, and when. */
class KeyEventsRpcTest {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static TlsMaterial agentTls;
  private static TlsMaterial gatewayTls;
  private static TlsMaterial appTls;
  private static TlsMaterial adminTls;
  private static TlsMaterial strangerTls;

  @TempDir Path dir;
  private KmsAgentServer agent;
  private AgentClient gateway;
  private AgentClient app;
  private AgentClient admin;
  private AgentClient stranger;

  @BeforeAll
  static void certificates() {
    ClusterCa ca = ClusterCa.create("test", RANDOM);
    agentTls = TlsMaterial.of(ca.issue("kms-agent", List.of("localhost"), List.of("127.0.0.1")));
    gatewayTls = TlsMaterial.of(ca.issue("gateway", List.of("localhost"), List.of("127.0.0.1")));
    appTls = TlsMaterial.of(ca.issue("app", List.of("localhost"), List.of("127.0.0.1")));
    adminTls = TlsMaterial.of(ca.issue("admin", List.of("localhost"), List.of("127.0.0.1")));
    strangerTls = TlsMaterial.of(ca.issue("stranger", List.of("localhost"), List.of("127.0.0.1")));
  }

  private KmsAgentConfig config() throws IOException {
    Path masterKey = dir.resolve("secrets/master.key");
    MasterKeyFile.createIfAbsent(masterKey, RANDOM);
    return new KmsAgentConfig(dir.resolve("kms"), masterKey, "127.0.0.1", 0, agentTls,
        Set.of(TlsMaterial.identityOf(gatewayTls.certificate())))
        .withGrants(List.of(
            CallerGrant.dataPath("app", TlsMaterial.identityOf(appTls.certificate()), List.of("cmk/*")),
            CallerGrant.admin("admin", TlsMaterial.identityOf(adminTls.certificate()), List.of("*"))));
  }

  @BeforeEach
  void start() throws IOException {
    agent = KmsAgentServer.start(config(), new FakeClock(Instant.parse("2030-01-01T00:00:00Z")), RANDOM,
        System::nanoTime);
    gateway = new AgentClient(agent.port(), gatewayTls);
    app = new AgentClient(agent.port(), appTls);
    admin = new AgentClient(agent.port(), adminTls);
    stranger = new AgentClient(agent.port(), strangerTls);
  }

  @AfterEach
  void stop() {
    for (AgentClient c : new AgentClient[] {gateway, app, admin, stranger}) {
      c.close();
    }
    agent.close();
  }

  /** Collects one stream's events and its end. */
  private static final class Recorder implements StreamObserver<KeyEvent> {
    final BlockingQueue<KeyEvent> events = new LinkedBlockingQueue<>();
    final BlockingQueue<Status> end = new LinkedBlockingQueue<>();

    static Recorder subscribe(AgentClient client) {
      Recorder r = new Recorder();
      client.events().subscribe(KeyEventSubscribeRequest.newBuilder().setSubscriber("test").build(), r);
      return r;
    }

    @Override
    public void onNext(KeyEvent e) {
      events.add(e);
    }

    @Override
    public void onError(Throwable t) {
      end.add(Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
      end.add(Status.OK);
    }

    /** The next event that is not a heartbeat. */
    KeyEvent next() throws InterruptedException {
      while (true) {
        KeyEvent e = events.poll(10, TimeUnit.SECONDS);
        assertNotNull(e, "no key event within 10 s");
        if (e.getKind() != KeyEventKind.KEY_EVENT_HEARTBEAT) {
          return e;
        }
      }
    }

    void expectChange(KeyEventKind kind, String keyId, int version) throws InterruptedException {
      KeyEvent e = next();
      assertEquals(kind, e.getKind(), e.toString());
      assertEquals(keyId, e.getKeyId(), e.toString());
      assertEquals(version, e.getKeyVersion(), e.toString());
    }
  }

  private void awaitSubscribers(int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (agent.keyEventSubscribers() != n && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(n, agent.keyEventSubscribers());
  }

  @Test
  void subscriberHearsResyncThenEveryStateChangeOfTheKeysItMayUse() throws Exception {
    Recorder gw = Recorder.subscribe(gateway);
    Recorder ap = Recorder.subscribe(app);
    KeyEvent first = gw.next();
    assertEquals(KeyEventKind.KEY_EVENT_RESYNC, first.getKind());
    assertEquals(KmsAgentServer.KEY_EVENT_HEARTBEAT_MILLIS, first.getHeartbeatMillis());
    assertEquals(KeyEventKind.KEY_EVENT_RESYNC, ap.next().getKind());
    awaitSubscribers(2);

    String key = "account/acct1";
    admin.admin().createKey(CreateKeyRequest.newBuilder().setKeyId(key).build());
    admin.admin().rotateKey(RotateKeyRequest.newBuilder().setKeyId(key).build());
    gw.expectChange(KeyEventKind.KEY_EVENT_ROTATED, key, 0);
    admin.admin().setKeyVersionState(SetKeyVersionStateRequest.newBuilder().setKeyId(key).setVersion(1).build());
    gw.expectChange(KeyEventKind.KEY_EVENT_DISABLED, key, 1);
    admin.admin().setKeyVersionState(
        SetKeyVersionStateRequest.newBuilder().setKeyId(key).setVersion(1).setEnabled(true).build());
    gw.expectChange(KeyEventKind.KEY_EVENT_ENABLED, key, 1);
    admin.admin().setMinimumDecryptionVersion(
        SetMinimumDecryptionVersionRequest.newBuilder().setKeyId(key).setVersion(2).build());
    gw.expectChange(KeyEventKind.KEY_EVENT_MIN_VERSION_CHANGED, key, 2);
    admin.admin().scheduleKeyDeletion(ScheduleKeyDeletionRequest.newBuilder().setKeyId(key).setRetentionDays(7).build());
    gw.expectChange(KeyEventKind.KEY_EVENT_DELETED, key, 0);
    admin.admin().recoverKey(RecoverKeyRequest.newBuilder().setKeyId(key).build());
    gw.expectChange(KeyEventKind.KEY_EVENT_RECOVERED, key, 0);
    agent.rotate(key);
    gw.expectChange(KeyEventKind.KEY_EVENT_ROTATED, key, 3);

    // A customer key: only the caller whose grant covers it hears of it.
    admin.admin().createKey(CreateKeyRequest.newBuilder().setKeyId("cmk/team").build());
    admin.admin().setKeyVersionState(SetKeyVersionStateRequest.newBuilder().setKeyId("cmk/team").setVersion(1).build());
    ap.expectChange(KeyEventKind.KEY_EVENT_DISABLED, "cmk/team", 1);
    admin.admin().rotateKey(RotateKeyRequest.newBuilder().setKeyId(key).build());
    gw.expectChange(KeyEventKind.KEY_EVENT_ROTATED, key, 0);
    for (KeyEvent e : gw.events) {
      assertTrue(e.getKind() == KeyEventKind.KEY_EVENT_HEARTBEAT, "the gateway heard of a key it may not use: " + e);
    }
  }

  @Test
  void aQuietStreamCarriesHeartbeats() throws Exception {
    Recorder gw = Recorder.subscribe(gateway);
    assertEquals(KeyEventKind.KEY_EVENT_RESYNC, gw.next().getKind());
    long start = System.nanoTime();
    KeyEvent beat = gw.events.poll(KmsAgentServer.KEY_EVENT_HEARTBEAT_MILLIS * 5, TimeUnit.MILLISECONDS);
    assertNotNull(beat, "no heartbeat within five intervals");
    assertEquals(KeyEventKind.KEY_EVENT_HEARTBEAT, beat.getKind());
    System.out.printf("KeyEventsRpcTest: first heartbeat after %.0f ms%n", (System.nanoTime() - start) / 1e6);
  }

  @Test
  void callerWithoutAnyGrantIsDenied() throws Exception {
    Recorder r = Recorder.subscribe(stranger);
    Status s = r.end.poll(10, TimeUnit.SECONDS);
    assertNotNull(s);
    assertEquals(Status.Code.PERMISSION_DENIED, s.getCode());
    assertTrue(r.events.isEmpty());
  }

  @Test
  void stoppingTheAgentEndsStreamsAsUnavailable() throws Exception {
    Recorder gw = Recorder.subscribe(gateway);
    assertEquals(KeyEventKind.KEY_EVENT_RESYNC, gw.next().getKind());
    awaitSubscribers(1);
    agent.close();
    Status s = gw.end.poll(10, TimeUnit.SECONDS);
    assertNotNull(s, "the stream did not end when the agent stopped");
    assertEquals(Status.Code.UNAVAILABLE, s.getCode());
  }

  @Test
  void aCancelledStreamIsForgotten() throws Exception {
    Recorder gw = Recorder.subscribe(gateway);
    assertEquals(KeyEventKind.KEY_EVENT_RESYNC, gw.next().getKind());
    awaitSubscribers(1);
    gateway.close();
    awaitSubscribers(0);
  }
}
