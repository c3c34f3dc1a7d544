package io.cobalt.node.storage;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.ContainerRecord;
import io.cobalt.proto.node.v1.EntityBatchPart;
import io.cobalt.proto.node.v1.EntityRecord;
import io.cobalt.proto.node.v1.MessageRecord;
import io.cobalt.proto.node.v1.QueueRecord;
import io.cobalt.proto.node.v1.ServicePropertiesRecord;
import io.cobalt.proto.node.v1.SubmitRecord;
import io.cobalt.proto.node.v1.TableRecord;
import io.cobalt.proto.node.v1.UncommittedBlock;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The whole state of one partition as a file: what a Raft snapshot holds and what a lagging or new
 * replica installs. Store-independent: the image is the list of records that rebuild the state
 * from empty ({@link StateChange.PutContainer}, {@link StateChange.PutBlob},
 * {@link StateChange.PutSnapshot}, {@link StateChange.StageBlock}, {@link StateChange.PutTable}, {@link StateChange.PutEntity}, {@link StateChange.PutQueue}, {@link StateChange.ChangeMessages} with one put), so any {@link MetadataStore} writes and reads it.
 *
 * <pre>
 * "CBPI" | u8 version (1) | u32 partition | u64 applied index
 * then records, each: u8 kind | fields
 *   'C': u32 length | ContainerRecord
 *   'B': u32 length | BlobRecord
 *   'N': u32 length | BlobRecord of a blob snapshot (its snapshot field set; ADR 0022)
 *   'U': u16 length | account (UTF-8) | u16 length | container id | u32 length | blob name (UTF-8)
 *        | u32 length | UncommittedBlock
 *   'T': u32 length | TableRecord
 *   'Y': u32 length | EntityRecord (its properties stay sealed by the gateway)
 *   'Q': u32 length | QueueRecord
 *   'S': u32 length | ServicePropertiesRecord
 *   'M': u32 length | MessageRecord (its body stays sealed by the gateway)
 *   'R': u32 length | SubmitRecord (a remembered submit id and its result, ADR 0024)
 *   'P': u32 length | EntityBatchPart (a staged part of a large transaction, ADR 0025)
 *   'a': u32 length | StagedBlobRecord (a blob with uncommitted blocks, ADR 0026)
 * 'E' | u64 record count | SHA-256 of every byte before it (32 bytes)
 * </pre>
 *
 * Integers are big-endian. A reader checks magic, version, partition, every length against its
 * limit, the count and the digest before it returns anything: a truncated, extended or altered
 * image is refused whole. Holds no secret: records carry wrapped keys only.
 */
public final class PartitionImage {
  static final byte[] MAGIC = {'C', 'B', 'P', 'I'};
  static final int VERSION = 1;
  /** A record (one protobuf message) in an image is at most this long. */
  public static final int MAX_RECORD_BYTES = 16 * 1024 * 1024;
  private static final int MAX_NAME_BYTES = 64 * 1024;

  /** An image's contents, digest verified. */
  public record Contents(int partition, long appliedIndex, List<StateChange> records) {}

  private PartitionImage() {}

  /** Writes an image; {@code records} must each be PutContainer, PutBlob, StageBlock, PutTable or PutEntity. */
  public static void write(OutputStream out, int partition, long appliedIndex, Iterable<StateChange> records)
      throws IOException {
    MessageDigest sha = sha256();
    DataOutputStream o = new DataOutputStream(new DigestOutputStream(out, sha));
    o.write(MAGIC);
    o.writeByte(VERSION);
    o.writeInt(partition);
    o.writeLong(appliedIndex);
    long count = 0;
    for (StateChange r : records) {
      if (r instanceof StateChange.PutContainer c) {
        o.writeByte('C');
        bytes(o, c.container().toByteArray());
      } else if (r instanceof StateChange.PutBlob b) {
        o.writeByte('B');
        bytes(o, b.blob().toByteArray());
      } else if (r instanceof StateChange.PutSnapshot sn) {
        o.writeByte('N');
        bytes(o, sn.snapshot().toByteArray());
      } else if (r instanceof StateChange.PutTable t) {
        o.writeByte('T');
        bytes(o, t.table().toByteArray());
      } else if (r instanceof StateChange.PutEntity e) {
        o.writeByte('Y');
        bytes(o, e.entity().toByteArray());
      } else if (r instanceof StateChange.PutQueue q) {
        o.writeByte('Q');
        bytes(o, q.queue().toByteArray());
      } else if (r instanceof StateChange.PutServiceProperties sp) {
        o.writeByte('S');
        bytes(o, sp.properties().toByteArray());
      } else if (r instanceof StateChange.ChangeMessages m && m.put().size() == 1 && m.removed().isEmpty()) {
        o.writeByte('M');
        bytes(o, m.put().get(0).toByteArray());
      } else if (r instanceof StateChange.PutBatchPart bp) {
        o.writeByte('P');
        bytes(o, bp.part().toByteArray());
      } else if (r instanceof StateChange.PutStagedBlob ps) {
        o.writeByte('a');
        bytes(o, ps.record().toByteArray());
      } else if (r instanceof StateChange.RememberSubmit rs) {
        o.writeByte('R');
        bytes(o, rs.record().toByteArray());
      } else if (r instanceof StateChange.StageBlock s) {
        o.writeByte('U');
        shortBytes(o, s.account().getBytes(StandardCharsets.UTF_8));
        shortBytes(o, s.containerId().toByteArray());
        bytes(o, s.name().getBytes(StandardCharsets.UTF_8));
        bytes(o, s.block().toByteArray());
      } else {
        throw new IllegalArgumentException("not an image record: " + r.getClass().getSimpleName());
      }
      count++;
    }
    o.writeByte('E');
    o.writeLong(count);
    o.flush();
    out.write(sha.digest());
    out.flush();
  }

