package io.cobalt.gateway.queue;

import io.cobalt.gateway.http.AzureRequest;
import io.cobalt.gateway.table.AccessPolicyXml;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.QueueAclSet;
import io.cobalt.proto.node.v1.QueueAclSignedIdentifier;
import io.vertx.core.Future;
import java.util.List;

/**
 * Get and Set Queue ACL ({@code GET/PUT /<account>/<queue>?comp=acl}): the queue's stored access
 * policies, kept in its record in the Raft state machine. Account key only (a SAS gets 403).
 */
final class QueueAclHandler {
  private final QueueServices services;

  QueueAclHandler(QueueServices services) {
    this.services = services;
  }

  Future<Void> get(AzureRequest r, String name) {
    return services.requireQueue(r, name, services.nowMillis()).map(q -> {
      List<AccessPolicyXml.Policy> policies = q.getQueues(0).getAclList().stream()
          .map(i -> new AccessPolicyXml.Policy(i.getId(), i.getStart(), i.getExpiry(), i.getPermission())).toList();
      r.endXml(200, AccessPolicyXml.write(policies));
      return null;
    });
  }

  Future<Void> set(AzureRequest r, String name) {
    QueueServices.requireValidName(name);
    return QueueServices.readBody(r).compose(body -> {
      QueueAclSet.Builder set = QueueAclSet.newBuilder().setAccount(r.path().account()).setName(name);
      for (AccessPolicyXml.Policy p : AccessPolicyXml.parse(body)) {
        set.addIdentifiers(QueueAclSignedIdentifier.newBuilder().setId(p.id()).setStart(p.start())
            .setExpiry(p.expiry()).setPermission(p.permission()));
      }
      return services.submit(r, MetadataCommand.newBuilder().setPartition(services.partition(r, name))
          .setSetQueueAcl(set));
    }).map(result -> {
      QueueServices.requireOk(result.getStatus());
      r.end(204);
      return null;
    });
  }
}
