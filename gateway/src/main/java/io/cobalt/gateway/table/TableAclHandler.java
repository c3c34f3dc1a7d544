package io.cobalt.gateway.table;

import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureException;
import io.cobalt.gateway.http.AzureRequest;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.TableAclSet;
import io.cobalt.proto.node.v1.TableAclSignedIdentifier;
import io.vertx.core.Future;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Get and Set Table ACL ({@code GET/PUT /<account>/<table>?comp=acl}): the table's stored access
 * policies, kept in its record in the Raft state machine. Account key only (a SAS gets 403).
 */
final class TableAclHandler {
  private final TableServices services;

  TableAclHandler(TableServices services) {
    this.services = services;
  }

  Future<Void> get(AzureRequest r, String name) {
    return xmlErrors(r, services.requireTable(r, name).map(table -> {
      List<AccessPolicyXml.Policy> policies = table.getAclList().stream()
          .map(i -> new AccessPolicyXml.Policy(i.getId(), i.getStart(), i.getExpiry(), i.getPermission())).toList();
      r.endXml(200, AccessPolicyXml.write(policies));
      return null;
    }));
  }

  Future<Void> set(AzureRequest r, String name) {
    return xmlErrors(r, services.requireTable(r, name).compose(table -> TableServices.readBody(r).compose(body -> {
      List<AccessPolicyXml.Policy> policies = AccessPolicyXml.parse(body.getBytes(StandardCharsets.UTF_8));
      TableAclSet.Builder set = TableAclSet.newBuilder().setAccount(table.getAccount()).setName(table.getName());
      for (AccessPolicyXml.Policy p : policies) {
        set.addIdentifiers(TableAclSignedIdentifier.newBuilder().setId(p.id()).setStart(p.start())
            .setExpiry(p.expiry()).setPermission(p.permission()));
      }
      int partition = services.metadata().placement().tablePartition(table.getAccount(), table.getName());
      return services.submit(r, MetadataCommand.newBuilder().setPartition(partition).setSetTableAcl(set));
    })).map(result -> {
      if (result.getStatus() == CommandStatus.NOT_FOUND) {
        throw AzureError.TABLE_NOT_FOUND.exception();
      }
      TableServices.requireOkStatus(result.getStatus());
      r.end(204);
      return (Void) null;
    }));
  }

  /**
   * The ACL operations speak XML, errors included (the SDKs parse them as XML), unlike the rest of
   * the Table service. A 413 is left to the pipeline, which drains the unread body.
   */
  private static Future<Void> xmlErrors(AzureRequest r, Future<Void> operation) {
    return operation.recover(t -> {
      if (t instanceof AzureException e && e.error() != AzureError.REQUEST_BODY_TOO_LARGE
          && !r.http().response().ended()) {
        r.endError(e);
        return Future.succeededFuture();
      }
      return Future.failedFuture(t);
    });
  }

}
