package io.cobalt.gateway.queue;

import io.cobalt.gateway.blob.BlobHeaders;
import io.cobalt.gateway.encryption.GeneratedKey;
import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureRequest;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.CreateQueue;
import io.cobalt.proto.node.v1.DeleteQueue;
import io.cobalt.proto.node.v1.ListQueues;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.QueryResult;
import io.cobalt.proto.node.v1.QueueRecord;
import io.cobalt.proto.node.v1.SetQueueMetadata;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Create Queue, Delete Queue, Get/Set Queue Metadata and List Queues. A new queue gets a fresh
 * DEK from the kms-agent, stored wrapped in its record; every message key of the queue derives
 * from it.
 */
final class QueuesHandler {
  /** Azure's default and largest List Queues page. */
  static final int MAX_LIST_RESULTS = 5000;

  private final QueueServices services;

  QueuesHandler(QueueServices services) {
    this.services = services;
  }

  /** PUT /account/queue → 201; 204 if it exists with identical metadata, else 409 QueueAlreadyExists. */
  Future<Void> create(AzureRequest r, String name) {
    QueueServices.requireValidName(name);
    Map<String, String> metadata = BlobHeaders.userMetadata(r.http());
    String account = r.path().account();
    return Future.fromCompletionStage(services.keys().generate(account, r.requestId()), r.context())
        .compose(key -> {
          QueueRecord queue;
          try (GeneratedKey k = key) {
            queue = QueueRecord.newBuilder()
                .setAccount(account)
                .setName(name)
                .setQueueId(services.random16())
                .setCreatedEpochMillis(services.nowMillis())
                .putAllMetadata(metadata)
                .setDek(k.wrapped())
                .build();
          }
          return services.submit(r, MetadataCommand.newBuilder().setPartition(services.partition(r, name))
              .setCreateQueue(CreateQueue.newBuilder().setQueue(queue)));
        })
        .map(result -> {
          if (result.getStatus() == CommandStatus.ALREADY_EXISTS) {
            if (new HashMap<>(metadata).equals(result.getQueue().getMetadataMap())) {
              r.end(204);
              return null;
            }
            throw AzureError.QUEUE_ALREADY_EXISTS.exception();
          }
          QueueServices.requireOk(result.getStatus());
          r.end(201);
          return null;
        });
  }

  /** DELETE /account/queue → 204 (its messages are no longer reachable: ADR 0009 decision 7). */
  Future<Void> delete(AzureRequest r, String name) {
    QueueServices.requireValidName(name);
    return services.submit(r, MetadataCommand.newBuilder().setPartition(services.partition(r, name))
            .setDeleteQueue(DeleteQueue.newBuilder().setAccount(r.path().account()).setName(name)))
        .map(result -> {
          QueueServices.requireOk(result.getStatus());
          r.end(204);
          return null;
        });
  }

  /** GET/HEAD /account/queue?comp=metadata → 200 with x-ms-meta-* and x-ms-approximate-messages-count. */
  Future<Void> getMetadata(AzureRequest r, String name) {
    return services.requireQueue(r, name, services.nowMillis()).map(q -> {
      HttpServerResponse resp = r.response(200);
      BlobHeaders.putMetadata(resp.headers(), q.getQueues(0).getMetadataMap());
      resp.putHeader("x-ms-approximate-messages-count", Long.toString(q.getApproximateMessageCount()))
          .putHeader("Content-Length", "0").end();
      return null;
    });
  }

  /** PUT /account/queue?comp=metadata → 204; replaces all the metadata. */
  Future<Void> setMetadata(AzureRequest r, String name) {
    QueueServices.requireValidName(name);
    Map<String, String> metadata = BlobHeaders.userMetadata(r.http());
    return services.submit(r, MetadataCommand.newBuilder().setPartition(services.partition(r, name))
            .setSetQueueMetadata(SetQueueMetadata.newBuilder().setAccount(r.path().account()).setName(name)
                .putAllMetadata(metadata)))
        .map(result -> {
          QueueServices.requireOk(result.getStatus());
          r.end(204);
          return null;
        });
  }

  /**
   * GET /account?comp=list: every partition's queues with the prefix after the marker, merged in
   * name order; a page of at most maxresults (5,000), NextMarker the last name when more follow.
   */
  Future<Void> list(AzureRequest r) {
    String prefix = r.queryParam("prefix");
    String marker = r.queryParam("marker");
    String maxParam = r.queryParam("maxresults");
    int max = maxResults(maxParam);
    boolean withMetadata = includesMetadata(r.queryParam("include"));
    String account = r.path().account();
    return services.metadata().fanOut(r.context(), p -> MetadataQuery.newBuilder().setPartition(p)
            .setListQueues(ListQueues.newBuilder().setAccount(account)
                .setPrefix(prefix == null ? "" : prefix)
                .setMarker(marker == null ? "" : marker)
                .setMaxResults(Math.min(max + 1, MAX_LIST_RESULTS)))
            .build())
        .map(results -> {
          List<QueueRecord> all = new ArrayList<>();
          boolean truncated = false;
          for (QueryResult q : results) {
            all.addAll(q.getQueuesList());
            truncated |= q.getTruncated();
          }
          all.sort(Comparator.comparing(QueueRecord::getName));
          List<QueueRecord> page = all.subList(0, Math.min(max, all.size()));
          String next = (all.size() > max || (truncated && !page.isEmpty())) && !page.isEmpty()
              ? page.get(page.size() - 1).getName() : null;
          List<QueueXml.WireQueue> wire = page.stream()
              .map(q -> new QueueXml.WireQueue(q.getName(), withMetadata ? q.getMetadataMap() : null))
              .toList();
          r.endXml(200, QueueXml.queuesList(QueueServices.serviceUrl(r) + "/", prefix, marker,
              maxParam == null ? null : max, wire, next));
          return null;
        });
  }

  private static int maxResults(String value) {
    if (value == null) {
      return MAX_LIST_RESULTS;
    }
    int v;
    try {
      v = Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw AzureError.INVALID_QUERY_PARAMETER_VALUE.exception(Map.of(
          "QueryParameterName", "maxresults", "QueryParameterValue", value));
    }
    if (v < 1) {
      throw AzureError.OUT_OF_RANGE_QUERY_PARAMETER_VALUE.exception(Map.of(
          "QueryParameterName", "maxresults", "QueryParameterValue", value, "MinimumAllowed", "1"));
    }
    return Math.min(v, MAX_LIST_RESULTS);
  }

  private static boolean includesMetadata(String include) {
    if (include == null || include.isEmpty()) {
      return false;
    }
    boolean metadata = false;
    for (String part : include.split(",")) {
      if (part.trim().equals("metadata")) {
        metadata = true;
      } else {
        throw AzureError.INVALID_QUERY_PARAMETER_VALUE.exception(Map.of(
            "QueryParameterName", "include", "QueryParameterValue", include));
      }
    }
    return metadata;
  }
}
