package io.cobalt.gateway.table;

import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureRequest;
import io.vertx.core.Future;
import java.util.Locale;

/**
 * Routes a Table request to its operation: which handler, from the resource and the verb. MERGE
 * may arrive as {@code MERGE}, {@code PATCH} or {@code POST} with {@code X-HTTP-Method: MERGE}.
 */
public final class TableOperations {
  /** A Table operation: runs on the request's context and completes when the response ended. */
  @FunctionalInterface
  public interface Operation {
    Future<Void> handle(AzureRequest request);
  }

  private final TablesHandler tables;
  private final EntityHandler entities;
  private final QueryEntitiesHandler query;

  public TableOperations(TableServices services) {
    this.tables = new TablesHandler(services);
    this.entities = new EntityHandler(services);
    this.query = new QueryEntitiesHandler(services);
  }

  public Operation route(AzureRequest r) {
    TableResource res = TableResource.parse(r.path());
    String verb = r.method().name().toUpperCase(Locale.ROOT);
    String tunnelled = r.header("X-HTTP-Method");
    if (verb.equals("POST") && tunnelled != null) {
      verb = tunnelled.trim().toUpperCase(Locale.ROOT);
    }
    switch (res.kind()) {
      case TABLES -> {
        if (verb.equals("POST")) {
          return req -> tables.create(req);
        }
        if (verb.equals("GET")) {
          return req -> tables.query(req, null);
        }
      }
      case TABLE -> {
        if (verb.equals("DELETE")) {
          return req -> tables.delete(req, res.table());
        }
        if (verb.equals("GET")) {
          return req -> tables.query(req, res.table());
        }
      }
      case ENTITIES -> {
        if (verb.equals("POST")) {
          return req -> entities.insert(req, res.table());
        }
        if (verb.equals("GET")) {
          return req -> query.query(req, res.table());
        }
      }
      case ENTITY -> {
        switch (verb) {
          case "GET" -> {
            return req -> entities.get(req, res);
          }
          case "PUT" -> {
            return req -> entities.replace(req, res);
          }
          case "MERGE", "PATCH" -> {
            return req -> entities.merge(req, res);
          }
          case "DELETE" -> {
            return req -> entities.delete(req, res);
          }
          default -> { }
        }
      }
    }
    throw AzureError.UNSUPPORTED_HTTP_VERB.exception();
  }
}
