package io.cobalt.gateway;

import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.UnaryOperator;

/** A gateway on strict in-memory fakes, for endpoint tests; close it when done. */
final class GatewayFixture implements AutoCloseable {
  static final String ACCOUNT = BlobEndpointTest.ACCOUNT;
  static final String KEY = BlobEndpointTest.KEY;
  /** No retries: a refused request must fail at once, visibly. */
  static final RequestRetryOptions NO_RETRY =
      new RequestRetryOptions(RetryPolicyType.FIXED, 1, Duration.ofSeconds(30), null, null, null);

  final ExecutorService backendThreads;
  final GatewayServer server;
  final FakeMetadataClient metadata;
  final FakeKeyClient keys;
  final FakeChunkClient chunks;

  GatewayFixture(UnaryOperator<GatewayConfig> configure) throws Exception {
    this(configure, Clock.systemUTC());
  }

  /** A gateway whose clock (request times, Shared Key's date window, queue decisions) is {@code clock}. */
  GatewayFixture(UnaryOperator<GatewayConfig> configure, Clock clock) throws Exception {
    this(configure, clock, null);
  }

  /**
   * As above; with {@code shared} non-null, this gateway uses another fixture's metadata (two
   * gateways of one cluster, e.g. to see one gateway's caches lag behind another's changes).
   */
  GatewayFixture(UnaryOperator<GatewayConfig> configure, Clock clock, FakeMetadataClient shared) throws Exception {
    backendThreads = Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "fake-backend");
      t.setDaemon(true);
      return t;
    });
    byte[] key2 = new byte[64];
    new SecureRandom().nextBytes(key2);
    GatewayConfig config =
        configure.apply(
            GatewayConfig.withDefaults(
                "127.0.0.1",
                0,
                List.of(new AccountKeys(ACCOUNT, Base64.getDecoder().decode(KEY), key2)),
                List.of(
                    new NodeEndpoint("node-a", "127.0.0.1", 1),
                    new NodeEndpoint("node-b", "127.0.0.1", 2),
                    new NodeEndpoint("node-c", "127.0.0.1", 3)),
                "127.0.0.1",
                4,
                null));
    GatewayServer started;
    metadata = shared != null ? shared : new FakeMetadataClient(backendThreads);
    keys = new FakeKeyClient(new SecureRandom(), backendThreads);
    chunks = new FakeChunkClient(backendThreads);
    try {
      started =
          GatewayServer.start(
              config,
              new Backends(
                  chunks,
                  metadata,
                  keys),
              clock,
              new SecureRandom());
    } catch (Exception e) {
      backendThreads.shutdownNow();
      throw e;
    }
    server = started;
  }

  String httpEndpoint() {
    return "http://127.0.0.1:" + server.blobPort() + "/" + ACCOUNT;
  }

  /** The SDK with the account key, over plain HTTP. */
  BlobServiceClient keyClient() {
    return new BlobServiceClientBuilder()
        .connectionString(
            "DefaultEndpointsProtocol=http;AccountName=" + ACCOUNT + ";AccountKey=" + KEY
                + ";BlobEndpoint=" + httpEndpoint() + ";")
        .retryOptions(NO_RETRY)
        .buildClient();
  }

  /** The SDK with only a SAS token, over plain HTTP. */
  BlobServiceClient sasClient(String sas) {
    return new BlobServiceClientBuilder().endpoint(httpEndpoint()).sasToken(sas).retryOptions(NO_RETRY).buildClient();
  }

  @Override
  public void close() {
    server.close();
    backendThreads.shutdownNow();
  }
}
