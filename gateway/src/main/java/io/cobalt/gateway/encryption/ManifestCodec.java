package io.cobalt.gateway.encryption;

import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.ChunkRef;
import io.cobalt.proto.node.v1.StreamRef;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The canonical bytes of a blob version's manifest, over which {@code ManifestMac} is computed.
 * Deterministic and independent of protobuf's serialisation (which does not promise a canonical
 * form). Big-endian, every variable-length field length-prefixed:
 *
 * <pre>
 * "cobalt-manifest-v1" (18 bytes, no prefix)
 * u64 content_length
 * u32 stream count
 * per stream:  u32 len ‖ stream_id, u64 plaintext_length, u32 dek_index, u32 chunk count,
 *              per chunk: u32 len ‖ chunk_id, u32 plaintext_length
 * </pre>
 *
 * Not covered: the replica lists (healing changes them), properties and user metadata (they are
 * system properties that must stay readable and changeable without the customer's key).
 */
public final class ManifestCodec {
  private static final byte[] MAGIC = "cobalt-manifest-v1".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  private ManifestCodec() {}

  public static byte[] canonical(BlobRecord record) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + record.getStreamsCount() * 64);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.write(MAGIC);
      out.writeLong(record.getContentLength());
      out.writeInt(record.getStreamsCount());
      for (StreamRef stream : record.getStreamsList()) {
        byte[] streamId = stream.getStreamId().toByteArray();
        out.writeInt(streamId.length);
        out.write(streamId);
        out.writeLong(stream.getPlaintextLength());
        out.writeInt(stream.getDekIndex());
        out.writeInt(stream.getChunksCount());
        for (ChunkRef chunk : stream.getChunksList()) {
          byte[] chunkId = chunk.getChunkId().toByteArray();
          out.writeInt(chunkId.length);
          out.write(chunkId);
          out.writeInt(chunk.getPlaintextLength());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }
}
