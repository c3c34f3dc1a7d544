package io.cobalt.gateway.encryption;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.google.protobuf.ByteString;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.ChunkRef;
import io.cobalt.proto.node.v1.StreamRef;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class ManifestCodecTest {
  static BlobRecord record() {
    return BlobRecord.newBuilder()
        .setAccount("acct")
        .setName("b")
        .setContentLength(5)
        .setContentType("text/plain")
        .addStreams(
            StreamRef.newBuilder()
                .setStreamId(ByteString.copyFrom(new byte[16]))
                .setPlaintextLength(5)
                .setDekIndex(0)
                .addChunks(
                    ChunkRef.newBuilder()
                        .setChunkId(ByteString.copyFrom(new byte[32]))
                        .setPlaintextLength(5)
                        .setCiphertextLength(69)
                        .addReplicas("node-a")))
        .build();
  }

  @Test
  void encodesTheManifestByteForByte() {
    String expected =
        HexFormat.of().formatHex("cobalt-manifest-v1".getBytes())
            + "0000000000000005" // content_length
            + "00000001" // streams
            + "00000010" + "00".repeat(16) // stream id
            + "0000000000000005" + "00000000" + "00000001" // plaintext length, dek index, chunks
            + "00000020" + "00".repeat(32) + "00000005"; // chunk id, plaintext length
    assertArrayEquals(HexFormat.of().parseHex(expected), ManifestCodec.canonical(record()));
  }

  @Test
  void ignoresReplicasAndPropertiesButNotTheChunkList() {
    byte[] base = ManifestCodec.canonical(record());
    BlobRecord healed = record().toBuilder()
        .setStreams(0, record().getStreams(0).toBuilder()
            .setChunks(0, record().getStreams(0).getChunks(0).toBuilder().clearReplicas().addReplicas("node-z")))
        .setContentType("other")
        .build();
    assertArrayEquals(base, ManifestCodec.canonical(healed));
    BlobRecord other = record().toBuilder().setContentLength(6).build();
    assertFalse(Arrays.equals(base, ManifestCodec.canonical(other)));
    byte[] id = new byte[32];
    id[31] = 1;
    BlobRecord swapped = record().toBuilder()
        .setStreams(0, record().getStreams(0).toBuilder()
            .setChunks(0, record().getStreams(0).getChunks(0).toBuilder().setChunkId(ByteString.copyFrom(id))))
        .build();
    assertFalse(Arrays.equals(base, ManifestCodec.canonical(swapped)));
  }
}
