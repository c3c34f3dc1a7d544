package io.cobalt.node.storage.rocksdb;

import com.google.protobuf.ByteString;
import io.cobalt.node.storage.StateChange;
import io.cobalt.node.storage.StorageException;
import io.cobalt.proto.node.v1.UncommittedBlock;
import io.cobalt.proto.node.v1.StorageServiceKind;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Keys of the {@code meta} column family (layout: {@code io.cobalt.node.storage} package docs).
 * Every key starts with the partition number as uint32 big-endian, then a one-byte record type.
 */
final class MetaKeys {
  static final byte CONTAINER = 'C';
  static final byte BLOB = 'B';
  static final byte APPLIED_INDEX = 'I';
  static final byte UNCOMMITTED = 'U';
  static final byte TABLE = 'T';
  static final byte ENTITY = 'Y';
  static final byte QUEUE = 'Q';
  static final byte MESSAGE = 'M';
  static final byte SERVICE_PROPERTIES = 'S';
  /** A remembered submit, by submit id (ADR 0024). */
  static final byte SUBMIT = 'R';
  /** The time index of remembered submits: submit time, then submit id; empty values. */
  static final byte SUBMIT_TIME = 'X';
  /** A staged part of a large entity-group transaction: time, batch id, part index (ADR 0025). */
  static final byte BATCH_PART = 'P';
  static final byte SNAPSHOT = 'N';
  /**
   * Staged blobs (ADR 0026): {@code 'a' | 'n' | ...} a blob's record by name, {@code 'a' | 't' | ...}
   * the index by last staged time.
   */
  static final byte STAGED = 'a';
  static final byte STAGED_NAME = 'n';
  static final byte STAGED_TIME = 't';
  private static final byte SEPARATOR = 0;
  private static final int CONTAINER_ID_BYTES = 16;

  private MetaKeys() {}

  /** Every key of one partition starts with this. */
  static byte[] partition(int partition) {
    return ByteBuffer.allocate(4).putInt(partition).array();
  }

  /** The uncommitted block whose key is {@code key} and value {@code block}, as the change that stages it. */
  static StateChange.StageBlock parseUncommitted(byte[] key, UncommittedBlock block) {
    int at = 5;
    int zero = at;
    while (zero < key.length && key[zero] != SEPARATOR) {
      zero++;
    }
    if (zero + 1 + CONTAINER_ID_BYTES + 4 > key.length) {
      throw new StorageException("corrupt uncommitted block key");
    }
    String account = new String(key, at, zero - at, StandardCharsets.UTF_8);
    ByteString containerId = ByteString.copyFrom(key, zero + 1, CONTAINER_ID_BYTES);
    int nameAt = zero + 1 + CONTAINER_ID_BYTES + 4;
    int nameLength = ByteBuffer.wrap(key, zero + 1 + CONTAINER_ID_BYTES, 4).getInt();
    if (nameLength < 0 || nameAt + nameLength > key.length) {
      throw new StorageException("corrupt uncommitted block key");
    }
    String name = new String(key, nameAt, nameLength, StandardCharsets.UTF_8);
    int partition = ByteBuffer.wrap(key, 0, 4).getInt();
    if (!Arrays.equals(key, uncommitted(partition, account, containerId, name, block.getBlockId()))) {
      throw new StorageException("uncommitted block key does not match its record");
    }
    return new StateChange.StageBlock(account, containerId, name, block);
  }

  static byte[] appliedIndex(int partition) {
    return ByteBuffer.allocate(5).putInt(partition).put(APPLIED_INDEX).array();
  }

  /** {@code p | 'C' | account | 0x00}: every container of one account starts with this. */
  static byte[] containersOf(int partition, String account) {
    ByteArrayOutputStream out = start(partition, CONTAINER);
    out.writeBytes(utf8(account));
    out.write(SEPARATOR);
    return out.toByteArray();
  }

  static byte[] container(int partition, String account, String name) {
    return concat(containersOf(partition, account), utf8(name));
  }

  /** {@code p | 'B' | account | 0x00 | containerId(16)}: every blob of one container starts with this. */
  static byte[] blobsOf(int partition, String account, ByteString containerId) {
    ByteArrayOutputStream out = start(partition, BLOB);
    out.writeBytes(utf8(account));
    out.write(SEPARATOR);
    out.writeBytes(containerId.toByteArray());
    return out.toByteArray();
  }

  static byte[] blob(int partition, String account, ByteString containerId, String name) {
    return concat(blobsOf(partition, account, containerId), utf8(name));
  }

  /**
   * {@code p | 'U' | account | 0x00 | containerId(16) | u32 name length | name}: every uncommitted
   * block of one blob starts with this (the length keeps one blob's range from covering another's).
   */
  static byte[] uncommittedOf(int partition, String account, ByteString containerId, String name) {
    ByteArrayOutputStream out = start(partition, UNCOMMITTED);
    out.writeBytes(utf8(account));
    out.write(SEPARATOR);
    out.writeBytes(containerId.toByteArray());
    byte[] n = utf8(name);
    out.writeBytes(ByteBuffer.allocate(4).putInt(n.length).array());
    out.writeBytes(n);
    return out.toByteArray();
  }

