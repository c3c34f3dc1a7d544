package io.cobalt.gateway.http;

import io.cobalt.gateway.auth.RequestAuthenticator;
import io.cobalt.gateway.authz.Authorizer;
import io.cobalt.gateway.blob.BlobOperations;
import io.cobalt.gateway.blob.Cors;
import io.cobalt.gateway.encryption.KeyRefusedException;
import io.cobalt.gateway.nodeclient.BackendUnavailableException;
import io.cobalt.gateway.nodeclient.ChunkIntegrityException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every Blob request goes through {@link #handle}: admit → parse → (CORS: an OPTIONS preflight is
 * answered from the account's CORS rules here, unauthenticated) → authenticate (who) → route
 * (which operation) → authorize (may they: permissions, scope, IP, protocol) → the operation's
 * handler (which encrypts/decrypts on the crypto pool, places with {@code RendezvousPlacement} and
 * dispatches to the nodes) → one response, always. No handler runs without a grant. Errors become
 * Azure error responses from one place; an unexpected exception is a 500 InternalError whose
 * stack trace only the log sees.
 */
public final class RequestPipeline {
  private static final Logger LOG = LoggerFactory.getLogger(RequestPipeline.class);

  private final RequestAuthenticator authenticator;
  private final Authorizer authorizer;
  private final BlobOperations operations;
  private final Clock clock;
  private final SecureRandom random;
  private final int maxConcurrentRequests;
  private int inFlight; // touched on event loops only, but several: guard it
  private final Object lock = new Object();

  public RequestPipeline(
      RequestAuthenticator authenticator,
      Authorizer authorizer,
      BlobOperations operations,
      Clock clock,
      SecureRandom random,
      int maxConcurrentRequests) {
    this.authenticator = authenticator;
    this.authorizer = authorizer;
    this.operations = operations;
    this.clock = clock;
    this.random = random;
    this.maxConcurrentRequests = maxConcurrentRequests;
  }

  public void handle(HttpServerRequest req) {
    req.pause(); // the body is read only by the handler that wants it, with back-pressure
    AzureRequest r;
    try {
      ResourcePath path;
      try {
        path = ResourcePath.parse(req.path());
      } catch (AzureException e) {
        path = new ResourcePath(req.path(), "", null, null);
        r = new AzureRequest(req, Vertx.currentContext(), newRequestId(), clock.instant(), path);
        fail(r, e);
        return;
      }
      r = new AzureRequest(req, Vertx.currentContext(), newRequestId(), clock.instant(), path);
    } catch (RuntimeException e) {
      LOG.error("could not set up request", e);
      req.response().setStatusCode(500).end();
      return;
    }
    if (!admit()) {
      fail(r, AzureError.SERVER_BUSY.exception());
      return;
    }
    final AzureRequest req0 = r;
    Future<Void> outcome;
    try {
      if (Cors.isPreflight(req0)) {
        outcome = operations.cors().preflight(req0);                 // CORS preflight: no authentication
      } else {
        outcome =
            operations.cors()
                .decorate(req0)                                        // CORS headers for an allowed Origin
                .compose(v -> authenticator.authenticate(req0))        // who: Shared Key, SAS or anonymous
                .compose(principal -> {
                  BlobOperations.Route route = operations.route(req0); // which Azure operation
                  return authorizer
                      .authorize(principal, route.action(), req0)      // may they, here, this way?
                      .compose(grant -> {
                        req0.grant(grant);
                        return route.handler().handle(req0);           // encrypt/decrypt → place → dispatch
                      });
                });
      }
    } catch (RuntimeException e) {
      outcome = Future.failedFuture(e);
    }
    final AzureRequest request = r;
    outcome.onComplete(
        ar -> {
          release();
          if (ar.failed()) {
            fail(request, ar.cause());
          } else if (!request.http().response().ended()) {
            LOG.error("operation completed without a response; request={}", request.requestId());
            fail(request, new IllegalStateException("no response"));
          }
        });
  }

  private boolean admit() {
    synchronized (lock) {
      if (inFlight >= maxConcurrentRequests) {
        return false;
      }
      inFlight++;
      return true;
    }
  }

  private void release() {
    synchronized (lock) {
      inFlight--;
    }
  }

  private String newRequestId() {
    return new UUID(random.nextLong(), random.nextLong()).toString();
  }

  /**
   * A kms-agent refusal as the client sees it (docs/azure-compatibility.md, "Encryption errors"): a
   * revoked key (disabled, destroyed, deleted, retired, unknown) is the customer's doing, 403
   * KeyVaultEncryptionKeyNotFound; a gateway the agent no longer lets use the key, 403
   * KeyVaultAccessTokenCannotBeAcquired; a wrapped key that does not authenticate is an integrity
   * failure, 500; anything else is our bug, 500. (Agent outages are BackendUnavailableException: 503.)
   */
  private static AzureException keyRefusal(AzureRequest r, KeyRefusedException refused) {
    return switch (refused.reason()) {
      case KEY_UNAVAILABLE -> {
        LOG.info("request={} key unavailable ({}): {}", r.requestId(), refused.agentCode(), refused.getMessage());
        yield AzureError.KEY_VAULT_ENCRYPTION_KEY_NOT_FOUND.exception();
      }
      case ACCESS_DENIED -> {
        LOG.warn("request={} the kms-agent denies this gateway the key: {}", r.requestId(), refused.getMessage());
        yield AzureError.KEY_VAULT_ACCESS_TOKEN_CANNOT_BE_ACQUIRED.exception();
      }
      case NOT_AUTHENTIC -> {
        LOG.error("request={} integrity failure: wrapped data key refused ({}): {}",
            r.requestId(), refused.agentCode(), refused.getMessage());
        yield AzureError.INTERNAL_ERROR.exception();
      }
      case OTHER -> {
        LOG.error("request={} the kms-agent refused the key ({}): {}",
            r.requestId(), refused.agentCode(), refused.getMessage());
        yield AzureError.INTERNAL_ERROR.exception();
      }
    };
  }

  private void fail(AzureRequest r, Throwable t) {
    Throwable cause = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    HttpServerResponse resp = r.http().response();
    if (resp.ended() || resp.closed()) {
      return;
    }
    if (resp.headWritten()) {
      LOG.warn("request={} failed after the headers were sent ({}); resetting the connection",
          r.requestId(), cause.toString());
      resp.reset();
      return;
    }
    AzureException error;
    if (cause instanceof AzureException ae) {
      error = ae;
      LOG.debug("request={} {} {} -> {}", r.requestId(), r.method(), r.path().rawPath(), ae.error().code());
    } else if (cause instanceof BackendUnavailableException) {
      LOG.warn("request={} backend unavailable: {}", r.requestId(), cause.getMessage());
      error = AzureError.SERVER_BUSY.exception();
      resp.putHeader("Retry-After", "1");
    } else if (cause instanceof ChunkIntegrityException) {
      LOG.error("request={} integrity failure: {}", r.requestId(), cause.getMessage());
      error = AzureError.INTERNAL_ERROR.exception();
    } else if (cause instanceof KeyRefusedException refused) {
      error = keyRefusal(r, refused);
    } else {
      LOG.error("request={} internal error", r.requestId(), cause);
      error = AzureError.INTERNAL_ERROR.exception();
    }
    boolean bodyPending = !r.http().isEnded();
    // HTTP/2 has no Connection header (clients must refuse a response carrying one).
    if (bodyPending && error.error() == AzureError.REQUEST_BODY_TOO_LARGE
        && r.http().version() != io.vertx.core.http.HttpVersion.HTTP_2) {
      resp.putHeader("Connection", "close");
    }
    r.endError(error);
    if (bodyPending) {
      // Drain (and drop) what the client is still sending, so the connection stays usable.
      r.http().handler(b -> {});
      r.http().exceptionHandler(e -> {});
      r.http().endHandler(v -> {});
      r.http().resume();
    }
  }
}
