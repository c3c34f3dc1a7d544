package io.cobalt.gateway;

import io.cobalt.crypto.chunk.CipherWarmup;
import io.cobalt.gateway.auth.RequestAuthenticator;
import io.cobalt.gateway.authz.Authorizer;
import io.cobalt.gateway.authz.BlobAction;
import io.cobalt.gateway.blob.BlobOperations;
import io.cobalt.gateway.blob.ContainerAccess;
import io.cobalt.gateway.blob.CopySourceAccess;
import io.cobalt.gateway.blob.BlobServices;
import io.cobalt.gateway.encryption.BlobCipher;
import io.cobalt.gateway.encryption.CachingKeyClient;
import io.cobalt.gateway.encryption.KeyEventSubscription;
import io.cobalt.gateway.encryption.KeyAgentClient;
import io.cobalt.gateway.encryption.EntityCipher;
import io.cobalt.gateway.encryption.MessageCipher;
import io.cobalt.gateway.queue.QueueOperations;
import io.cobalt.gateway.queue.QueueServices;
import io.cobalt.gateway.auth.SharedKeyAuthenticator;
import io.cobalt.gateway.auth.TableQueueSasAuthenticator;
import io.cobalt.gateway.http.AccountKeyPipeline;
import io.cobalt.gateway.http.AzureRequest;
import io.cobalt.gateway.http.RequestPipeline;
import io.cobalt.gateway.table.TableOperations;
import io.cobalt.gateway.table.TableServices;
import io.cobalt.gateway.nodeclient.GrpcChunkClient;
import io.cobalt.gateway.nodeclient.GrpcMetadataClient;
import io.cobalt.gateway.nodeclient.NodeChannels;
import io.cobalt.gateway.nodeclient.ReplicatedChunkStore;
import io.cobalt.gateway.placement.MetadataRouter;
import io.cobalt.gateway.placement.PlacementView;
import io.cobalt.gateway.placement.RendezvousPlacement;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.PemKeyCertOptions;
import java.util.LinkedHashSet;
import javax.net.ssl.KeyManager;
import javax.net.ssl.X509KeyManager;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway process's endpoints: Vert.x HTTP and/or HTTPS servers (their own Vert.x instance,
 * two event loops) speaking the Azure Blob REST API path-style through one {@link RequestPipeline},
 * and, when configured, the Table and Queue endpoints on their own ports through theirs; with a
 * bounded, named crypto worker pool.
 */
public final class GatewayServer implements AutoCloseable {
  /**
   * The Table endpoint's error body: OData JSON, but XML for the service-level operations on the
   * account URL ({@code ?restype=service&comp=properties}) and CORS preflights, as Azure's Table
   * service answers those (the SDK reads those errors as XML).
   */
  private static void endTableEndpointError(AzureRequest r, io.cobalt.gateway.http.AzureException e) {
    boolean accountLevel = r.path().container() == null && r.queryParam("restype") != null;
    if (accountLevel || r.method() == io.vertx.core.http.HttpMethod.OPTIONS) {
      r.endError(e);
    } else {
      r.endTableError(e);
    }
  }

  private static final Logger LOG = LoggerFactory.getLogger(GatewayServer.class);
  /** Crypto worker threads: sealing and opening chunks is CPU-bound. */
  static final int CRYPTO_THREADS = Math.max(2, Runtime.getRuntime().availableProcessors());
  /** Requests handled at once; beyond, 503 ServerBusy. Bounds memory (≤ ~20 MiB per upload). */
  static final int MAX_CONCURRENT_REQUESTS = 64;
  static final int MAX_IN_FLIGHT_CHUNKS_PER_REQUEST = 2;
  /** How often the gateway asks the nodes for the placement map (also after a failed call to a voter). */
  static final long PLACEMENT_REFRESH_MILLIS = 10_000;
  /**
   * Request headers in total. Azure allows 8 KiB of user metadata, which must reach the handler to
   * be answered 400 MetadataTooLarge (not cut off by the HTTP layer); 64 KiB leaves room for that,
   * the signing headers and generous values. Beyond it the HTTP server refuses the request (431
   * Request Header Fields Too Large) and closes the connection. Per connection, only while headers
   * are read: 64 requests in flight cost at most 4 MiB of header buffers.
   */
  static final int MAX_REQUEST_HEADER_BYTES = 64 * 1024;