  static byte[] uncommitted(int partition, String account, ByteString containerId, String name, ByteString blockId) {
    return concat(uncommittedOf(partition, account, containerId, name), blockId.toByteArray());
  }

  /**
   * {@code p | 'N' | account | 0x00 | containerId(16) | u32 name length | name}: every snapshot of
   * one blob starts with this, then its snapshot time (ASCII, one fixed width: key order is time
   * order). The length keeps one blob's range from covering another's (ADR 0022).
   */
  static byte[] snapshotsOf(int partition, String account, ByteString containerId, String name) {
    ByteArrayOutputStream out = start(partition, SNAPSHOT);
    out.writeBytes(utf8(account));
    out.write(SEPARATOR);
    out.writeBytes(containerId.toByteArray());
    byte[] n = utf8(name);
    out.writeBytes(ByteBuffer.allocate(4).putInt(n.length).array());
    out.writeBytes(n);
    return out.toByteArray();
  }

  static byte[] snapshot(int partition, String account, ByteString containerId, String name, String snapshot) {
    return concat(snapshotsOf(partition, account, containerId, name), utf8(snapshot));
  }

  /** {@code p | 'T' | account | 0x00}: every table of one account starts with this (then the lower-case name). */
  static byte[] tablesOf(int partition, String account) {
    ByteArrayOutputStream out = start(partition, TABLE);
    out.writeBytes(utf8(account));
    out.write(SEPARATOR);
    return out.toByteArray();
  }

  static byte[] table(int partition, String account, String name) {
    return concat(tablesOf(partition, account), utf8(name.toLowerCase(java.util.Locale.ROOT)));
  }

  /**
   * {@code p | 'Y' | account | 0x00 | tableId(16)}: every entity of one table starts with this; then
   * {@code PartitionKey | 0x00 | RowKey}. Keys never hold U+0000 (Azure forbids control
   * characters; the state machine checks), so byte order is (PartitionKey, RowKey) order.
   */
  static byte[] entitiesOf(int partition, String account, ByteString tableId) {
    ByteArrayOutputStream out = start(partition, ENTITY);
    out.writeBytes(utf8(account));
    out.write(SEPARATOR);
    out.writeBytes(tableId.toByteArray());
    return out.toByteArray();
  }

