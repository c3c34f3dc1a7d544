package io.cobalt.kms;

import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.kms.api.CallerIdentityInterceptor;
import io.cobalt.kms.api.KeyAdminRpcService;
import io.cobalt.kms.api.KeyAgentRpcService;
import io.cobalt.kms.api.KeyEventsRpcService;
import io.cobalt.kms.audit.AuditLog;
import io.cobalt.kms.backend.kmip.KmipKeyBackend;
import io.cobalt.kms.backend.local.MasterKey;
import io.cobalt.kms.backend.local.SealedKeystore;
import io.cobalt.kms.backend.pkcs11.Pkcs11KeyBackend;
import io.cobalt.kms.keys.CallerContext;
import io.cobalt.kms.keys.DataKeyService;
import io.cobalt.kms.lifecycle.DekCensus;
import io.cobalt.kms.keys.KeyBackend;
import io.cobalt.kms.keys.KeyOperationException;
import io.cobalt.kms.keys.KeySourceResolver;
import io.cobalt.kms.keys.KeyVersion;
import io.cobalt.kms.lifecycle.ImportKeyPair;
import io.cobalt.kms.lifecycle.KeyBackendRouter;
import io.cobalt.kms.lifecycle.KeyCatalog;
import io.cobalt.kms.lifecycle.KeyChange;
import io.cobalt.kms.lifecycle.KeyChangeFeed;
import io.cobalt.kms.lifecycle.KeyLifecycleService;
import io.cobalt.kms.policy.CallerPolicy;
import io.cobalt.kms.tls.ReloadingTlsMaterial;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptors;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running kms-agent: the KeyAgent gRPC service over mTLS on {@code bindHost:port}, backed by the
 * sealed keystore and the audit log in {@code dataDir}. {@link #close()} stops it and wipes keys.
 *
 * <p>Threads: gRPC calls (including their keystore and audit fsyncs) run on a bounded pool named
 * {@code kms-agent-rpc-N} ({@value #RPC_THREADS} threads, queue {@value #RPC_QUEUE}); Netty's event
 * loops only do I/O. Keystore writes and audit appends are each serialized. KeyEvents heartbeats run
 * on their own thread {@code kms-agent-key-events-1}.
 */
public final class KmsAgentServer implements AutoCloseable {
  static final String AUDIT_FILE = "audit.log";
  static final String LOCK_FILE = "kms-agent.lock";
  static final int RPC_THREADS = 4;
  static final int RPC_QUEUE = 1024;
  /** Requests are a few hundred bytes; anything larger is refused by gRPC. */
  static final int MAX_REQUEST_BYTES = 64 * 1024;
  static final int MAX_CONCURRENT_CALLS_PER_CONNECTION = 256;
  static final long HANDSHAKE_TIMEOUT_SECONDS = 10;
  /** KeyEvents heartbeat interval; a gateway treats its stream as broken after a few missed beats. */
  public static final long KEY_EVENT_HEARTBEAT_MILLIS = 1000;
  /** KeyEvents streams open at once (one per gateway; a bound, not a target). */
  static final int MAX_KEY_EVENT_SUBSCRIBERS = 256;
  private static final Logger LOG = LoggerFactory.getLogger(KmsAgentServer.class);

  private final Server server;
  private final ThreadPoolExecutor executor;
  private final AuditLog audit;
  private final Deque<AutoCloseable> backends;
  private final DataKeyService keys;
  private final KeyLifecycleService lifecycle;
  private final ReloadingTlsMaterial tls;
  private final ScheduledExecutorService ownScheduler;
  private final List<ScheduledFuture<?>> periodic;
  private final FileChannel lockChannel;
  private final String selfIdentity;
  private final LongSupplier nanoTicker;
  private final KeyChangeFeed changes;
  private final KeyEventsRpcService events;
  private final ScheduledExecutorService eventsScheduler;
  private boolean closed;

  private KmsAgentServer(Server server, ThreadPoolExecutor executor, AuditLog audit, Deque<AutoCloseable> backends,
      DataKeyService keys, KeyLifecycleService lifecycle, ReloadingTlsMaterial tls, ScheduledExecutorService ownScheduler,
      List<ScheduledFuture<?>> periodic, FileChannel lockChannel, String selfIdentity, LongSupplier nanoTicker,
      KeyChangeFeed changes, KeyEventsRpcService events, ScheduledExecutorService eventsScheduler) {
    this.eventsScheduler = eventsScheduler;
    this.changes = changes;
    this.events = events;
    this.server = server;
    this.executor = executor;
    this.audit = audit;
    this.backends = backends;
    this.keys = keys;
    this.lifecycle = lifecycle;
    this.tls = tls;
    this.ownScheduler = ownScheduler;
    this.periodic = periodic;
    this.lockChannel = lockChannel;
    this.selfIdentity = selfIdentity;
    this.nanoTicker = nanoTicker;
  }

  public static KmsAgentServer start(KmsAgentConfig config) throws IOException {
    return start(config, Clock.systemUTC(), new SecureRandom(), System::nanoTime, null);
  }

  /** {@link #start(KmsAgentConfig)} with the clock, randomness and ticker given (tests). */
  static KmsAgentServer start(KmsAgentConfig config, Clock clock, SecureRandom random, LongSupplier nanoTicker)
      throws IOException {
    return start(config, clock, random, nanoTicker, null);
  }

  /**
   * {@link #start(KmsAgentConfig)} with the clock, randomness, ticker and scheduler given. The
   * scheduler runs the periodic rotation/purge check and the TLS reload check; null = the agent's
   * own single thread {@code kms-agent-scheduler}. A given scheduler is not shut down by {@link #close()}.
   */
  public static KmsAgentServer start(KmsAgentConfig config, Clock clock, SecureRandom random, LongSupplier nanoTicker,
      ScheduledExecutorService scheduler) throws IOException {
    Deque<AutoCloseable> opened = new ArrayDeque<>();
    try {
      createOwnerOnlyDirectory(config.dataDir());
      FileChannel lockChannel = lockDataDir(config.dataDir());
      opened.push(lockChannel);
      SealedKeystore keystore;
      try (MasterKey masterKey = MasterKey.read(config.masterKeyFile())) {
        keystore = SealedKeystore.open(config.dataDir(), masterKey, random, clock);
      }
      opened.push(keystore);
      byte[] contextKey = keystore.auditContextKey();
      AuditLog audit;
      try {
        audit = AuditLog.open(config.dataDir().resolve(AUDIT_FILE), agentName(config.tls()), contextKey, clock);
      } finally {
        Arrays.fill(contextKey, (byte) 0);
      }
      opened.push(audit);
      Deque<AutoCloseable> backendsOpened = new ArrayDeque<>();
      Map<String, KeyBackend> backends = new LinkedHashMap<>();
      backends.put("local", keystore);
      List<KeyBackendConfig> configured = new ArrayList<>();
      configured.add(config.backend());
      configured.addAll(config.extraBackends());
      for (KeyBackendConfig c : configured) {
        if (c instanceof KeyBackendConfig.Pkcs11 p) {
          Pkcs11KeyBackend b = Pkcs11KeyBackend.open(p.config(), random, clock);
          opened.push(b);
          backendsOpened.push(b);
          backends.put(p.name(), b);
        } else if (c instanceof KeyBackendConfig.Kmip k) {
          KmipKeyBackend b = KmipKeyBackend.open(k.config(), random, clock);
          opened.push(b);
          backendsOpened.push(b);
          backends.put(k.name(), b);
        }
      }
      backendsOpened.push(keystore);
      String selfIdentity = TlsMaterial.identityOf(config.tls().certificate());
      KeyCatalog catalog = KeyCatalog.open(config.dataDir().resolve(KeyCatalog.FILE_NAME));
      KeyBackendRouter router = new KeyBackendRouter(backends, config.backend().name(), catalog);
      DekCensus census = DekCensus.open(config.dataDir().resolve(DekCensus.FILE_NAME), clock);
      DataKeyService keys = new DataKeyService(router, audit, random, nanoTicker, census::generating,
          owner -> catalog.source(owner).filter(src -> !src.serviceManaged())
              .map(src -> new KeySourceResolver.CustomerKeyRef(src.keyId(), src.version())));
      KeyChangeFeed changes = new KeyChangeFeed(clock, MAX_KEY_EVENT_SUBSCRIBERS);
      KeyLifecycleService lifecycle = new KeyLifecycleService(router, catalog,
          new ImportKeyPair(config.dataDir(), keystore, random), audit, clock, nanoTicker, selfIdentity, census,
          changes);
      CallerPolicy policy = CallerPolicy.of(config.effectiveGrants(), audit, nanoTicker);
      policy.bindCustomerKeyOwners(catalog::ownersOf);
      KeyAgentRpcService rpc = new KeyAgentRpcService(policy, keys, lifecycle, nanoTicker);
      KeyAdminRpcService admin = new KeyAdminRpcService(policy, lifecycle, nanoTicker);
      ReloadingTlsMaterial tls = config.tlsFiles() == null ? ReloadingTlsMaterial.fixed(config.tls())
          : ReloadingTlsMaterial.load(config.tlsFiles().dir(), config.tlsFiles().name());

      ThreadPoolExecutor executor = new ThreadPoolExecutor(RPC_THREADS, RPC_THREADS, 60, TimeUnit.SECONDS,
          new ArrayBlockingQueue<>(RPC_QUEUE), namedDaemonThreads("kms-agent-rpc-"));
      executor.allowCoreThreadTimeOut(true);
      opened.push(executor::shutdownNow);
      ScheduledExecutorService ownScheduler = null;
      if (scheduler == null) {
        ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, namedDaemonThreads("kms-agent-scheduler-"));
        s.setRemoveOnCancelPolicy(true);
        ownScheduler = s;
        scheduler = s;
        opened.push(s::shutdownNow);
      }
      // Heartbeats on their own thread: a slow scheduled rotation (a KMIP server timing out) on the
      // shared scheduler must not delay them past the gateways' staleness bound.
      ScheduledThreadPoolExecutor eventsScheduler =
          new ScheduledThreadPoolExecutor(1, namedDaemonThreads("kms-agent-key-events-"));
      eventsScheduler.setRemoveOnCancelPolicy(true);
      opened.push(eventsScheduler::shutdownNow);
      KeyEventsRpcService events =
          new KeyEventsRpcService(policy, changes, eventsScheduler, KEY_EVENT_HEARTBEAT_MILLIS, clock, nanoTicker);
      opened.push(events);
      ServerCredentials creds = TlsServerCredentials.newBuilder()
          .keyManager(tls.keyManager())
          .trustManager(tls.trustManager())
          .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
          .build();
      Server server = NettyServerBuilder.forAddress(new InetSocketAddress(config.bindHost(), config.port()), creds)
          .executor(executor)
          .addService(ServerInterceptors.intercept(rpc, new CallerIdentityInterceptor()))
          .addService(ServerInterceptors.intercept(admin, new CallerIdentityInterceptor()))
          .addService(ServerInterceptors.intercept(events, new CallerIdentityInterceptor()))
          .maxInboundMessageSize(MAX_REQUEST_BYTES)
          .maxInboundMetadataSize(16 * 1024)
          .maxConcurrentCallsPerConnection(MAX_CONCURRENT_CALLS_PER_CONNECTION)
          .handshakeTimeout(HANDSHAKE_TIMEOUT_SECONDS, TimeUnit.SECONDS)
          .build()
          .start();
      opened.push(server::shutdownNow);
      List<ScheduledFuture<?>> periodic = new ArrayList<>();
      periodic.add(scheduler.scheduleWithFixedDelay(() -> runScheduled(lifecycle), config.rotationCheckMillis(),
          config.rotationCheckMillis(), TimeUnit.MILLISECONDS));
      if (config.tlsFiles() != null) {
        periodic.add(scheduler.scheduleWithFixedDelay(tls::reloadIfChanged, config.tlsReloadCheckMillis(),
            config.tlsReloadCheckMillis(), TimeUnit.MILLISECONDS));
      }
      opened.push(() -> periodic.forEach(f -> f.cancel(false)));
      KmsAgentServer agent = new KmsAgentServer(server, executor, audit, backendsOpened, keys, lifecycle, tls,
          ownScheduler, periodic, lockChannel, selfIdentity, nanoTicker, changes, events, eventsScheduler);
      LOG.info("kms-agent listening on {}:{} (mTLS, {} grants, backends {} (new keys: {}), data in {})",
          config.bindHost(), server.getPort(), config.effectiveGrants().size(), backends.keySet(),
          config.backend().name(), config.dataDir());
      return agent;
    } catch (IOException | RuntimeException e) {
      closeAll(opened);
      throw e;
    }
  }

  /** The port the agent listens on (the chosen one when the config said 0). */
  public int port() {
    return server.getPort();
  }

  /** Adds a version to {@code keyId} (the RotateKey RPC does the same for operators). Audited as the agent itself. */
  KeyVersion rotate(String keyId) throws KeyOperationException {
    KeyVersion v = keys.rotate(new CallerContext(selfIdentity, null, nanoTicker.getAsLong()), keyId);
    changes.publish(KeyChange.Kind.ROTATED, keyId, v.version());
    return v;
  }

  /** KeyEvents streams open now (tests). */
  int keyEventSubscribers() {
    return events.subscribers();
  }

  /** Rotations and purges that are due now (the scheduler calls this; tests may too). Returns how many. */
  public int runScheduledWork() {
    return lifecycle.runScheduledWork();
  }

  /** Reloads the TLS material from its files if they changed; true if new connections now get new material. */
  public boolean reloadTls() {
    return tls.reloadIfChanged();
  }

  private static void runScheduled(KeyLifecycleService lifecycle) {
    try {
      lifecycle.runScheduledWork();
    } catch (RuntimeException e) {
      LOG.error("scheduled key work failed", e);
    }
  }

  Path auditFile() {
    return audit.file();
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    periodic.forEach(f -> f.cancel(false));
    events.close();
    eventsScheduler.shutdownNow();
    if (ownScheduler != null) {
      ownScheduler.shutdownNow();
    }
    server.shutdown();
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        server.shutdownNow();
        server.awaitTermination(2, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
    executor.shutdown();
    try {
      if (!executor.awaitTermination(2, TimeUnit.SECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      executor.shutdownNow();
      Thread.currentThread().interrupt();
    }
    Deque<AutoCloseable> rest = new ArrayDeque<>();
    rest.push(lockChannel);
    for (AutoCloseable b : backends) {
      rest.push(b);
    }
    rest.push(audit);
    closeAll(rest);
    LOG.info("kms-agent stopped");
  }

  private static FileChannel lockDataDir(Path dataDir) throws IOException {
    FileChannel ch = FileChannel.open(dataDir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    try {
      FileLock lock = ch.tryLock();
      if (lock == null) {
        throw new IOException("another kms-agent is using " + dataDir);
      }
      return ch;
    } catch (OverlappingFileLockException e) {
      ch.close();
      throw new IOException("another kms-agent in this process is using " + dataDir);
    } catch (IOException e) {
      ch.close();
      throw e;
    }
  }

  private static void createOwnerOnlyDirectory(Path dir) throws IOException {
    if (Files.isDirectory(dir)) {
      return;
    }
    Files.createDirectories(dir);
    try {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system
    }
  }

  private static String agentName(TlsMaterial tls) {
    try {
      for (Rdn rdn : new LdapName(tls.certificate().getSubjectX500Principal().getName()).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          return String.valueOf(rdn.getValue());
        }
      }
    } catch (InvalidNameException e) {
      // fall through
    }
    return "kms-agent";
  }

  private static ThreadFactory namedDaemonThreads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  private static void closeAll(Deque<AutoCloseable> resources) {
    while (!resources.isEmpty()) {
      AutoCloseable r = resources.pop();
      try {
        r.close();
      } catch (Exception e) {
        LOG.warn("closing {} failed: {}", r, e.toString());
      }
    }
  }

  @Override
  public String toString() {
    return "KmsAgentServer[port " + port() + "]";
  }
}
