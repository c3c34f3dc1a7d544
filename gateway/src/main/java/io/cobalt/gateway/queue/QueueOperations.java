package io.cobalt.gateway.queue;

import io.cobalt.gateway.auth.SasAccess;
import io.cobalt.gateway.auth.StoredAccessPolicy;
import io.cobalt.gateway.blob.Cors;
import io.cobalt.gateway.blob.ServicePropertiesHandler;
import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureRequest;
import io.cobalt.proto.node.v1.StorageServiceKind;
import io.vertx.core.Future;
import java.time.Instant;

/**
 * Routes a Queue request to its operation, from the path ({@code /account},
 * {@code /account/queue}, {@code /account/queue/messages}, {@code /account/queue/messages/id}),
 * the verb and {@code comp}.
 */
public final class QueueOperations {
  /** A Queue operation: runs on the request's context and completes when the response ended. */
  @FunctionalInterface
  public interface Operation {
    Future<Void> handle(AzureRequest request);
  }

  private final QueuesHandler queues;
  private final MessagesHandler messages;
  private final QueueAclHandler acl;
  private final QueueServices services;
  private final ServicePropertiesHandler serviceProperties;
  private final Cors cors;

  public QueueOperations(QueueServices services) {
    this.queues = new QueuesHandler(services);
    this.messages = new MessagesHandler(services);
    this.acl = new QueueAclHandler(services);
    this.services = services;
    this.serviceProperties = new ServicePropertiesHandler(services.metadata(), services.clock(),
        StorageServiceKind.STORAGE_SERVICE_QUEUE);
    this.cors = new Cors(serviceProperties);
  }

  /** CORS preflights and response headers, from the accounts' Queue service properties. */
  public Cors cors() {
    return cors;
  }

  /** The stored access policy {@code id} of {@code queue} (Set Queue ACL), or null: a SAS's {@code si}. */
  public Future<StoredAccessPolicy> storedPolicy(AzureRequest r, String queue, String id) {
    if (!QueueServices.validQueueName(queue)) {
      return Future.succeededFuture(null);
    }
    return services.requireQueue(r, queue, services.nowMillis()).map(q -> q.getQueues(0).getAclList().stream()
        .filter(i -> i.getId().equals(id)).findFirst()
        .map(i -> new StoredAccessPolicy(i.getPermission().isEmpty() ? null : i.getPermission(),
            i.getStart().isEmpty() ? null : Instant.parse(i.getStart()),
            i.getExpiry().isEmpty() ? null : Instant.parse(i.getExpiry())))
        .orElse(null));
  }

  public Operation route(AzureRequest r) {
    String verb = r.method().name();
    String comp = r.queryParam("comp");
    String queue = r.path().container();
    String rest = r.path().blob();
    if (queue == null && r.queryParam("restype") != null) {
      return serviceProperties::handleAccountLevel;   // Get / Set Queue Service Properties
    }
    if (queue != null && rest == null && "acl".equals(comp)) {
      if (r.sas() != null) {
        throw AzureError.AUTHORIZATION_FAILURE.exception();   // ACLs are the account owner's
      }
      switch (verb) {
        case "GET", "HEAD" -> {
          return req -> acl.get(req, queue);
        }
        case "PUT" -> {
          return req -> acl.set(req, queue);
        }
        default -> throw AzureError.UNSUPPORTED_HTTP_VERB.exception();
      }
    }
    if (r.sas() != null) {
      authorizeSas(r.sas(), verb, comp, queue, rest, r.queryParam("peekonly"));
    }
    if (queue == null) {
      if (verb.equals("GET") && "list".equals(comp)) {
        return queues::list;
      }
      throw AzureError.UNSUPPORTED_HTTP_VERB.exception();
    }
    if (rest == null) {
      if ("metadata".equals(comp)) {
        switch (verb) {
          case "GET", "HEAD" -> {
            return req -> queues.getMetadata(req, queue);
          }
          case "PUT" -> {
            return req -> queues.setMetadata(req, queue);
          }
          default -> throw AzureError.UNSUPPORTED_HTTP_VERB.exception();
        }
      }
      switch (verb) {
        case "PUT" -> {
          return req -> queues.create(req, queue);
        }
        case "DELETE" -> {
          return req -> queues.delete(req, queue);
        }
        default -> throw AzureError.UNSUPPORTED_HTTP_VERB.exception();
      }
    }
    if (rest.equals("messages")) {
      switch (verb) {
        case "POST" -> {
          return req -> messages.put(req, queue);
        }
        case "GET" -> {
          return "true".equalsIgnoreCase(r.queryParam("peekonly"))
              ? req -> messages.peek(req, queue)
              : req -> messages.get(req, queue);
        }
        case "DELETE" -> {
          return req -> messages.clear(req, queue);
        }
        default -> throw AzureError.UNSUPPORTED_HTTP_VERB.exception();
      }
    }
    if (rest.startsWith("messages/") && rest.indexOf('/', "messages/".length()) < 0) {
      String id = rest.substring("messages/".length());
      switch (verb) {
        case "PUT" -> {
          return req -> messages.update(req, queue, id);
        }
        case "DELETE" -> {
          return req -> messages.delete(req, queue, id);
        }
        default -> throw AzureError.UNSUPPORTED_HTTP_VERB.exception();
      }
    }
    throw AzureError.INVALID_URI.exception();
  }

  /**
   * What a SAS must allow for this request (an account key allows everything): listing needs an
   * account SAS with {@code l}; creating, deleting and setting metadata an account SAS ({@code c}
   * or {@code w}, {@code d}, {@code w}); reading metadata and peeking {@code r}, putting {@code a},
   * getting and deleting messages {@code p}, updating {@code u}, clearing {@code d}, with a
   * service SAS for this queue or an account SAS.
   */
  private static void authorizeSas(SasAccess sas, String verb, String comp, String queue, String rest,
      String peekOnly) {
    if (queue == null) {
      sas.require(SasAccess.SERVICE, null, "l");
      return;
    }
    char object = SasAccess.OBJECT;
    if (rest == null) {
      boolean read = verb.equals("GET") || verb.equals("HEAD");
      if (read) {
        sas.require(sas.accountSas() ? SasAccess.CONTAINER : object, queue, "r");
      } else {
        sas.require(SasAccess.CONTAINER, queue,
            verb.equals("DELETE") ? "d" : "metadata".equals(comp) ? "w" : "cw");
      }
      return;
    }
    if (rest.equals("messages")) {
      String needs = switch (verb) {
        case "POST" -> "a";
        case "GET" -> "true".equalsIgnoreCase(peekOnly) ? "r" : "p";
        default -> "d";
      };
      sas.require(object, queue, needs);
      return;
    }
    sas.require(object, queue, verb.equals("PUT") ? "u" : "p");
  }
}
