package io.cobalt.crypto.chunk;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * What a chunk is bound to through its key derivation: the account name, the 16-byte immutable
 * object id, the 16-byte random stream id (never the client's block id) and the chunk's index
 * within its stream. A chunk opened under any other identity fails authentication.
 *
 * <p>The arrays are copied on the way in and on the way out; equality is by content.
 *
 * @param account account name, 1..{@value #MAX_ACCOUNT_BYTES} bytes of UTF-8
 * @param objectId immutable internal object id, exactly {@value #OBJECT_ID_LENGTH} bytes
 * @param streamId random stream id, exactly {@value #STREAM_ID_LENGTH} bytes
 * @param chunkIndex index of the chunk in its stream, 0..2^31−1 (encoded as uint32)
 */
public record ChunkIdentity(String account, byte[] objectId, byte[] streamId, int chunkIndex) {
  public static final int OBJECT_ID_LENGTH = 16;
  public static final int STREAM_ID_LENGTH = 16;
  public static final int MAX_ACCOUNT_BYTES = 255;

  public ChunkIdentity {
    Objects.requireNonNull(account, "account");
    Objects.requireNonNull(objectId, "objectId");
    Objects.requireNonNull(streamId, "streamId");
    int accountBytes = account.getBytes(StandardCharsets.UTF_8).length;
    if (accountBytes == 0 || accountBytes > MAX_ACCOUNT_BYTES) {
      throw new IllegalArgumentException(
          "account must be 1.." + MAX_ACCOUNT_BYTES + " bytes of UTF-8, was " + accountBytes);
    }
    if (objectId.length != OBJECT_ID_LENGTH) {
      throw new IllegalArgumentException(
          "objectId must be " + OBJECT_ID_LENGTH + " bytes, was " + objectId.length);
    }
    if (streamId.length != STREAM_ID_LENGTH) {
      throw new IllegalArgumentException(
          "streamId must be " + STREAM_ID_LENGTH + " bytes, was " + streamId.length);
    }
    if (chunkIndex < 0) {
      throw new IllegalArgumentException("chunkIndex must be >= 0, was " + chunkIndex);
    }
    objectId = objectId.clone();
    streamId = streamId.clone();
  }

  /** A copy of the object id. */
  @Override
  public byte[] objectId() {
    return objectId.clone();
  }

  /** A copy of the stream id. */
  @Override
  public byte[] streamId() {
    return streamId.clone();
  }

  /** Same identity, another chunk index. */
  public ChunkIdentity withChunkIndex(int index) {
    return new ChunkIdentity(account, objectId, streamId, index);
  }

  // Package-private, copy-free access for key derivation.
  byte[] objectIdRef() {
    return objectId;
  }

  byte[] streamIdRef() {
    return streamId;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ChunkIdentity other
        && chunkIndex == other.chunkIndex
        && account.equals(other.account)
        && Arrays.equals(objectId, other.objectId)
        && Arrays.equals(streamId, other.streamId);
  }

  @Override
  public int hashCode() {
    int h = account.hashCode();
    h = 31 * h + Arrays.hashCode(objectId);
    h = 31 * h + Arrays.hashCode(streamId);
    return 31 * h + chunkIndex;
  }

  @Override
  public String toString() {
    HexFormat hex = HexFormat.of();
    return "ChunkIdentity[account=" + account
        + ", objectId=" + hex.formatHex(objectId)
        + ", streamId=" + hex.formatHex(streamId)
        + ", chunkIndex=" + chunkIndex + "]";
  }
}