  /**
   * Reads and verifies a whole image of {@code expectedPartition}.
   *
   * @throws IOException if the image is malformed, truncated, for another partition or altered
   */
  public static Contents read(InputStream in, int expectedPartition) throws IOException {
    MessageDigest sha = sha256();
    DataInputStream i = new DataInputStream(new DigestInputStream(in, sha));
    try {
      byte[] magic = i.readNBytes(4);
      if (!Arrays.equals(magic, MAGIC)) {
        throw new IOException("not a partition image");
      }
      int version = i.readUnsignedByte();
      if (version != VERSION) {
        throw new IOException("unsupported partition image version " + version);
      }
      int partition = i.readInt();
      if (partition != expectedPartition) {
        throw new IOException("image of partition " + Integer.toUnsignedString(partition) + ", expected "
            + expectedPartition);
      }
      long appliedIndex = i.readLong();
      List<StateChange> records = new ArrayList<>();
      while (true) {
        int kind = i.readUnsignedByte();
        switch (kind) {
          case 'C' -> records.add(new StateChange.PutContainer(ContainerRecord.parseFrom(bytes(i, MAX_RECORD_BYTES))));
          case 'B' -> records.add(new StateChange.PutBlob(BlobRecord.parseFrom(bytes(i, MAX_RECORD_BYTES))));
          case 'N' -> {
            BlobRecord snapshot = BlobRecord.parseFrom(bytes(i, MAX_RECORD_BYTES));
            if (snapshot.getSnapshot().isEmpty()) {
              throw new IOException("partition image holds a snapshot record without its snapshot time");
            }
            records.add(new StateChange.PutSnapshot(snapshot));
          }
          case 'T' -> records.add(new StateChange.PutTable(TableRecord.parseFrom(bytes(i, MAX_RECORD_BYTES))));
          case 'Y' -> records.add(new StateChange.PutEntity(EntityRecord.parseFrom(bytes(i, MAX_RECORD_BYTES))));
          case 'Q' -> records.add(new StateChange.PutQueue(QueueRecord.parseFrom(bytes(i, MAX_RECORD_BYTES))));
          case 'S' -> records.add(new StateChange.PutServiceProperties(
              ServicePropertiesRecord.parseFrom(bytes(i, MAX_RECORD_BYTES))));
          case 'M' -> records.add(new StateChange.ChangeMessages(
              List.of(MessageRecord.parseFrom(bytes(i, MAX_RECORD_BYTES))), List.of()));
          case 'P' -> records.add(new StateChange.PutBatchPart(EntityBatchPart.parseFrom(bytes(i, MAX_RECORD_BYTES))));
          case 'R' -> records.add(new StateChange.RememberSubmit(SubmitRecord.parseFrom(bytes(i, MAX_RECORD_BYTES))));
          case 'a' -> records.add(new StateChange.PutStagedBlob(
              io.cobalt.proto.node.v1.StagedBlobRecord.parseFrom(bytes(i, MAX_RECORD_BYTES))));
          case 'U' -> {
            String account = new String(shortBytes(i), StandardCharsets.UTF_8);
            ByteString containerId = ByteString.copyFrom(shortBytes(i));
            String name = new String(bytes(i, MAX_NAME_BYTES), StandardCharsets.UTF_8);
            UncommittedBlock block = UncommittedBlock.parseFrom(bytes(i, MAX_RECORD_BYTES));
            records.add(new StateChange.StageBlock(account, containerId, name, block));
          }
          case 'E' -> {
            long count = i.readLong();
            byte[] expected = sha.digest();
            byte[] actual = in.readNBytes(expected.length);
            if (count != records.size() || !MessageDigest.isEqual(expected, actual)) {
              throw new IOException("partition image fails its digest or record count");
            }
            if (in.read() != -1) {
              throw new IOException("bytes after the end of a partition image");
            }
            return new Contents(partition, appliedIndex, records);
          }
          default -> throw new IOException("unknown record kind " + kind + " in a partition image");
        }
      }
    } catch (EOFException e) {
      throw new IOException("partition image is truncated", e);
    } catch (InvalidProtocolBufferException e) {
      throw new IOException("partition image holds a malformed record", e);
    }
  }

  private static void bytes(DataOutputStream o, byte[] b) throws IOException {
    if (b.length > MAX_RECORD_BYTES) {
      throw new IOException("record of " + b.length + " bytes exceeds the image limit");
    }
    o.writeInt(b.length);
    o.write(b);
  }

  private static void shortBytes(DataOutputStream o, byte[] b) throws IOException {
    if (b.length > 0xFFFF) {
      throw new IOException("field of " + b.length + " bytes exceeds 65535");
    }
    o.writeShort(b.length);
    o.write(b);
  }

  private static byte[] bytes(DataInputStream i, int limit) throws IOException {
    int n = i.readInt();
    if (n < 0 || n > limit) {
      throw new IOException("record length " + Integer.toUnsignedString(n) + " out of bounds in a partition image");
    }
    byte[] b = i.readNBytes(n);
    if (b.length != n) {
      throw new EOFException();
    }
    return b;
  }

  private static byte[] shortBytes(DataInputStream i) throws IOException {
    int n = i.readUnsignedShort();
    byte[] b = i.readNBytes(n);
    if (b.length != n) {
      throw new EOFException();
    }
    return b;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from the JDK", e);
    }
  }
}
