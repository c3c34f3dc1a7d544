package io.cobalt.gateway.http;

import io.cobalt.gateway.AccountKeys;
import io.cobalt.gateway.auth.Principal;
import io.cobalt.gateway.auth.SasAccess;
import io.cobalt.gateway.auth.TableQueueSasAuthenticator;
import io.cobalt.gateway.auth.ResponseHeaderOverrides;
import io.cobalt.gateway.auth.SharedKeyAuthenticator;
import io.cobalt.gateway.authz.Grant;
import io.cobalt.gateway.blob.Cors;
import io.cobalt.gateway.encryption.KeyRefusedException;
import io.cobalt.gateway.nodeclient.BackendUnavailableException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pipeline of the Table and Queue endpoints: every request goes through {@link #handle}:
 * admit → parse → (CORS: an OPTIONS preflight is answered from the account's CORS rules of the
 * service, unauthenticated; an allowed Origin gets the CORS headers on any response) → authenticate (Shared Key or Shared Key Lite with the service's strings-to-sign,
 * or a service or account SAS: {@link TableQueueSasAuthenticator}; anonymous access is refused) →
 * authorize (an account key may do everything in its account; a SAS what its {@link SasAccess}
 * allows, asked by the routing and the handlers) → route → the operation's handler (seal/open
 * on the crypto pool, place, dispatch). Errors become the service's Azure error bodies from one
 * place; an unexpected exception is a 500 InternalError whose stack trace only the log sees.
 * (The Blob endpoint has its own {@link RequestPipeline}: SAS, public access, HTTPS rules.)
 */
public final class AccountKeyPipeline {
  private static final Logger LOG = LoggerFactory.getLogger(AccountKeyPipeline.class);

  /**
   * What differs between the services.
   *
   * @param name "Table" or "Queue", for messages and logs
   * @param authenticate the service's Shared Key variant; returns the authenticated account
   * @param dispatch routes a request to its operation and runs it
   * @param integrityFailure the exception a record failing authentication raises (a 500, logged)
   * @param errorWriter writes the service's error body (Table JSON, Queue XML)
   * @param sas which service a SAS must be for
   * @param policies where a service SAS's stored access policy ({@code si}) is looked up
   * @param cors the service's CORS rules: preflights and the headers of allowed origins
   */
  public record Service(
      String name,
      BiFunction<SharedKeyAuthenticator, AzureRequest, String> authenticate,
      Function<AzureRequest, Future<Void>> dispatch,
      Class<? extends RuntimeException> integrityFailure,
      BiConsumer<AzureRequest, AzureException> errorWriter,
      TableQueueSasAuthenticator.Service sas,
      TableQueueSasAuthenticator.PolicyLookup policies,
      Cors cors) {}

  private final Map<String, AccountKeys> accounts = new HashMap<>();
  private final SharedKeyAuthenticator sharedKey;
  private final Service service;
  private final Clock clock;
  private final SecureRandom random;
  private final int maxConcurrentRequests;
  private int inFlight;
  private final Object lock = new Object();

  public AccountKeyPipeline(
      List<AccountKeys> accounts, Service service, Clock clock, SecureRandom random, int maxConcurrentRequests) {
    accounts.forEach(a -> this.accounts.put(a.account(), a));
    this.sharedKey = new SharedKeyAuthenticator(accounts, clock);
    this.service = service;
    this.clock = clock;
    this.random = random;
    this.maxConcurrentRequests = maxConcurrentRequests;
  }

  public void handle(HttpServerRequest req) {
    req.pause();
    AzureRequest r;
    try {
      ResourcePath path;
      try {
        path = ResourcePath.parse(req.path());
      } catch (AzureException e) {
        r = new AzureRequest(req, Vertx.currentContext(), newRequestId(), clock.instant(),
            new ResourcePath(req.path(), "", null, null));
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
    final AzureRequest request = r;
    Future<Void> outcome;
    try {
      if (Cors.isPreflight(request)) {
        outcome = service.cors().preflight(request);                      // CORS preflight: no authentication
      } else {
        outcome = service.cors().decorate(request)                        // CORS headers for an allowed Origin
            .compose(v -> authenticate(request))                          // who: Shared Key (Lite) or a SAS
            .compose(principal -> {
              request.grant(new Grant(principal, true, ResponseHeaderOverrides.NONE)); // a key: its account; a SAS: r.sas()
              return service.dispatch().apply(request);                   // which operation → seal/open → place → dispatch
            });
      }
    } catch (RuntimeException e) {
      outcome = Future.failedFuture(e);
    }
    outcome.onComplete(ar -> {
      release();
      if (ar.failed()) {
        fail(request, ar.cause());
      } else if (!request.http().response().ended()) {
        LOG.error("operation completed without a response; request={}", request.requestId());
        fail(request, new IllegalStateException("no response"));
      }
    });
  }

  private Future<Principal> authenticate(AzureRequest r) {
    AccountKeys keys = accounts.get(r.path().account());
    if (keys == null) {
      throw AzureError.INVALID_STORAGE_ACCOUNT.exception();
    }
    if (r.header("Authorization") != null) {
      return Future.succeededFuture(new Principal.AccountKey(service.authenticate().apply(sharedKey, r)));
    }
    if (TableQueueSasAuthenticator.hasSas(r)) {
      return TableQueueSasAuthenticator.authenticate(r, keys, service.sas(), service.policies()).map(access -> {
        r.sas(access);
        return access.accountSas()
            ? new Principal.AccountSas(keys.account(), null, access.resourceTypes(), access.permissions(), null,
                false, null)
            : new Principal.ServiceSas(keys.account(), service.sas() == TableQueueSasAuthenticator.Service.TABLE
                ? "t" : "q", access.permissions(), null, false, null, ResponseHeaderOverrides.NONE);
      });
    }
    throw AzureError.AUTHENTICATION_FAILED.exception(
        "AuthenticationErrorDetail", "The Authorization header is missing.");
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

  private void fail(AzureRequest r, Throwable t) {
    Throwable cause = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    HttpServerResponse resp = r.http().response();
    if (resp.ended() || resp.closed()) {
      return;
    }
    if (resp.headWritten()) {
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
    } else if (cause instanceof KeyRefusedException refused) {
      LOG.warn("request={} the kms-agent refused the {} key ({}): {}", r.requestId(), service.name(),
          refused.reason(), refused.getMessage());
      error = switch (refused.reason()) {
        case KEY_UNAVAILABLE -> AzureError.KEY_VAULT_ENCRYPTION_KEY_NOT_FOUND.exception();
        case ACCESS_DENIED -> AzureError.KEY_VAULT_ACCESS_TOKEN_CANNOT_BE_ACQUIRED.exception();
        default -> AzureError.INTERNAL_ERROR.exception();
      };
    } else if (service.integrityFailure().isInstance(cause)) {
      LOG.error("request={} integrity failure: {}", r.requestId(), cause.getMessage());
      error = AzureError.INTERNAL_ERROR.exception();
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
    service.errorWriter().accept(r, error);
    if (bodyPending) {
      r.http().handler(b -> {});
      r.http().exceptionHandler(e -> {});
      r.http().endHandler(v -> {});
      r.http().resume();
    }
  }
}
