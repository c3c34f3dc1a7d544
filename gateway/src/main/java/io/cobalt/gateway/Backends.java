package io.cobalt.gateway;

import io.cobalt.gateway.encryption.KeyClient;
import io.cobalt.gateway.nodeclient.ChunkClient;
import io.cobalt.gateway.nodeclient.MetadataClient;
import java.util.Objects;

/**
 * The three things the gateway talks to, behind interfaces: the nodes' chunk and metadata services
 * and the kms-agent. {@link GatewayServer#start(GatewayConfig)} builds the gRPC ones; tests inject
 * fakes. {@code onClose} releases whatever the backends hold (channels); it may be a no-op.
 */
public record Backends(ChunkClient chunks, MetadataClient metadata, KeyClient keys, AutoCloseable onClose) {
  public Backends {
    Objects.requireNonNull(chunks, "chunks");
    Objects.requireNonNull(metadata, "metadata");
    Objects.requireNonNull(keys, "keys");
    onClose = onClose == null ? () -> {} : onClose;
  }

  public Backends(ChunkClient chunks, MetadataClient metadata, KeyClient keys) {
    this(chunks, metadata, keys, null);
  }
}
