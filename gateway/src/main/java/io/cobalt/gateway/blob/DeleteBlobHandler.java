package io.cobalt.gateway.blob;

import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureRequest;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.DeleteBlob;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.vertx.core.Future;

/**
 * Delete Blob → 202; 404 BlobNotFound. Only the record goes; its chunks become unreferenced and
 * are collected later by the nodes (never at once, DESIGN §6.3).
 */
final class DeleteBlobHandler {
  private final BlobServices services;

  DeleteBlobHandler(BlobServices services) {
    this.services = services;
  }

  Future<Void> delete(AzureRequest r) {
    ResourceNames.requireBlobName(r.path().blob());
    if (r.header("x-ms-delete-snapshots") != null) {
      // No snapshots exist yet; "include"/"only" are both trivially satisfied.
      String v = r.header("x-ms-delete-snapshots");
      if (!v.equals("include") && !v.equals("only")) {
        throw AzureError.INVALID_HEADER_VALUE.exception("HeaderName", "x-ms-delete-snapshots");
      }
    }
    io.cobalt.proto.node.v1.Condition requested = ConditionalHeaders.of(r);
    TagExpression ifTags = IndexTags.ifTags(r);
    IndexTags tags = new IndexTags(services);
    return services
        .requireContainer(r)
        .compose(container -> tags.forWrite(r, container, ifTags, requested).map(condition -> {
              MetadataCommand command =
                  MetadataCommand.newBuilder()
                      .setPartition(
                          services
                              .metadata()
                              .placement()
                              .blobPartition(container.getAccount(), container.getName(), r.path().blob()))
                      .setRequestId(r.requestId())
                      .setDeleteBlob(
                          DeleteBlob.newBuilder()
                              .setAccount(container.getAccount())
                              .setContainerId(container.getContainerId())
                              .setName(r.path().blob())
                              .setCondition(condition))
                      .build();
              return command;
            }))
        .compose(command -> services.metadata().submit(r.context(), command))
        .map(
            result -> {
              if (result.getStatus() == CommandStatus.NOT_FOUND) {
                throw AzureError.BLOB_NOT_FOUND.exception();
              }
              services.requireWritten(r, result.getStatus());
              r.response(202).putHeader("x-ms-delete-type-permanent", "true").putHeader("Content-Length", "0").end();
              return null;
            });
  }
}
