package io.cobalt.gateway.table;

import io.cobalt.gateway.auth.SasAccess;
import io.cobalt.gateway.auth.StoredAccessPolicy;
import io.cobalt.gateway.blob.Cors;
import io.cobalt.gateway.blob.ServicePropertiesHandler;
import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureRequest;
import io.cobalt.proto.node.v1.StorageServiceKind;
import io.vertx.core.Future;
import java.time.Instant;
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
  private final BatchHandler batch;
  private final TableAclHandler acl;
  private final TableServices services;
  private final ServicePropertiesHandler serviceProperties;
  private final Cors cors;

  public TableOperations(TableServices services) {
    this.tables = new TablesHandler(services);
    this.entities = new EntityHandler(services);
    this.query = new QueryEntitiesHandler(services);
    this.batch = new BatchHandler(services);
    this.acl = new TableAclHandler(services);
    this.services = services;
    this.serviceProperties = new ServicePropertiesHandler(services.metadata(), services.clock(),
        StorageServiceKind.STORAGE_SERVICE_TABLE);
    this.cors = new Cors(serviceProperties);
  }

  /** CORS preflights and response headers, from the accounts' Table service properties. */
  public Cors cors() {
    return cors;
  }

  /** The stored access policy {@code id} of {@code table} (Set Table ACL), or null: a SAS's {@code si}. */
  public Future<StoredAccessPolicy> storedPolicy(AzureRequest r, String table, String id) {
    return services.table(r, table).map(t -> t == null ? null : t.getAclList().stream()
        .filter(i -> i.getId().equals(id)).findFirst()
        .map(i -> new StoredAccessPolicy(i.getPermission().isEmpty() ? null : i.getPermission(),
            i.getStart().isEmpty() ? null : Instant.parse(i.getStart()),
            i.getExpiry().isEmpty() ? null : Instant.parse(i.getExpiry())))
        .orElse(null));
  }

  public Operation route(AzureRequest r) {
    if (r.path().container() == null && r.queryParam("restype") != null) {
      return serviceProperties::handleAccountLevel;   // Get / Set Table Service Properties
    }
    TableResource res = TableResource.parse(r.path());
    String verb = r.method().name().toUpperCase(Locale.ROOT);
    String tunnelled = r.header("X-HTTP-Method");
    if (verb.equals("POST") && tunnelled != null) {
      verb = tunnelled.trim().toUpperCase(Locale.ROOT);
    }
    if (res.kind() == TableResource.Kind.ENTITIES && "acl".equals(r.queryParam("comp"))) {
      if (r.sas() != null) {
        throw AzureError.AUTHORIZATION_FAILURE.exception();   // ACLs are the account owner's
      }
      switch (verb) {
        case "GET", "HEAD" -> {
          return req -> acl.get(req, res.table());
        }
        case "PUT" -> {
          return req -> acl.set(req, res.table());
        }
        default -> throw AzureError.UNSUPPORTED_HTTP_VERB.exception();
      }
    }
    if (r.sas() != null) {
      authorizeSas(r.sas(), res, verb, r.header("If-Match"));
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
        if (res.table().equals("$batch")) {
          if (verb.equals("POST")) {
            return req -> batch.batch(req);
          }
          throw AzureError.UNSUPPORTED_HTTP_VERB.exception();
        }
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

  /**
   * What a SAS must allow for this request (an account key allows everything). Table operations
   * need an account SAS; entity operations {@code r} (read), {@code a} (insert), {@code u}
   * (update), {@code a} and {@code u} (insert-or-replace/merge), {@code d} (delete), on the
   * service SAS's table and inside its key range. $batch checks each of its operations itself.
   */
  static void authorizeSas(SasAccess sas, TableResource res, String verb, String ifMatch) {
    switch (res.kind()) {
      case TABLES -> sas.require(verb.equals("POST") ? SasAccess.CONTAINER : SasAccess.SERVICE, null,
          verb.equals("POST") ? "acw" : "lr");
      case TABLE -> sas.require(verb.equals("DELETE") ? SasAccess.CONTAINER : SasAccess.SERVICE, res.table(),
          verb.equals("DELETE") ? "d" : "lr");
      case ENTITIES -> {
        if (!res.table().equals("$batch")) {
          sas.require(SasAccess.OBJECT, res.table(), verb.equals("POST") ? "a" : "r");
        }
      }
      case ENTITY -> {
        switch (verb) {
          case "GET" -> sas.require(SasAccess.OBJECT, res.table(), "r");
          case "DELETE" -> sas.require(SasAccess.OBJECT, res.table(), "d");
          default -> {
            sas.require(SasAccess.OBJECT, res.table(), "u");
            if (ifMatch == null) {
              sas.require(SasAccess.OBJECT, res.table(), "a");
            }
          }
        }
        sas.requireEntity(res.partitionKey(), res.rowKey());
      }
    }
  }
}
