package io.cobalt.gateway.blob;

import io.cobalt.gateway.encryption.BlobCipher;
import io.cobalt.gateway.encryption.KeyClient;
import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureRequest;
import io.cobalt.gateway.nodeclient.ReplicatedChunkStore;
import io.cobalt.gateway.placement.MetadataRouter;
import io.cobalt.proto.node.v1.ContainerRecord;
import io.vertx.core.Future;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;

/**
 * What the Blob handlers work with: metadata routing, replicated chunks, keys, the crypto pool,
 * the clock and randomness, and the limits.
 *
 * @param maxPutBlobBytes largest Put Blob body
 * @param maxInFlightChunksPerRequest chunks of one request being sealed/written at once (2)
 */
public record BlobServices(
    MetadataRouter metadata,
    ReplicatedChunkStore chunks,
    KeyClient keys,
    BlobCipher cipher,
    Clock clock,
    SecureRandom random,
    long maxPutBlobBytes,
    int maxInFlightChunksPerRequest) {

  /** The container named by the request, failing with 404 ContainerNotFound. */
  Future<ContainerRecord> requireContainer(AzureRequest r) {
    return metadata
        .container(r.context(), r.path().account(), r.path().container())
        .map(
            c -> {
              if (c == null) {
                throw AzureError.CONTAINER_NOT_FOUND.exception();
              }
              return c;
            });
  }

  /** A fresh Azure-style ETag, quoted: {@code "0x<16 hex digits>"}. */
  String newEtag() {
    byte[] b = new byte[8];
    random.nextBytes(b);
    return "\"0x" + HexFormat.of().withUpperCase().formatHex(b) + "\"";
  }
}
