package io.cobalt.gateway.queue;

import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureRequest;
import io.vertx.core.Future;

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

  public QueueOperations(QueueServices services) {
    this.queues = new QueuesHandler(services);
    this.messages = new MessagesHandler(services);
  }

  public Operation route(AzureRequest r) {
    String verb = r.method().name();
    String comp = r.queryParam("comp");
    String queue = r.path().container();
    String rest = r.path().blob();
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
}
