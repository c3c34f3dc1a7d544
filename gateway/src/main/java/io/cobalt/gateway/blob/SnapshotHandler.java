package io.cobalt.gateway.blob;

import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureRequest;
import io.cobalt.gateway.http.HttpDates;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.Condition;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.SnapshotBlob;
import io.vertx.core.Future;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Snapshot Blob (PUT {@code ?comp=snapshot}) → 201 with {@code x-ms-snapshot}, and the rules of the
 * {@code snapshot} query parameter on other requests (ADR 0022). A snapshot is a read-only copy of
 * the blob's record made at the apply step: it shares the blob's chunks and wrapped DEKs, so no
 * data is read, copied or re-encrypted, and no key is unwrapped (the key's state is checked, as
 * for any metadata write).
 */
final class SnapshotHandler {
  /** Azure's snapshot time: ISO-8601 UTC with exactly 7 fractional digits. */
  private static final Pattern FORMAT = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{7}Z");
  static final DateTimeFormatter SNAPSHOT_TIME =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSSS'Z'").withZone(ZoneOffset.UTC);

  private final BlobServices services;

  SnapshotHandler(BlobServices services) {
    this.services = services;
  }

  /**
   * The request's {@code snapshot} parameter: null when absent; 400 InvalidQueryParameterValue if
   * it is not a snapshot time as Azure writes it.
   */
  static String snapshotParam(AzureRequest r) {
    String v = r.queryParam("snapshot");
    if (v == null) {
      return null;
    }
    if (!isSnapshotTime(v)) {
      throw AzureError.INVALID_QUERY_PARAMETER_VALUE.exception(
          Map.of("QueryParameterName", "snapshot", "QueryParameterValue", v.length() > 64 ? v.substring(0, 64) : v));
    }
    return v;
  }

  static boolean isSnapshotTime(String v) {
    if (v.length() != 28 || !FORMAT.matcher(v).matches()) {
      return false;
    }
    try {
      return SNAPSHOT_TIME.format(Instant.parse(v)).equals(v);
    } catch (DateTimeParseException e) {
      return false;
    }
  }

  /**
   * A snapshot is read-only: any write naming one is refused with 400 InvalidQueryParameterValue
   * on {@code snapshot}, before anything is read.
   */
  static void refuseOnSnapshot(AzureRequest r) {
    if (r.queryParam("snapshot") != null) {
      throw AzureError.INVALID_QUERY_PARAMETER_VALUE.exception("QueryParameterName", "snapshot");
    }
  }

  Future<Void> snapshot(AzureRequest r) {
    ResourceNames.requireBlobName(r.path().blob());
    refuseOnSnapshot(r);
    Condition condition = ConditionalHeaders.of(r);
    Map<String, String> metadata = BlobHeaders.userMetadata(r.http());
    String time = SNAPSHOT_TIME.format(services.clock().instant());
    return services.requireContainer(r)
        .compose(container -> services.metadata().blob(r.context(), container, r.path().blob())
            .compose(blob -> blob == null ? Future.<Void>succeededFuture() : services.requireKeyUsable(r, blob))
            .map(v -> container))
        .compose(container -> {
          SnapshotBlob.Builder cmd = SnapshotBlob.newBuilder()
              .setAccount(container.getAccount())
              .setContainerId(container.getContainerId())
              .setName(r.path().blob())
              .setSnapshot(time)
              .setCondition(condition);
          if (!metadata.isEmpty()) {
            cmd.setSetMetadata(true).putAllMetadata(metadata);
          }
          return services.metadata().submit(r.context(), MetadataCommand.newBuilder()
              .setPartition(services.blobPartition(container, r.path().blob()))
              .setRequestId(r.requestId())
              .setSnapshotBlob(cmd)
              .build());
        })
        .map(result -> {
          if (result.getStatus() == CommandStatus.SNAPSHOT_COUNT_EXCEEDED) {
            throw AzureError.SNAPSHOT_COUNT_EXCEEDED.exception();
          }
          services.requireWritten(r, result.getStatus());
          BlobRecord s = result.getBlob();
          r.response(201)
              .putHeader("x-ms-snapshot", s.getSnapshot())
              .putHeader("ETag", s.getEtag())
              .putHeader("Last-Modified", HttpDates.rfc1123(s.getLastModifiedEpochMillis()))
              .putHeader("x-ms-request-server-encrypted", "true")
              .putHeader("Content-Length", "0")
              .end();
          return null;
        });
  }
}