  private final Vertx vertx;
  private final WorkerExecutor cryptoPool;
  private final HttpServer http;
  private final HttpServer https;
  private final HttpServer table;
  private final HttpServer queue;
  private final Backends backends;

  private GatewayServer(Vertx vertx, WorkerExecutor cryptoPool, HttpServer http, HttpServer https, HttpServer table,
      HttpServer queue, Backends backends) {
    this.vertx = vertx;
    this.cryptoPool = cryptoPool;
    this.http = http;
    this.https = https;
    this.table = table;
    this.queue = queue;
    this.backends = backends;
  }

  /**
   * Starts with gRPC (mTLS) clients to the nodes and the kms-agent from {@code config}: data keys go
   * through a {@link CachingKeyClient} kept fresh by the agent's key event stream (one
   * {@link KeyEventSubscription}, on the thread {@code cobalt-key-events}).
   */
  public static GatewayServer start(GatewayConfig config) throws Exception {
    Objects.requireNonNull(config.tls(), "config.tls is required for the gRPC backends");
    NodeChannels channels = new NodeChannels(config.nodes(), config.tls());
    KeyAgentClient agent = new KeyAgentClient(config.kmsHost(), config.kmsPort(), config.tls());
    CachingKeyClient keys = new CachingKeyClient(agent, config.keyCache(), System::nanoTime);
    ScheduledThreadPoolExecutor keyEvents = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "cobalt-key-events");
      t.setDaemon(true);
      return t;
    });
    keyEvents.setRemoveOnCancelPolicy(true);
    KeyEventSubscription subscription = new KeyEventSubscription(agent, "gateway " + config.bindHost(), keys,
        keyEvents, System::nanoTime, new SecureRandom());
    Backends backends =
        new Backends(
            new GrpcChunkClient(channels),
            new GrpcMetadataClient(channels),
            keys,
            () -> {
              subscription.close();
              keyEvents.shutdownNow();
              keys.close();
              agent.close();
              channels.close();
            });
    try {
      return start(config, backends);
    } catch (Exception e) {
      backends.onClose().close();
      throw e;
    }
  }

  /** Starts with the given backends (tests inject fakes). */
  public static GatewayServer start(GatewayConfig config, Backends backends) throws Exception {
    return start(config, backends, Clock.systemUTC(), new SecureRandom());
  }

  /** As {@link #start(GatewayConfig, Backends)} with an injected clock and randomness. */
  public static GatewayServer start(GatewayConfig config, Backends backends, Clock clock, SecureRandom random)
      throws Exception {
    CipherWarmup.run();
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2).setWorkerPoolSize(4));
    WorkerExecutor cryptoPool =
        vertx.createSharedWorkerExecutor("cobalt-gateway-crypto", CRYPTO_THREADS, 60, TimeUnit.SECONDS);
    try {
      List<String> nodeIds = config.nodes().stream().map(NodeEndpoint::nodeId).toList();
      RendezvousPlacement placement =
          new RendezvousPlacement(nodeIds, config.partitions(), config.replicationFactor());
      // Partition voters come from the nodes' placement map (ADR 0021), rendezvous until it arrives.
      PlacementView placementView = new PlacementView(placement, backends.metadata(), nodeIds);
      placementView.refresh();
      vertx.setPeriodic(PLACEMENT_REFRESH_MILLIS, id -> placementView.refresh());
      BlobServices services =
          new BlobServices(
              new MetadataRouter(placement, backends.metadata(), placementView),
              // Chunk placement leaves out the nodes the map retired (ADR 0028); a failed chunk
              // call may mean a node was retired, so it refreshes the map (at most one at a time).
              new ReplicatedChunkStore(placement, placementView::retiredNodes, placementView::refresh,
                  backends.chunks(), config.writeQuorum(),
                  config.accounts().stream().filter(AccountKeys::requireInfrastructureEncryption)
                      .map(AccountKeys::account).collect(java.util.stream.Collectors.toSet())),
              backends.keys(),
              new BlobCipher(cryptoPool, random),
              clock,
              random,
              config.maxPutBlobBytes(),
              MAX_IN_FLIGHT_CHUNKS_PER_REQUEST);
      // Container ACLs: stored access policies (SAS si) and public access, cached briefly (ADR 0015).
      ContainerAccess containerAccess = new ContainerAccess(services.metadata(), clock);
      RequestAuthenticator authenticator = new RequestAuthenticator(config.accounts(), clock, containerAccess);
      Authorizer authorizer = new Authorizer(containerAccess);
      // A copy's source is authenticated and authorized as its own read would be (ADR 0019).
      CopySourceAccess copySources = (destination, source, sharedKey) ->
          authenticator.authenticateCopySource(source, destination.grant().principal(), sharedKey)
              .compose(principal -> authorizer.authorize(principal, BlobAction.READ_BLOB, source))
              .mapEmpty();
      RequestPipeline pipeline =
          new RequestPipeline(
              authenticator,
              authorizer,
              new BlobOperations(services, containerAccess, copySources),
              clock,
              random,
              MAX_CONCURRENT_REQUESTS);
      HttpServer http = null;
      HttpServer https = null;
      HttpServer table = null;
      HttpServer queue = null;
      if (config.httpEnabled()) {
        http = vertx.createHttpServer(baseOptions(config).setPort(config.blobPort())).requestHandler(pipeline::handle);
        http.listen().await(30, TimeUnit.SECONDS);
        LOG.info("Blob endpoint listening on http://{}:{}", config.bindHost(), http.actualPort());
      }
      if (config.https() != null) {
        https = vertx.createHttpServer(httpsOptions(config)).requestHandler(pipeline::handle);
        https.listen().await(30, TimeUnit.SECONDS);
        LOG.info("Blob endpoint listening on https://{}:{}", config.bindHost(), https.actualPort());
      }
      if (config.tablePort() >= 0) {
        MetadataRouter router = new MetadataRouter(placement, backends.metadata(), placementView);
        TableOperations operations = new TableOperations(new TableServices(
            router, backends.keys(), new EntityCipher(random), cryptoPool, clock, random));
        AccountKeyPipeline tables = new AccountKeyPipeline(
            config.accounts(),
            new AccountKeyPipeline.Service("Table", SharedKeyAuthenticator::authenticateTable,
                r -> operations.route(r).handle(r), EntityCipher.EntityAuthenticationException.class,
                GatewayServer::endTableEndpointError, TableQueueSasAuthenticator.Service.TABLE, operations::storedPolicy,
                operations.cors()),
            clock,
            random,
            MAX_CONCURRENT_REQUESTS);
        table = vertx.createHttpServer(baseOptions(config).setPort(config.tablePort())).requestHandler(tables::handle);
        table.listen().await(30, TimeUnit.SECONDS);
        LOG.info("Table endpoint listening on http://{}:{}", config.bindHost(), table.actualPort());
      }
      if (config.queuePort() >= 0) {
        QueueOperations operations = new QueueOperations(new QueueServices(
            new MetadataRouter(placement, backends.metadata(), placementView), backends.keys(),
            new MessageCipher(random), cryptoPool, clock, random));
        AccountKeyPipeline queues = new AccountKeyPipeline(
            config.accounts(),
            new AccountKeyPipeline.Service("Queue", SharedKeyAuthenticator::authenticate,
                r -> operations.route(r).handle(r), MessageCipher.MessageAuthenticationException.class,
                AzureRequest::endError, TableQueueSasAuthenticator.Service.QUEUE, operations::storedPolicy,
                operations.cors()),
            clock,
            random,
            MAX_CONCURRENT_REQUESTS);
        queue = vertx.createHttpServer(baseOptions(config).setPort(config.queuePort())).requestHandler(queues::handle);
        queue.listen().await(30, TimeUnit.SECONDS);
        LOG.info("Queue endpoint listening on http://{}:{}", config.bindHost(), queue.actualPort());
      }
      return new GatewayServer(vertx, cryptoPool, http, https, table, queue, backends);
    } catch (Exception e) {
      cryptoPool.close();
      vertx.close().await(10, TimeUnit.SECONDS);
      throw e;
    }
  }

  private static HttpServerOptions baseOptions(GatewayConfig config) {
    return new HttpServerOptions()
        .setHost(config.bindHost())
        .setIdleTimeout(120)
        .setIdleTimeoutUnit(TimeUnit.SECONDS)
        .setMaxHeaderSize(MAX_REQUEST_HEADER_BYTES)
        .setMaxInitialLineLength(8 * 1024)
        .setCompressionSupported(false)
        .setDecompressionSupported(false);
  }

  /** TLS 1.2/1.3 only, forward-secret suites only (see {@link GatewayHttpsConfig}). */
  private static HttpServerOptions httpsOptions(GatewayConfig config) {
    GatewayHttpsConfig tls = config.https();
    KeyCertOptions keyCert;
    if (tls.clusterCertificate() != null) {
      X509KeyManager km = null;
      for (KeyManager k : tls.clusterCertificate().keyManagers()) {
        if (k instanceof X509KeyManager x) {
          km = x;
        }
      }
      if (km == null) {
        throw new IllegalStateException("the cluster certificate yields no X.509 key manager");
      }
      keyCert = KeyCertOptions.wrap(km);
    } else {
      keyCert =
          new PemKeyCertOptions()
              .setCertPath(tls.certificatePem().toString())
              .setKeyPath(tls.privateKeyPem().toString());
    }
    HttpServerOptions o =
        baseOptions(config)
            .setPort(tls.httpsPort())
            .setSsl(true)
            .setKeyCertOptions(keyCert)
            .setEnabledSecureTransportProtocols(new LinkedHashSet<>(GatewayHttpsConfig.PROTOCOLS))
            .setSslHandshakeTimeout(10)
            .setSslHandshakeTimeoutUnit(TimeUnit.SECONDS);
    for (String suite : GatewayHttpsConfig.CIPHER_SUITES) {
      o.addEnabledCipherSuite(suite);
    }
    return o;
  }

  /** The DEK cache's counters, or null when the gateway's key client is not a {@link CachingKeyClient}. */
  public CachingKeyClient.Stats keyCacheStats() {
    return backends.keys() instanceof CachingKeyClient c ? c.stats() : null;
  }

  /** The plain-HTTP Blob endpoint's actual port, or -1 when HTTP is turned off. */
  public int blobPort() {
    return http == null ? -1 : http.actualPort();
  }

  /** The HTTPS Blob endpoint's actual port, or -1 when HTTPS is not configured. */
  public int httpsPort() {
    return https == null ? -1 : https.actualPort();
  }

  /** The plain-HTTP Table endpoint's actual port, or -1 when it is not served. */
  public int tablePort() {
    return table == null ? -1 : table.actualPort();
  }

  /** The plain-HTTP Queue endpoint's actual port, or -1 when it is not served. */
  public int queuePort() {
    return queue == null ? -1 : queue.actualPort();
  }

  @Override
  public void close() {
    for (HttpServer server : new HttpServer[] {http, https, table, queue}) {
      if (server == null) {
        continue;
      }
      try {
        server.close().await(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        LOG.warn("closing the HTTP server: {}", e.toString());
      }
    }
    try {
      cryptoPool.close().await(10, TimeUnit.SECONDS);
      vertx.close().await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("closing Vert.x: {}", e.toString());
    }
    try {
      backends.onClose().close();
    } catch (Exception e) {
      LOG.warn("closing the backends: {}", e.toString());
    }
  }
}
