package io.cobalt.gateway.blob;

import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureRequest;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.DeleteBlob;
import io.cobalt.proto.node.v1.DeleteSnapshots;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.vertx.core.Future;

/**
 * Delete Blob → 202; 404 BlobNotFound. Only the record goes; its chunks become unreferenced and
 * are collected later by the nodes (never at once, DESIGN §6.3). Snapshots (ADR 0022):
 * {@code ?snapshot=} deletes that snapshot only; on the base blob, {@code x-ms-delete-snapshots:
 * include} deletes it with its snapshots, {@code only} its snapshots alone, and without the header
 * a blob that has snapshots is refused with 409 SnapshotsPresent.
 */
final class DeleteBlobHandler {
  private final BlobServices services;

  DeleteBlobHandler(BlobServices services) {
    this.services = services;
  }

  Future<Void> delete(AzureRequest r) {
    ResourceNames.requireBlobName(r.path().blob());
    String snapshot = SnapshotHandler.snapshotParam(r);
    DeleteSnapshots option = DeleteSnapshots.DELETE_SNAPSHOTS_UNSPECIFIED;
    String v = r.header("x-ms-delete-snapshots");
    if (v != null) {
      if (snapshot != null) {
        // Azure: the header is for the base blob only; on a snapshot it is a 400.
        throw AzureError.INVALID_HEADER_VALUE.exception("HeaderName", "x-ms-delete-snapshots");
      }
      option = switch (v) {
        case "include" -> DeleteSnapshots.DELETE_SNAPSHOTS_INCLUDE;
        case "only" -> DeleteSnapshots.DELETE_SNAPSHOTS_ONLY;
        default -> throw AzureError.INVALID_HEADER_VALUE.exception("HeaderName", "x-ms-delete-snapshots");
      };
    }
    DeleteSnapshots deleteSnapshots = option;
    io.cobalt.proto.node.v1.Condition requested = ConditionalHeaders.of(r);
    TagExpression ifTags = IndexTags.ifTags(r);
    IndexTags tags = new IndexTags(services);
    return services
        .requireContainer(r)
        .compose(container -> tags.forWrite(r, container, ifTags, requested).map(condition -> {
              DeleteBlob.Builder delete = DeleteBlob.newBuilder()
                  .setAccount(container.getAccount())
                  .setContainerId(container.getContainerId())
                  .setName(r.path().blob())
                  .setDeleteSnapshots(deleteSnapshots);
              if (snapshot != null) {
                delete.setSnapshot(snapshot);
              } else {
                delete.setCondition(condition);
              }
              MetadataCommand command =
                  MetadataCommand.newBuilder()
                      .setPartition(
                          services
                              .metadata()
                              .placement()
                              .blobPartition(container.getAccount(), container.getName(), r.path().blob()))
                      .setRequestId(r.requestId())
                      .setDeleteBlob(delete)
                      .build();
              return command;
            }))
        .compose(command -> services.metadata().submit(r.context(), command))
        .map(
            result -> {
              if (result.getStatus() == CommandStatus.NOT_FOUND) {
                throw AzureError.BLOB_NOT_FOUND.exception();
              }
              if (result.getStatus() == CommandStatus.SNAPSHOTS_PRESENT) {
                throw AzureError.SNAPSHOTS_PRESENT.exception();
              }
              services.requireWritten(r, result.getStatus());
              r.response(202).putHeader("x-ms-delete-type-permanent", "true").putHeader("Content-Length", "0").end();
              return null;
            });
  }
}
