package io.cobalt.node.storage.rocksdb;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.cobalt.node.storage.ChunkId;
import io.cobalt.node.storage.RepairItem;
import io.cobalt.node.storage.RepairQueueStore;
import io.cobalt.node.storage.StorageException;
import io.cobalt.proto.node.v1.HealRepairItem;
import java.util.ArrayList;
import java.util.List;
import org.rocksdb.RocksIterator;

/**
 * The repair queue in the {@code heal} column family: key {@code 'Q' | target node id | 0x00 |
 * chunk id (32)}, value a {@code HealRepairItem}. Node ids never contain 0x00 (NodeConfig).
 */
final class RocksRepairQueueStore implements RepairQueueStore {
  static final byte QUEUED = 'Q';

  private final RocksStorage storage;

  RocksRepairQueueStore(RocksStorage storage) {
    this.storage = storage;
  }

  @Override
  public void save(RepairItem item) {
    byte[] value = HealRepairItem.newBuilder()
        .setChunkId(ByteString.copyFrom(item.chunk().bytes()))
        .setTargetNode(item.targetNode())
        .addAllSources(item.sources())
        .build().toByteArray();
    storage.guarded("repair queue write", db -> {
      db.put(storage.healCf(), storage.syncWrite(), key(item.key()), value);
      return null;
    });
  }

  @Override
  public void remove(RepairItem.Key key) {
    storage.guarded("repair queue delete", db -> {
      db.delete(storage.healCf(), storage.syncWrite(), key(key));
      return null;
    });
  }

  @Override
  public List<RepairItem> load(int limit) {
    byte[] prefix = {QUEUED};
    return storage.guarded("repair queue load", db -> {
      List<RepairItem> out = new ArrayList<>();
      try (RocksIterator it = db.newIterator(storage.healCf(), storage.read())) {
        for (it.seek(prefix); it.isValid() && MetaKeys.startsWith(it.key(), prefix) && out.size() < limit; it.next()) {
          HealRepairItem v;
          try {
            v = HealRepairItem.parseFrom(it.value());
          } catch (InvalidProtocolBufferException e) {
            throw new StorageException("corrupt repair queue entry", e);
          }
          out.add(new RepairItem(ChunkId.of(v.getChunkId().toByteArray()), v.getTargetNode(), v.getSourcesList()));
        }
        it.status();
      }
      return out;
    });
  }

  private static byte[] key(RepairItem.Key key) {
    byte[] node = MetaKeys.utf8(key.targetNode());
    return MetaKeys.concat(MetaKeys.concat(new byte[] {QUEUED}, MetaKeys.concat(node, new byte[] {0})),
        key.chunk().bytes());
  }
}
