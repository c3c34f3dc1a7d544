package io.cobalt.node.partition;

import com.google.protobuf.ByteString;
import io.cobalt.proto.kms.v1.WrappedKey;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.ChunkRef;
import io.cobalt.proto.node.v1.ContainerRecord;
import io.cobalt.proto.node.v1.CreateContainer;
import io.cobalt.proto.node.v1.DeleteBlob;
import io.cobalt.proto.node.v1.DeleteContainer;
import io.cobalt.proto.node.v1.GetBlob;
import io.cobalt.proto.node.v1.GetContainer;
import io.cobalt.proto.node.v1.ListBlobs;
import io.cobalt.proto.node.v1.ListContainers;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.PutBlob;
import io.cobalt.proto.node.v1.StreamRef;
import java.nio.ByteBuffer;

/** Builders of metadata commands, queries and records for tests. */
public final class Records {
  private Records() {}

  /** A 16-byte id whose value is {@code n}, so tests stay deterministic. */
  public static ByteString id(long n) {
    return ByteString.copyFrom(ByteBuffer.allocate(16).putLong(8, n).array());
  }

  public static ContainerRecord container(String account, String name, long containerId) {
    return ContainerRecord.newBuilder()
        .setAccount(account)
        .setName(name)
        .setContainerId(id(containerId))
        .setCreatedEpochMillis(1_700_000_000_000L)
        .setLastModifiedEpochMillis(1_700_000_000_000L)
        .setEtag("\"0x1\"")
        .putMetadata("owner", "tests")
        .build();
  }

  /** A blob with a manifest, a wrapped key and a MAC, so listings can be checked for leaving them out. */
  public static BlobRecord blob(String account, ByteString containerId, String name, long version) {
    return BlobRecord.newBuilder()
        .setAccount(account)
        .setContainer("c")
        .setContainerId(containerId)
        .setName(name)
        .setObjectId(id(1000 + version))
        .setVersionId(id(version))
        .setContentLength(5)
        .setContentType("text/plain")
        .setEtag("\"0x" + version + "\"")
        .setBlobType("BlockBlob")
        .addDeks(WrappedKey.newBuilder().setKeyId("account/" + account).setKeyVersion(1)
            .setCiphertext(ByteString.copyFrom(new byte[60])))
        .addStreams(StreamRef.newBuilder()
            .setStreamId(id(7))
            .setPlaintextLength(5)
            .addChunks(ChunkRef.newBuilder().setChunkId(ByteString.copyFrom(new byte[32])).addReplicas("n1")))
        .setManifestMac(ByteString.copyFrom(new byte[32]))
        .build();
  }

  public static MetadataCommand create(int partition, ContainerRecord c) {
    return MetadataCommand.newBuilder().setPartition(partition)
        .setCreateContainer(CreateContainer.newBuilder().setContainer(c)).build();
  }

  public static MetadataCommand deleteContainer(int partition, String account, String name) {
    return MetadataCommand.newBuilder().setPartition(partition)
        .setDeleteContainer(DeleteContainer.newBuilder().setAccount(account).setName(name)).build();
  }

  public static MetadataCommand put(int partition, BlobRecord b) {
    return MetadataCommand.newBuilder().setPartition(partition).setPutBlob(PutBlob.newBuilder().setBlob(b)).build();
  }

  public static MetadataCommand deleteBlob(int partition, String account, ByteString containerId, String name) {
    return MetadataCommand.newBuilder().setPartition(partition)
        .setDeleteBlob(DeleteBlob.newBuilder().setAccount(account).setContainerId(containerId).setName(name)).build();
  }

  public static MetadataQuery getContainer(int partition, String account, String name) {
    return MetadataQuery.newBuilder().setPartition(partition)
        .setGetContainer(GetContainer.newBuilder().setAccount(account).setName(name)).build();
  }

  public static MetadataQuery listContainers(int partition, String account, String prefix, String marker, int max) {
    return MetadataQuery.newBuilder().setPartition(partition)
        .setListContainers(ListContainers.newBuilder().setAccount(account).setPrefix(prefix).setMarker(marker)
            .setMaxResults(max)).build();
  }

  public static MetadataQuery getBlob(int partition, String account, ByteString containerId, String name) {
    return MetadataQuery.newBuilder().setPartition(partition)
        .setGetBlob(GetBlob.newBuilder().setAccount(account).setContainerId(containerId).setName(name)).build();
  }

  public static MetadataQuery listBlobs(
      int partition, String account, ByteString containerId, String prefix, String marker, int max) {
    return MetadataQuery.newBuilder().setPartition(partition)
        .setListBlobs(ListBlobs.newBuilder().setAccount(account).setContainerId(containerId).setPrefix(prefix)
            .setMarker(marker).setMaxResults(max)).build();
  }
}
