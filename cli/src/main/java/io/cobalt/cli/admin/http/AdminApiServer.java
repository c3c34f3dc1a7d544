package io.cobalt.cli.admin.http;

import io.cobalt.cli.admin.rewrap.RewrapJob;
import io.cobalt.cli.admin.http.authz.AdminGrant;
import io.cobalt.cli.admin.http.authz.AdminOperation;
import io.cobalt.cli.admin.http.authz.ReloadingAdminPolicy;
import io.cobalt.cli.admin.rpc.AgentRewrapKeys;
import io.cobalt.cli.admin.rpc.KeyAdminClient;
import io.cobalt.cli.admin.rpc.KeyAdminException;
import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.kms.audit.AuditLogVerifier;
import io.cobalt.proto.kms.v1.GetImportKeyResponse;
import io.cobalt.proto.kms.v1.GetKeyResponse;
import io.cobalt.proto.kms.v1.KeySourceSetRequest;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.TrustOptions;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.cert.Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509KeyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTPS admin API (ADR 0033): JSON over TLS 1.2/1.3 with forward-secret suites; every caller
 * presents a client certificate of the cluster CA, and its identity (hex SHA-256 of the certificate's
 * SubjectPublicKeyInfo, as the kms-agent names callers) must have a grant in the admin policy
 * (ADR 0041: operations and key patterns per identity, deny by default, reloaded without a restart)
 * that allows what the request does. The server is a client of the kms-agent's {@code KeyAdmin} API under its own identity, and of the
 * storage nodes for rewrap jobs ({@link RewrapJobs}).
 *
 * <p>The request pipeline is {@link #handle}: request id, caller identity, its grant, route, body
 * (limited), the permissions the request needs of the grant, then the blocking call on a worker thread ({@code admin-api-N}, never the event loop), then one
 * JSON answer and one log line (method, route template, status, caller identity prefix; never a
 * body, key material or a key id).
 */
public final class AdminApiServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AdminApiServer.class);
  /** Same protocol and suite policy as the gateway's HTTPS endpoint (GatewayHttpsConfig): TLS 1.2/1.3, ECDHE + AEAD. */
  static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");
  static final List<String> CIPHER_SUITES = List.of(
      "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
      "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
      "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
      "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");
  private static final Pattern ACCOUNT = Pattern.compile("[a-z0-9]{3,24}");
  private static final Pattern SCOPE = Pattern.compile("[A-Za-z0-9-]{3,63}");
  private static final int MAX_PATH_SEGMENTS = 8;

  private final AdminApiConfig config;
  private final ReloadingAdminPolicy policy;
  private final KeyAdminClient agent;
  private final RewrapJobs jobs;
  private final Vertx vertx;
  private final ThreadPoolExecutor workers;
  private final ScheduledExecutorService policyReloads;
  private HttpServer server;

  private AdminApiServer(AdminApiConfig config, KeyAdminClient agent, RewrapJobs jobs) {
    this.config = config;
    this.policy = config.policy();
    this.agent = agent;
    this.jobs = jobs;
    this.vertx = Vertx.vertx();
    AtomicInteger n = new AtomicInteger();
    this.workers = new ThreadPoolExecutor(config.workerThreads(), config.workerThreads(), 60, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(config.maxQueuedRequests()), r -> {
          Thread t = new Thread(r, "admin-api-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    this.policyReloads = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "admin-api-policy-reload");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Starts the server. {@code agent} and {@code nodes} stay owned by the caller (close them after
   * this server). {@code nodes} null: rewrap jobs answer NOT_CONFIGURED. Unfinished jobs in the jobs
   * directory are resumed.
   */
  public static AdminApiServer start(AdminApiConfig config, KeyAdminClient agent, RewrapJob.Partitions nodes,
      Clock clock) throws IOException {
    RewrapJobs jobs = new RewrapJobs(config.jobsDir(), nodes, new AgentRewrapKeys(agent), clock, config.maxJobs(),
        Duration.ofSeconds(1));
    AdminApiServer s = new AdminApiServer(config, agent, jobs);
    try {
      s.server = s.vertx.createHttpServer(options(config)).requestHandler(s::handle)
          .listen().await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      s.close();
      throw new IOException("cannot listen on " + config.bindHost() + ":" + config.port() + ": " + e.getMessage(), e);
    }
    if (s.policy.file() != null) {
      // Reads a small file: on its own thread, never the event loop.
      s.policyReloads.scheduleWithFixedDelay(s.policy::reloadIfChanged, config.policyReloadCheckMillis(),
          config.policyReloadCheckMillis(), TimeUnit.MILLISECONDS);
    }
    LOG.info("admin API listening on https://{}:{} ({} grants{})", config.bindHost(), s.port(),
        s.policy.current().grants().size(), s.policy.file() == null ? "" : " from " + s.policy.file()
            + ", reloaded when it changes");
    return s;
  }

  private static HttpServerOptions options(AdminApiConfig config) {
    X509KeyManager km = null;
    for (KeyManager k : config.tls().keyManagers()) {
      if (k instanceof X509KeyManager x) {
        km = x;
      }
    }
    TrustManager[] trust = config.tls().trustManagers();
    if (km == null || trust.length != 1) {
      throw new IllegalStateException("the admin API's TLS material yields no X.509 key manager or trust manager");
    }
    HttpServerOptions o = new HttpServerOptions()
        .setHost(config.bindHost()).setPort(config.port())
        .setSsl(true)
        .setKeyCertOptions(KeyCertOptions.wrap(km))
        .setTrustOptions(TrustOptions.wrap(trust[0]))
        .setClientAuth(ClientAuth.REQUIRED)
        .setEnabledSecureTransportProtocols(new LinkedHashSet<>(PROTOCOLS))
        .setSslHandshakeTimeout(30).setSslHandshakeTimeoutUnit(TimeUnit.SECONDS)
        .setIdleTimeout(120).setIdleTimeoutUnit(TimeUnit.SECONDS)
        .setMaxHeaderSize(16 * 1024).setMaxInitialLineLength(8 * 1024)
        .setCompressionSupported(false).setDecompressionSupported(false);
    for (String suite : CIPHER_SUITES) {
      o.addEnabledCipherSuite(suite);
    }
    return o;
  }

  public int port() {
    return server.actualPort();
  }

  /** Reads the policy file again now (the server also does every {@code policyReloadCheckMillis}); true if it changed. */
  public boolean reloadPolicy() {
    return policy.reloadIfChanged();
  }

  /** An answer: status, JSON body, extra headers. */
  private record Reply(int status, JsonObject body, Map<String, String> headers) {
    static Reply ok(JsonObject body) {
      return new Reply(200, body, Map.of());
    }
  }

  /** A refusal of this API with a code of {@link AdminApiError} or the agent's kind. */
  private static final class ApiFailure extends Exception {
    private static final long serialVersionUID = 1L;
    final int status;
    final String code;
    /** The operation refused (403 answers of the policy), else null. */
    final AdminOperation operation;

    ApiFailure(AdminApiError error, String message) {
      this(error.status, error.name(), message, null);
    }

    ApiFailure(AdminApiError error, String message, AdminOperation operation) {
      this(error.status, error.name(), message, operation);
    }

    ApiFailure(int status, String code, String message) {
      this(status, code, message, null);
    }

    private ApiFailure(int status, String code, String message, AdminOperation operation) {
      super(message, null, false, false);
      this.status = status;
      this.code = code;
      this.operation = operation;
    }
  }

  /** The blocking work of a route, given the body and the caller's grant (to narrow listings to its keys). */
  @FunctionalInterface
  private interface Action {
    Reply run(JsonObject body, AdminGrant grant) throws ApiFailure, KeyAdminException, RewrapJobs.JobException,
        IOException;
  }

  /** One permission a request needs: an operation, on a key or owner key id (null: on the operation alone). */
  private record Need(AdminOperation operation, String key) {}

  /** The permissions a request needs, given its body (some name their key there). */
  @FunctionalInterface
  private interface Needs {
    List<Need> of(JsonObject body) throws ApiFailure;
  }

  /**
   * A route: its template (for the log), its operation (named in a stranger's 403), what it needs
   * of the caller's grant, and its work.
   */
  private record Route(String template, AdminOperation operation, Needs needs, Action action) {
    /** A route that needs {@code operation} on {@code key} (null: on no key). */
    Route(String template, AdminOperation operation, String key, Action action) {
      this(template, operation, b -> List.of(new Need(operation, key)), action);
    }
  }

  /**
   * The pipeline: request id, identity, its grant (none: 403), route, body within the limit, what
   * the request needs of the grant (else 403), blocking work on a worker, answer.
   */
  private void handle(HttpServerRequest req) {
    long start = System.nanoTime();
    String requestId = UUID.randomUUID().toString();
    String caller;
    try {
      caller = identity(req);
    } catch (ApiFailure f) {
      answer(req, requestId, "-", "-", start, error(f, requestId));
      return;
    }
    Optional<AdminGrant> granted = policy.current().grantOf(caller);
    Route route;
    try {
      route = route(req.method(), req.path(), req);
    } catch (ApiFailure f) {
      req.resume();
      // A stranger learns nothing about routes: 403 whatever it asked.
      answer(req, requestId, caller, "-", start, granted.isPresent() ? error(f, requestId)
          : deny(requestId, caller, null, "-", AdminApiError.IDENTITY_NOT_ALLOWED));
      return;
    }
    if (granted.isEmpty()) {
      req.resume();
      answer(req, requestId, caller, route.template(), start,
          deny(requestId, caller, route.operation(), route.template(), AdminApiError.IDENTITY_NOT_ALLOWED));
      return;
    }
    AdminGrant grant = granted.get();
    String declared = req.getHeader("Content-Length");
    if (declared != null && parseLong(declared) > config.maxBodyBytes()) {
      refuseTooLarge(req, requestId, caller, route.template(), start, 0);
      return;
    }
    Context context = vertx.getOrCreateContext();
    Buffer body = Buffer.buffer();
    boolean[] tooLarge = {false};
    req.handler(chunk -> {
      if (tooLarge[0]) {
        return;
      }
      if (body.length() + chunk.length() > config.maxBodyBytes()) {
        tooLarge[0] = true;
        refuseTooLarge(req, requestId, caller, route.template(), start, body.length() + chunk.length());
        return;
      }
      body.appendBuffer(chunk);
    });
    req.endHandler(v -> {
      if (tooLarge[0]) {
        return;
      }
      JsonObject json;
      try {
        json = parse(req, body);
        for (Need need : route.needs().of(json)) {
          if (!grant.allows(need.operation(), need.key())) {
            answer(req, requestId, caller, route.template(), start,
                deny(requestId, caller, need.operation(), route.template(), AdminApiError.OPERATION_NOT_ALLOWED));
            return;
          }
        }
      } catch (ApiFailure f) {
        answer(req, requestId, caller, route.template(), start, error(f, requestId));
        return;
      } catch (ClassCastException e) {
        answer(req, requestId, caller, route.template(), start, error(new ApiFailure(AdminApiError.INVALID_REQUEST,
            "a field of the body has the wrong JSON type"), requestId));
        return;
      }
      try {
        workers.execute(() -> {
          Reply reply = run(route, json, grant, requestId);
          context.runOnContext(x -> answer(req, requestId, caller, route.template(), start, reply));
        });
      } catch (RejectedExecutionException e) {
        answer(req, requestId, caller, route.template(), start, error(new ApiFailure(AdminApiError.SERVER_BUSY,
            AdminApiError.SERVER_BUSY.message), requestId));
      }
    });
  }

  /**
   * 413 for a body over the limit, then the connection is closed once the client has sent what it
   * was sending (read and dropped, at most {@link #DRAIN_LIMIT_BYTES} more, for at most
   * {@link #DRAIN_MILLIS}). Closing while request bytes are still unread makes the kernel reset the
   * connection, and a reset can destroy the 413 before the client reads it (seen as "header parser
   * received no bytes" in a CI run).
   */
  private void refuseTooLarge(HttpServerRequest req, String requestId, String caller, String template, long start,
      long alreadyRead) {
    req.response().putHeader("Connection", "close");
    answer(req, requestId, caller, template, start, error(new ApiFailure(AdminApiError.BODY_TOO_LARGE,
        "request bodies are limited to " + config.maxBodyBytes() + " bytes"), requestId));
    long[] drained = {alreadyRead};
    req.handler(chunk -> {
      drained[0] += chunk.length();
      if (drained[0] > DRAIN_LIMIT_BYTES) {
        req.connection().close();
      }
    });
    req.endHandler(v -> req.connection().close());
    vertx.setTimer(DRAIN_MILLIS, t -> req.connection().close());
    req.resume();
  }

  /** How much of a refused body is read and dropped before the connection is closed regardless. */
  static final long DRAIN_LIMIT_BYTES = 4L * 1024 * 1024;
  static final long DRAIN_MILLIS = 10_000;

  private static long parseLong(String s) {
    try {
      return Long.parseLong(s.trim());
    } catch (NumberFormatException e) {
      return Long.MAX_VALUE;
    }
  }

  private static String identity(HttpServerRequest req) throws ApiFailure {
    try {
      List<Certificate> peer = req.connection().peerCertificates();
      if (peer == null || peer.isEmpty()) {
        throw new ApiFailure(AdminApiError.IDENTITY_NOT_ALLOWED, "a client certificate is required");
      }
      return TlsMaterial.identityOf(peer.get(0));
    } catch (SSLPeerUnverifiedException e) {
      throw new ApiFailure(AdminApiError.IDENTITY_NOT_ALLOWED, "a client certificate is required");
    }
  }

  private static JsonObject parse(HttpServerRequest req, Buffer body) throws ApiFailure {
    if (body.length() == 0) {
      return new JsonObject();
    }
    String type = req.getHeader("Content-Type");
    if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("application/json")) {
      throw new ApiFailure(AdminApiError.UNSUPPORTED_MEDIA_TYPE, AdminApiError.UNSUPPORTED_MEDIA_TYPE.message);
    }
    try {
      return new JsonObject(body);
    } catch (DecodeException | ClassCastException e) {
      throw new ApiFailure(AdminApiError.INVALID_JSON, AdminApiError.INVALID_JSON.message);
    }
  }

  /**
   * A refusal by the policy: 403 naming the operation (null: a stranger's request that does not
   * route), and one log line (request id, identity prefix, operation, route template; no key ids).
   */
  private static Reply deny(String requestId, String caller, AdminOperation op, String template,
      AdminApiError error) {
    String who = caller.substring(0, 16);
    LOG.warn("admin-api {} denied {} {} to identity {}... ({})", requestId, op == null ? "-" : op.wireName(), template,
        who, error == AdminApiError.IDENTITY_NOT_ALLOWED ? "no grant" : "not in its grant");
    String message = error == AdminApiError.IDENTITY_NOT_ALLOWED
        ? "identity " + who + "... has no grant in the admin policy" + (op == null ? "" : "; refused " + op.wireName())
        : "identity " + who + "... is not allowed " + op.wireName() + " here (see the admin policy)";
    return error(new ApiFailure(error, message, op), requestId);
  }

  /** On a worker: the blocking call and its mapping to an answer. */
  private Reply run(Route route, JsonObject body, AdminGrant grant, String requestId) {
    try {
      return route.action().run(body, grant);
    } catch (ApiFailure f) {
      return error(f, requestId);
    } catch (KeyAdminException e) {
      int status = AdminApiError.statusOfAgentCode(e.code());
      return error(new ApiFailure(status, e.code(), e.getMessage()), requestId);
    } catch (RewrapJobs.JobException e) {
      return error(new ApiFailure(e.error, e.getMessage()), requestId);
    } catch (ClassCastException e) {
      return error(new ApiFailure(AdminApiError.INVALID_REQUEST, "a field of the body has the wrong JSON type"),
          requestId);
    } catch (IOException | RuntimeException e) {
      LOG.warn("admin API request {} failed", requestId, e);
      return error(new ApiFailure(AdminApiError.INTERNAL_ERROR, AdminApiError.INTERNAL_ERROR.message), requestId);
    }
  }

  private static Reply error(ApiFailure f, String requestId) {
    JsonObject e = new JsonObject().put("code", f.code).put("message", f.getMessage());
    if (f.operation != null) {
      e.put("operation", f.operation.wireName());
    }
    return new Reply(f.status, new JsonObject().put("error", e).put("requestId", requestId), Map.of());
  }

  private void answer(HttpServerRequest req, String requestId, String caller, String template, long start,
      Reply reply) {
    if (req.response().ended() || req.response().closed()) {
      return;
    }
    req.response().setStatusCode(reply.status());
    req.response().putHeader("Content-Type", "application/json; charset=utf-8");
    req.response().putHeader("x-request-id", requestId);
    req.response().putHeader("Cache-Control", "no-store");
    reply.headers().forEach(req.response()::putHeader);
    req.response().end(reply.body().encode());
    LOG.info("admin-api {} {} {} {} -> {} ({} ms)", requestId,
        caller.length() > 16 ? caller.substring(0, 16) : caller, req.method(), template, reply.status(),
        (System.nanoTime() - start) / 1_000_000);
  }

  // ---------------------------------------------------------------- routes

  private Route route(HttpMethod method, String rawPath, HttpServerRequest req) throws ApiFailure {
    List<String> s = segments(rawPath);
    if (s.size() < 2 || !s.get(0).equals("v1")) {
      throw notFound();
    }
    String m = method.name();
    switch (s.get(1)) {
      case "keys" -> {
        if (s.size() == 2) {
          return switch (m) {
            case "GET" -> new Route("GET /v1/keys", AdminOperation.KEYS_READ, (String) null, (b, g) -> {
              String prefix = req.getParam("prefix", "");
              JsonArray keys = new JsonArray();
              agent.list(prefix).stream().filter(k -> g.coversKey(k.getKeyId()))  // only keys the grant covers
                  .forEach(k -> keys.add(KeyJsonCodec.key(k)));
              return Reply.ok(new JsonObject().put("keys", keys));
            });
            case "POST" -> new Route("POST /v1/keys", AdminOperation.KEYS_CREATE,
                b -> List.of(new Need(AdminOperation.KEYS_CREATE, required(b, "id"))), (b, g) -> created(agent.create(required(b, "id"),
                string(b, "backend", ""))));
            default -> throw notAllowed();
          };
        }
        String id = s.get(2);
        if (s.size() == 3) {
          return switch (m) {
            case "GET" -> new Route("GET /v1/keys/{id}", AdminOperation.KEYS_READ, id, (b, g) -> key(agent.describe(id)));
            case "DELETE" -> new Route("DELETE /v1/keys/{id}", AdminOperation.KEYS_DELETE, id, (b, g) -> key(agent.scheduleDeletion(id,
                intParam(req, "retentionDays", 90), Boolean.parseBoolean(req.getParam("purgeProtection", "false")))));
            default -> throw notAllowed();
          };
        }
        if (s.size() == 4) {
          String op = s.get(3);
          return switch (op + " " + m) {
            case "rotate POST" -> new Route("POST /v1/keys/{id}/rotate", AdminOperation.KEYS_ROTATE, id, (b, g) -> key(agent.rotate(id)));
            case "recover POST" -> new Route("POST /v1/keys/{id}/recover", AdminOperation.KEYS_DELETE, id, (b, g) -> key(agent.recover(id)));
            case "purge POST" -> new Route("POST /v1/keys/{id}/purge", AdminOperation.KEYS_DELETE, id, (b, g) -> key(agent.purge(id)));
            case "census GET" -> new Route("GET /v1/keys/{id}/census", AdminOperation.KEYS_READ, id, (b, g) -> Reply.ok(KeyJsonCodec.census(
                agent.census(id))));
            case "min-decryption-version PUT" -> new Route("PUT /v1/keys/{id}/min-decryption-version", AdminOperation.KEYS_DISABLE, id,
                (b, g) -> key(agent.setMinDecryptionVersion(id, (int) integer(b, "version", null, 1, Integer.MAX_VALUE), bool(b, "force"))));
            case "rotation-policy PUT" -> new Route("PUT /v1/keys/{id}/rotation-policy", AdminOperation.KEYS_ROTATE, id,
                (b, g) -> key(agent.setRotationPeriod(id, integer(b, "periodSeconds", null, 0, Long.MAX_VALUE))));
            case "import POST" -> new Route("POST /v1/keys/{id}/import", AdminOperation.KEYS_IMPORT, id, (b, g) -> {
              byte[] envelope;
              try {
                envelope = Base64.getDecoder().decode(required(b, "wrappedMaterial"));
              } catch (IllegalArgumentException e) {
                throw new ApiFailure(AdminApiError.INVALID_REQUEST, "wrappedMaterial must be base64");
              }
              return created(agent.importKey(id, string(b, "backend", ""), envelope,
                  string(b, "importKeyFingerprint", "")));
            });
            default -> throw s.get(3).matches("rotate|recover|purge|census|min-decryption-version|rotation-policy|import")
                ? notAllowed() : notFound();
          };
        }
        if (s.size() == 6 && s.get(3).equals("versions")) {
          int version = version(s.get(4));
          if (!m.equals("POST")) {
            throw notAllowed();
          }
          return switch (s.get(5)) {
            case "enable" -> new Route("POST /v1/keys/{id}/versions/{n}/enable", AdminOperation.KEYS_ENABLE, id,
                (b, g) -> key(agent.setVersionState(id, version, true, false)));
            case "disable" -> new Route("POST /v1/keys/{id}/versions/{n}/disable", AdminOperation.KEYS_DISABLE, id,
                (b, g) -> key(agent.setVersionState(id, version, false, bool(b, "force"))));
            default -> throw notFound();
          };
        }
        throw notFound();
      }
      case "import-key" -> {
        if (s.size() != 2) {
          throw notFound();
        }
        if (!m.equals("GET")) {
          throw notAllowed();
        }
        return new Route("GET /v1/import-key", AdminOperation.KEYS_READ, (String) null, (b, g) -> {
          GetImportKeyResponse k = agent.importKey();
          return Reply.ok(new JsonObject().put("publicKeyPem", k.getPublicKeyPem())
              .put("publicKeyDer", Base64.getEncoder().encodeToString(k.getPublicKeyDer().toByteArray()))
              .put("fingerprint", k.getFingerprint())
              .put("format", "RSA-OAEP-SHA256(ephemeral AES key) || AES-KWP(ephemeral AES key, key material)"));
        });
      }
      case "accounts" -> {
        if (s.size() == 4 && s.get(3).equals("key-source")) {
          return keySourceRoute(m, account(s.get(2)), "", "/v1/accounts/{account}/key-source");
        }
        if (s.size() == 6 && s.get(3).equals("scopes") && s.get(5).equals("key-source")) {
          String account = account(s.get(2));
          if (!SCOPE.matcher(s.get(4)).matches()) {
            throw new ApiFailure(AdminApiError.INVALID_REQUEST, "scope names are 3-63 letters, digits and dashes");
          }
          return keySourceRoute(m, account, s.get(4), "/v1/accounts/{account}/scopes/{scope}/key-source");
        }
        if (s.size() != 4 || !s.get(3).equals("scopes")) {
          throw notFound();
        }
        String account = account(s.get(2));
        String prefix = "account/" + account + "/scope/";
        String owner = "account/" + account;
        return switch (m) {
          case "GET" -> new Route("GET /v1/accounts/{account}/scopes", AdminOperation.KEYS_READ, owner, (b, g) -> {
            JsonArray scopes = new JsonArray();
            agent.list(prefix).stream().filter(k -> g.coversKey(k.getKeyId())).forEach(k -> scopes.add(KeyJsonCodec.key(k)
                .put("scope", k.getKeyId().substring(prefix.length()))));
            return Reply.ok(new JsonObject().put("scopes", scopes));
          });
          case "POST" -> new Route("POST /v1/accounts/{account}/scopes", AdminOperation.KEYS_CREATE,
              b -> List.of(new Need(AdminOperation.KEYS_CREATE, prefix + required(b, "name"))), (b, g) -> {
            String name = required(b, "name");
            if (!SCOPE.matcher(name).matches()) {
              throw new ApiFailure(AdminApiError.INVALID_REQUEST, "scope names are 3-63 letters, digits and dashes");
            }
            return created(agent.create(prefix + name, string(b, "backend", "")));
          });
          default -> throw notAllowed();
        };
      }
      case "jobs" -> {
        return jobRoute(m, s);
      }
      case "audit" -> {
        if (s.size() != 3 || !s.get(2).equals("verify")) {
          throw notFound();
        }
        if (!m.equals("GET")) {
          throw notAllowed();
        }
        return new Route("GET /v1/audit/verify", AdminOperation.AUDIT_VERIFY, (String) null, (b, g) -> {
          if (config.auditLog() == null) {
            throw new ApiFailure(AdminApiError.NOT_CONFIGURED, "start the admin server with --audit-log FILE");
          }
          if (!Files.isRegularFile(config.auditLog())) {
            throw new ApiFailure(AdminApiError.NOT_FOUND, "the configured audit log is not a file");
          }
          AuditLogVerifier.Result r = AuditLogVerifier.verify(config.auditLog());
          JsonObject o = new JsonObject().put("intact", r.intact()).put("records", r.records());
          if (!r.intact()) {
            o.put("firstBadLine", r.firstBadLine()).put("reason", r.reason());
          }
          return Reply.ok(o);
        });
      }
      default -> throw notFound();
    }
  }

  private static String account(String account) throws ApiFailure {
    if (!ACCOUNT.matcher(account).matches()) {
      throw new ApiFailure(AdminApiError.INVALID_REQUEST, "account names are 3-24 lowercase letters and digits");
    }
    return account;
  }

  /**
   * The key source of an account ({@code scope} "") or of one of its scopes (ADR 0031): GET shows
   * it; PUT sets it ({@code {"serviceManaged":true}} or {@code {"backend","key","version"?}}, version
   * N or "latest", the default), and with {@code "rewrap":true} also starts the rewrap job that moves
   * the owner's stored DEKs to it (answered as {@code "job"}). The agent's refusal of a switch (no
   * such key on that backend, key deleted, version disabled or retired) keeps its code and a 4xx.
   */
  private Route keySourceRoute(String m, String account, String scope, String template) throws ApiFailure {
    String owner = "account/" + account + (scope.isEmpty() ? "" : "/scope/" + scope);
    return switch (m) {
      case "GET" -> new Route("GET " + template, AdminOperation.KEY_SOURCES_READ, owner, (b, g) -> Reply.ok(KeyJsonCodec.keySource(agent.keySource(account,
          scope))));
      case "PUT" -> new Route("PUT " + template, AdminOperation.KEY_SOURCES_SET, b -> bool(b, "rewrap")
          ? List.of(new Need(AdminOperation.KEY_SOURCES_SET, owner), new Need(AdminOperation.JOBS_REWRAP, owner))
          : List.of(new Need(AdminOperation.KEY_SOURCES_SET, owner)), (b, g) -> {
        KeySourceSetRequest request = keySourceRequest(account, scope, b);
        boolean rewrap = bool(b, "rewrap");
        if (rewrap) {
          jobs.checkCanStart();  // before the switch: a refused job must not leave a switch without its rewrap
        }
        JsonObject source = KeyJsonCodec.keySource(agent.setKeySource(request));
        if (rewrap) {
          source.put("job", jobs.start(null, account, scope, false, RewrapJob.DEFAULT_CONCURRENCY,
              RewrapJob.DEFAULT_PAGE_SIZE));
        }
        return Reply.ok(source);
      });
      default -> throw notAllowed();
    };
  }

  private static KeySourceSetRequest keySourceRequest(String account, String scope, JsonObject b) throws ApiFailure {
    KeySourceSetRequest.Builder r = KeySourceSetRequest.newBuilder().setAccount(account).setScope(scope);
    boolean service = bool(b, "serviceManaged");
    String backend = string(b, "backend", null);
    String key = string(b, "key", null);
    Object version = b.getValue("version");
    if (service) {
      if (backend != null || key != null || version != null) {
        throw new ApiFailure(AdminApiError.INVALID_REQUEST, "\"serviceManaged\":true takes no backend, key or version");
      }
      return r.setServiceManaged(true).build();
    }
    if (backend == null || backend.isEmpty() || key == null || key.isEmpty()) {
      throw new ApiFailure(AdminApiError.INVALID_REQUEST, "the body needs \"serviceManaged\":true, or \"backend\""
          + " and \"key\" (and \"version\": N or \"latest\")");
    }
    int pinned;
    if (version == null || "latest".equals(version)) {
      pinned = 0;
    } else if ((version instanceof Integer || version instanceof Long) && ((Number) version).longValue() >= 1
        && ((Number) version).longValue() <= Integer.MAX_VALUE) {
      pinned = ((Number) version).intValue();
    } else {
      throw new ApiFailure(AdminApiError.INVALID_REQUEST, "\"version\" must be an integer of 1 or more, or \"latest\"");
    }
    return r.setBackend(backend).setKeyName(key).setVersion(pinned).build();
  }

  /** A rewrap job needs jobs.rewrap on its key, or on its owner ({@code account/<a>[/scope/<s>]}). */
  private static List<Need> rewrapNeeds(JsonObject b) throws ApiFailure {
    String key = emptyToNull(string(b, "key", null));
    String account = emptyToNull(string(b, "account", null));
    String scope = string(b, "scope", "");
    String target = account != null ? "account/" + account + (scope.isEmpty() ? "" : "/scope/" + scope) : key;
    return List.of(new Need(AdminOperation.JOBS_REWRAP, target));
  }

  private Route jobRoute(String m, List<String> s) throws ApiFailure {
    if (s.size() == 2) {
      if (!m.equals("GET")) {
        throw notAllowed();
      }
      return new Route("GET /v1/jobs", AdminOperation.JOBS_READ, (String) null, (b, g) -> {
        JsonArray list = new JsonArray();
        jobs.list().forEach(list::add);
        return Reply.ok(new JsonObject().put("jobs", list));
      });
    }
    if (s.size() == 3 && s.get(2).equals("rewrap")) {
      if (!m.equals("POST")) {
        throw notAllowed();
      }
      return new Route("POST /v1/jobs/rewrap", AdminOperation.JOBS_REWRAP, AdminApiServer::rewrapNeeds, (b, g) -> {
        String key = emptyToNull(string(b, "key", null));
        String account = emptyToNull(string(b, "account", null));
        String scope = string(b, "scope", "");
        if ((key == null) == (account == null)) {
          throw new ApiFailure(AdminApiError.INVALID_REQUEST, "the body needs \"key\" (the DEKs of a key) or"
              + " \"account\" (and \"scope\"?: the DEKs of an owner, to its key source), not both");
        }
        if (account != null) {
          account(account);
          if (!scope.isEmpty() && !SCOPE.matcher(scope).matches()) {
            throw new ApiFailure(AdminApiError.INVALID_REQUEST, "scope names are 3-63 letters, digits and dashes");
          }
        } else if (!scope.isEmpty()) {
          throw new ApiFailure(AdminApiError.INVALID_REQUEST, "\"scope\" goes with \"account\"");
        }
        JsonObject job = jobs.start(key, account, scope, bool(b, "censusOnly"),
            (int) integer(b, "concurrency", (long) RewrapJob.DEFAULT_CONCURRENCY, 1, 64),
            (int) integer(b, "pageSize", (long) RewrapJob.DEFAULT_PAGE_SIZE, 1, 1000));
        return new Reply(202, job, Map.of("Location", "/v1/jobs/" + job.getString("id")));
      });
    }
    String id = s.get(2);
    if (s.size() == 3) {
      return switch (m) {
        case "GET" -> new Route("GET /v1/jobs/{id}", AdminOperation.JOBS_READ, (String) null, (b, g) -> Reply.ok(jobs.get(id)));
        case "DELETE" -> new Route("DELETE /v1/jobs/{id}", AdminOperation.JOBS_REWRAP, (String) null, (b, g) -> {
          jobs.remove(id);
          return new Reply(200, new JsonObject().put("id", id).put("removed", true), Map.of());
        });
        default -> throw notAllowed();
      };
    }
    if (s.size() == 4 && s.get(3).equals("resume")) {
      if (!m.equals("POST")) {
        throw notAllowed();
      }
      return new Route("POST /v1/jobs/{id}/resume", AdminOperation.JOBS_REWRAP, (String) null, (b, g) -> new Reply(202, jobs.resume(id),
          Map.of("Location", "/v1/jobs/" + id)));
    }
    throw notFound();
  }

  private static Reply key(GetKeyResponse k) {
    return Reply.ok(KeyJsonCodec.key(k));
  }

  private static Reply created(GetKeyResponse k) {
    return new Reply(201, KeyJsonCodec.key(k), Map.of("Location", "/v1/keys/"
        + java.net.URLEncoder.encode(k.getKeyId(), StandardCharsets.UTF_8)));
  }

  /** The raw path's segments, each percent-decoded (key ids hold '/', sent as %2F inside one segment). */
  static List<String> segments(String rawPath) throws ApiFailure {
    List<String> out = new ArrayList<>();
    for (String seg : rawPath.split("/", -1)) {
      if (seg.isEmpty()) {
        continue;
      }
      if (out.size() == MAX_PATH_SEGMENTS) {
        throw notFound();
      }
      try {
        out.add(URLDecoder.decode(seg.replace("+", "%2B"), StandardCharsets.UTF_8));
      } catch (IllegalArgumentException e) {
        throw new ApiFailure(AdminApiError.INVALID_REQUEST, "bad percent-encoding in the path");
      }
    }
    return out;
  }

  private static int version(String s) throws ApiFailure {
    try {
      int v = Integer.parseInt(s);
      if (v < 1) {
        throw new NumberFormatException();
      }
      return v;
    } catch (NumberFormatException e) {
      throw new ApiFailure(AdminApiError.INVALID_REQUEST, "a version is a positive integer");
    }
  }

  private static int intParam(HttpServerRequest req, String name, int dflt) throws ApiFailure {
    String v = req.getParam(name);
    if (v == null) {
      return dflt;
    }
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new ApiFailure(AdminApiError.INVALID_REQUEST, name + " must be an integer");
    }
  }

  private static String required(JsonObject b, String field) throws ApiFailure {
    String v = string(b, field, null);
    if (v == null || v.isEmpty()) {
      throw new ApiFailure(AdminApiError.INVALID_REQUEST, "the body needs \"" + field + "\" (a string)");
    }
    return v;
  }

  /** A string field, strictly: a number or a boolean where a string belongs is refused, not converted. */
  private static String string(JsonObject b, String field, String dflt) throws ApiFailure {
    Object v = b.getValue(field);
    if (v == null) {
      return dflt;
    }
    if (!(v instanceof String str)) {
      throw new ApiFailure(AdminApiError.INVALID_REQUEST, "\"" + field + "\" must be a string");
    }
    return str;
  }

  private static boolean bool(JsonObject b, String field) throws ApiFailure {
    Object v = b.getValue(field);
    if (v == null) {
      return false;
    }
    if (!(v instanceof Boolean x)) {
      throw new ApiFailure(AdminApiError.INVALID_REQUEST, "\"" + field + "\" must be true or false");
    }
    return x;
  }

  /** An integer field within bounds, strictly (no strings, no fractions); {@code dflt} when absent, null if required. */
  private static long integer(JsonObject b, String field, Long dflt, long min, long max) throws ApiFailure {
    Object v = b.getValue(field);
    if (v == null) {
      if (dflt == null) {
        throw new ApiFailure(AdminApiError.INVALID_REQUEST, "the body needs \"" + field + "\" (an integer)");
      }
      return dflt;
    }
    if (!(v instanceof Integer || v instanceof Long) || ((Number) v).longValue() < min
        || ((Number) v).longValue() > max) {
      throw new ApiFailure(AdminApiError.INVALID_REQUEST, "\"" + field + "\" must be an integer in " + min + ".."
          + max);
    }
    return ((Number) v).longValue();
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  private static ApiFailure notFound() {
    return new ApiFailure(AdminApiError.NOT_FOUND, AdminApiError.NOT_FOUND.message);
  }

  private static ApiFailure notAllowed() {
    return new ApiFailure(AdminApiError.METHOD_NOT_ALLOWED, AdminApiError.METHOD_NOT_ALLOWED.message);
  }

  @Override
  public void close() {
    policyReloads.shutdownNow();
    jobs.close();
    if (server != null) {
      try {
        server.close().await(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        LOG.debug("admin API close: {}", e.getMessage());
      }
    }
    workers.shutdownNow();
    try {
      vertx.close().await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.debug("admin API vert.x close: {}", e.getMessage());
    }
  }
}