  static byte[] entity(int partition, String account, ByteString tableId, String partitionKey, String rowKey) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(64);
    out.writeBytes(entitiesOf(partition, account, tableId));
    out.writeBytes(utf8(partitionKey));
    out.write(SEPARATOR);
    out.writeBytes(utf8(rowKey));
    return out.toByteArray();
  }

  /** {@code p | 'Q' | account | 0x00}: every queue of one account starts with this (then the name). */
  static byte[] queuesOf(int partition, String account) {
    ByteArrayOutputStream out = start(partition, QUEUE);
    out.writeBytes(utf8(account));
    out.write(SEPARATOR);
    return out.toByteArray();
  }

  /**
   * {@code p | 'S' | account}: the account's Blob service properties (the key they had before the
   * other services had any); {@code p | 'S' | account | 0x00 | kind}: another service's (an account
   * name has no 0x00).
   */
  static byte[] serviceProperties(int partition, String account, StorageServiceKind service) {
    ByteArrayOutputStream out = start(partition, SERVICE_PROPERTIES);
    out.writeBytes(utf8(account));
    if (service != StorageServiceKind.STORAGE_SERVICE_BLOB) {
      out.write(SEPARATOR);
      out.write(service.getNumber());
    }
    return out.toByteArray();
  }

  static byte[] queue(int partition, String account, String name) {
    return concat(queuesOf(partition, account), utf8(name));
  }

  /**
   * {@code p | 'M' | account | 0x00 | queueId(16)}: every message of one queue starts with this;
   * then the sequence as u64 big-endian, so key order is insertion order.
   */
  static byte[] messagesOf(int partition, String account, ByteString queueId) {
    ByteArrayOutputStream out = start(partition, MESSAGE);
    out.writeBytes(utf8(account));
    out.write(SEPARATOR);
    out.writeBytes(queueId.toByteArray());
    return out.toByteArray();
  }

  static byte[] message(int partition, String account, ByteString queueId, long sequence) {
    return concat(messagesOf(partition, account, queueId), ByteBuffer.allocate(8).putLong(sequence).array());
  }

  /** {@code p | 'R' | submit id}: a remembered submit. */
  static byte[] submit(int partition, ByteString submitId) {
    ByteArrayOutputStream out = start(partition, SUBMIT);
    out.writeBytes(submitId.toByteArray());
    return out.toByteArray();
  }

  /** {@code p | 'P'}: every staged batch part starts with this. */
  static byte[] batchParts(int partition) {
    return start(partition, BATCH_PART).toByteArray();
  }

  /** {@code p | 'P' | u64 staged millis | batch id | u32 index}: key order is time order. */
  static byte[] batchPart(int partition, long millis, ByteString batchId, int index) {
    ByteArrayOutputStream out = start(partition, BATCH_PART);
    out.writeBytes(ByteBuffer.allocate(8).putLong(millis).array());
    out.writeBytes(batchId.toByteArray());
    out.writeBytes(ByteBuffer.allocate(4).putInt(index).array());
    return out.toByteArray();
  }

  /** {@code p | 'X'}: every entry of the submit time index starts with this. */
  static byte[] submitTimes(int partition) {
    return start(partition, SUBMIT_TIME).toByteArray();
  }

  /** {@code p | 'X' | u64 submit millis | submit id}: key order is time order. */
  static byte[] submitTime(int partition, long millis, ByteString submitId) {
    ByteArrayOutputStream out = start(partition, SUBMIT_TIME);
    out.writeBytes(ByteBuffer.allocate(8).putLong(millis).array());
    out.writeBytes(submitId.toByteArray());
    return out.toByteArray();
  }

  /** The submit time of a {@link #submitTime} key. */
  static long submitMillisOf(byte[] key) {
    if (key.length < 5 + 8) {
      throw new StorageException("corrupt submit time key");
    }
    return ByteBuffer.wrap(key, 5, 8).getLong();
  }

  /** The submit id of a {@link #submitTime} key. */
  static ByteString submitIdOf(byte[] key) {
    return ByteString.copyFrom(key, 5 + 8, key.length - 5 - 8);
  }

  /** {@code p | 'a' | 'n' | account | 0x00 | containerId(16)}: every staged-blob record of one container starts with this (then the name). */
  static byte[] stagedBlobsOf(int partition, String account, ByteString containerId) {
    ByteArrayOutputStream out = start(partition, STAGED);
    out.write(STAGED_NAME);
    out.writeBytes(utf8(account));
    out.write(SEPARATOR);
    out.writeBytes(containerId.toByteArray());
    return out.toByteArray();
  }

  static byte[] stagedBlob(int partition, String account, ByteString containerId, String name) {
    return concat(stagedBlobsOf(partition, account, containerId), utf8(name));
  }

  /** {@code p | 'a' | 't'}: every entry of the staged-blob time index starts with this. */
  static byte[] stagedTimes(int partition) {
    ByteArrayOutputStream out = start(partition, STAGED);
    out.write(STAGED_TIME);
    return out.toByteArray();
  }

  /**
   * {@code p | 'a' | 't' | u64 millis | u32 account length | account | containerId(16) | name}: key
   * order is time order; empty value.
   */
  static byte[] stagedTime(int partition, long millis, String account, ByteString containerId, String name) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(64);
    out.writeBytes(stagedTimes(partition));
    out.writeBytes(ByteBuffer.allocate(8).putLong(millis).array());
    byte[] a = utf8(account);
    out.writeBytes(ByteBuffer.allocate(4).putInt(a.length).array());
    out.writeBytes(a);
    out.writeBytes(containerId.toByteArray());
    out.writeBytes(utf8(name));
    return out.toByteArray();
  }

  /** The parts of a {@link #stagedTime} key: (millis, account, containerId, name); current is unknown here (false). */
  static io.cobalt.node.storage.MetadataStore.StagedTime parseStagedTime(byte[] key) {
    int at = 6;
    if (key.length < at + 8 + 4) {
      throw new StorageException("corrupt staged time key");
    }
    long millis = ByteBuffer.wrap(key, at, 8).getLong();
    int accountLength = ByteBuffer.wrap(key, at + 8, 4).getInt();
    int accountAt = at + 12;
    if (accountLength < 0 || accountAt + accountLength + CONTAINER_ID_BYTES > key.length) {
      throw new StorageException("corrupt staged time key");
    }
    String account = new String(key, accountAt, accountLength, StandardCharsets.UTF_8);
    ByteString containerId = ByteString.copyFrom(key, accountAt + accountLength, CONTAINER_ID_BYTES);
    int nameAt = accountAt + accountLength + CONTAINER_ID_BYTES;
    String name = new String(key, nameAt, key.length - nameAt, StandardCharsets.UTF_8);
    return new io.cobalt.node.storage.MetadataStore.StagedTime(millis, account, containerId, name, false);
  }

  /** The smallest key greater than every key that starts with {@code prefix}. */
  static byte[] after(byte[] prefix) {
    byte[] r = prefix.clone();
    for (int i = r.length - 1; i >= 0; i--) {
      if (r[i] != (byte) 0xFF) {
        r[i]++;
        return Arrays.copyOf(r, i + 1);
      }
    }
    throw new IllegalArgumentException("no key follows an all-0xFF prefix");
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] r = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  static boolean startsWith(byte[] key, byte[] prefix) {
    return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
  }

  private static ByteArrayOutputStream start(int partition, byte type) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(64);
    out.writeBytes(ByteBuffer.allocate(4).putInt(partition).array());
    out.write(type);
    return out;
  }
}
