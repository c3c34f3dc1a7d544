package io.cobalt.cli.admin.rewrap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.cobalt.node.partition.PartitionStateMachine;
import io.cobalt.node.storage.InMemoryMetadataStore;
import io.cobalt.proto.kms.v1.WrappedKey;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.CommandResult;
import io.cobalt.proto.node.v1.CreateQueue;
import io.cobalt.proto.node.v1.CreateTable;
import io.cobalt.proto.node.v1.DekHolder;
import io.cobalt.proto.node.v1.DekScan;
import io.cobalt.proto.node.v1.DekSwaps;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.PutBlob;
import io.cobalt.proto.node.v1.QueryResult;
import io.cobalt.proto.node.v1.QueueRecord;
import io.cobalt.proto.node.v1.StageBlock;
import io.cobalt.proto.node.v1.StreamRef;
import io.cobalt.proto.node.v1.TableRecord;
import io.cobalt.proto.node.v1.UncommittedBlock;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The rewrap job against real state machines (in-memory stores) and a fake agent. */
class RewrapJobTest {
  private static final long SEED = Long.getLong("cobalt.seed", System.nanoTime());
  private static final String ACCOUNT = "acct";
  private static final String KEY = "account/acct";
  private static final int PARTITIONS = 4;

  @TempDir Path dir;

  /** The partitions as the job sees them: one state machine, applies numbered in order. */
  static final class Machine implements RewrapJob.Partitions {
    final PartitionStateMachine m = new PartitionStateMachine(new InMemoryMetadataStore(), PARTITIONS);
    private final long[] index = new long[PARTITIONS];
    final AtomicInteger swapCommands = new AtomicInteger();

    synchronized CommandResult apply(MetadataCommand c) {
      return m.apply(++index[c.getPartition()], c);
    }

    @Override
    public int count() {
      return PARTITIONS;
    }

    @Override
    public synchronized QueryResult scan(int partition, ByteString after, int maxResults) {
      return m.query(MetadataQuery.newBuilder().setPartition(partition)
          .setDekScan(DekScan.newBuilder().setAfter(after).setMaxResults(maxResults)).build());
    }

    @Override
    public CommandResult swap(int partition, DekSwaps swaps) {
      swapCommands.incrementAndGet();
      return apply(MetadataCommand.newBuilder().setPartition(partition).setDekSwaps(swaps).build());
    }

    /** Every wrapped DEK stored, walking with the job's own query. */
    synchronized List<WrappedKey> allDeks() {
      List<WrappedKey> all = new ArrayList<>();
      for (int p = 0; p < PARTITIONS; p++) {
        ByteString after = ByteString.EMPTY;
        QueryResult r;
        do {
          r = scan(p, after, 7);
          for (DekHolder h : r.getDekHoldersList()) {
            all.addAll(h.getDeksList());
            after = h.getPosition();
          }
        } while (r.getTruncated());
      }
      return all;
    }
  }

  /** A fake agent: "rewraps" to the primary version deterministically; counts calls per wrapped DEK. */
  static class FakeAgent implements RewrapJob.Keys {
    final int primary;
    final Map<ByteString, Integer> calls = new ConcurrentHashMap<>();
    final AtomicReference<Map<Integer, Long>> census = new AtomicReference<>();
    volatile int failAfter = Integer.MAX_VALUE;
    private final AtomicInteger total = new AtomicInteger();

    FakeAgent(int primary) {
      this.primary = primary;
    }

    @Override
    public int primaryVersion(String keyId) {
      return primary;
    }

    @Override
    public WrappedKey rewrap(String account, WrappedKey wrapped) throws RewrapJob.RefusedException, IOException {
      if (total.incrementAndGet() > failAfter) {
        throw new IOException("agent unreachable (simulated crash)");
      }
      if (wrapped.getCiphertext().startsWith(ByteString.copyFromUtf8("refuse"))) {
        throw new RewrapJob.RefusedException("version disabled", "KEY_DISABLED");
      }
      calls.merge(wrapped.getCiphertext(), 1, Integer::sum);
      return rewrapped(wrapped, primary);
    }

    @Override
    public void reportCensus(String keyId, long started, Map<Integer, Long> liveDeks) {
      census.set(Map.copyOf(liveDeks));
    }
  }

  static WrappedKey rewrapped(WrappedKey w, int version) {
    return w.toBuilder().setKeyVersion(version).setCiphertext(ByteString.copyFromUtf8("rw").concat(w.getCiphertext()))
        .build();
  }

  private static ByteString id(long n) {
    return ByteString.copyFrom(ByteBuffer.allocate(16).putLong(8, n).array());
  }

  private static WrappedKey key(String keyId, int version, long n) {
    return WrappedKey.newBuilder().setKeyId(keyId).setKeyVersion(version)
        .setCiphertext(ByteString.copyFromUtf8("ct-" + n)).build();
  }

  private static BlobRecord blob(String name, long version, WrappedKey... deks) {
    BlobRecord.Builder b = BlobRecord.newBuilder().setAccount(ACCOUNT).setContainer("c").setContainerId(id(1))
        .setName(name).setObjectId(id(1000 + version)).setVersionId(id(version)).setEtag("\"" + version + "\"")
        .setManifestMac(ByteString.copyFromUtf8("mac-" + version));
    for (WrappedKey k : deks) {
      b.addDeks(k);
    }
    return b.build();
  }

  /**
   * Blobs (some with two DEKs), staged blocks, tables and queues spread over the partitions;
   * about two thirds under v1 (stale), the rest under v2, a few under another key. Returns the
   * number of stale DEKs of KEY.
   */
  private static int populate(Machine m, Random random, int records) {
    int stale = 0;
    long n = 0;
    for (int i = 0; i < records; i++) {
      int p = random.nextInt(PARTITIONS);
      int kind = random.nextInt(10);
      int version = random.nextInt(3) < 2 ? 1 : 2;
      String keyId = random.nextInt(20) == 0 ? "cmk/other" : KEY;
      if (keyId.equals(KEY) && version == 1) {
        stale++;
      }
      WrappedKey k = key(keyId, version, ++n);
      MetadataCommand.Builder c = MetadataCommand.newBuilder().setPartition(p);
      if (kind < 6) {
        BlobRecord b = kind == 0 ? blob("b" + i, i, k, key(KEY, 1, ++n)) : blob("b" + i, i, k);
        if (kind == 0) {
          stale++;
        }
        c.setPutBlob(PutBlob.newBuilder().setBlob(b));
      } else if (kind < 8) {
        c.setStageBlock(StageBlock.newBuilder().setAccount(ACCOUNT).setContainerId(id(1)).setName("s" + i)
            .setBlock(UncommittedBlock.newBuilder().setBlockId(ByteString.copyFromUtf8("blk"))
                .setStream(StreamRef.newBuilder().setStreamId(id(5000 + i))).setDek(k)));
      } else if (kind == 8) {
        c.setCreateTable(CreateTable.newBuilder().setTable(TableRecord.newBuilder().setAccount(ACCOUNT)
            .setName("t" + i + "x").setTableId(id(7000 + i)).setDek(k)));
      } else {
        c.setCreateQueue(CreateQueue.newBuilder().setQueue(QueueRecord.newBuilder().setAccount(ACCOUNT)
            .setName("queue" + i).setQueueId(id(9000 + i)).setDek(k)));
      }
      m.apply(c.build());
    }
    return stale;
  }

  private RewrapJob job(Machine m, FakeAgent agent, Path state, int pageSize) {
    return new RewrapJob(m, agent, new RewrapJob.Options(KEY, 3, pageSize, state), Clock.systemUTC(), p -> { },
        Duration.ofSeconds(60));
  }

  @Test
  void rewrapsEveryStaleDekOnceAndReportsTheCensus() throws Exception {
    System.out.println("RewrapJobTest seed " + SEED);
    Machine m = new Machine();
    int stale = populate(m, new Random(SEED), 300);
    long current = m.allDeks().stream().filter(k -> k.getKeyId().equals(KEY) && k.getKeyVersion() == 2).count();
    FakeAgent agent = new FakeAgent(2);

    RewrapJob.Report r = job(m, agent, dir.resolve("state"), 16).run();

    assertTrue(r.complete());
    RewrapJob.Totals t = r.progress().cumulative();
    assertEquals(stale, t.rewrapped(), "seed " + SEED);
    assertEquals(current, t.alreadyCurrent());
    assertEquals(0, t.skippedChanged());
    assertEquals(0, t.failed());
    assertEquals(t.scanned(), t.rewrapped() + t.alreadyCurrent() + t.skippedChanged() + t.failed());
    assertEquals(stale, agent.calls.size());
    assertTrue(agent.calls.values().stream().allMatch(c -> c == 1), "each DEK rewrapped once");
    for (WrappedKey k : m.allDeks()) {
      if (k.getKeyId().equals(KEY)) {
        assertEquals(2, k.getKeyVersion(), k.toString());
      } else {
        assertEquals(ByteString.copyFromUtf8("ct-"), k.getCiphertext().substring(0, 3), "other keys untouched");
      }
    }
    assertEquals(Map.of(2, (long) stale + current), agent.census.get());

    // A second run over the finished state file does nothing; a fresh one finds everything current.
    assertEquals(t, job(m, agent, dir.resolve("state"), 16).run().progress().cumulative());
    RewrapJob.Report again = job(m, agent, dir.resolve("fresh"), 1000).run();
    assertEquals(0, again.progress().run().rewrapped());
    assertEquals(stale + current, again.progress().run().alreadyCurrent());
  }

  @Test
  void resumesAfterACrashAndRewrapsEachDekOnce() throws Exception {
    System.out.println("RewrapJobTest seed " + SEED);
    Machine m = new Machine();
    int stale = populate(m, new Random(SEED + 1), 400);
    FakeAgent agent = new FakeAgent(2);
    agent.failAfter = stale / 3;
    Path state = dir.resolve("rewrap.state");

    IOException crash = assertThrows(IOException.class, () -> job(m, agent, state, 10).run());
    assertTrue(crash.getMessage().contains("simulated crash"), crash.getMessage());
    assertTrue(Files.exists(state));
    int firstRun = agent.calls.size();
    assertTrue(firstRun > 0 && firstRun <= stale / 3, "rewrapped before the crash: " + firstRun);
    assertEquals(null, agent.census.get(), "no census from an incomplete walk");

    agent.failAfter = Integer.MAX_VALUE;
    RewrapJob.Report r = job(m, agent, state, 10).run();

    assertTrue(r.complete());
    assertEquals(stale, agent.calls.size(), "seed " + SEED);
    assertTrue(agent.calls.values().stream().allMatch(c -> c == 1), "no DEK rewrapped twice: " + agent.calls);
    RewrapJob.Totals all = r.progress().cumulative();
    assertEquals(stale, all.rewrapped(), "the two runs' counts add up");
    assertEquals(stale - firstRun, r.progress().run().rewrapped());
    assertEquals(all.scanned(), all.rewrapped() + all.alreadyCurrent());
    assertFalse(m.allDeks().stream().anyMatch(k -> k.getKeyId().equals(KEY) && k.getKeyVersion() != 2));
  }

  @Test
  void aRecordChangedMeanwhileIsSkippedCountedAndItsNewVersionExamined() throws Exception {
    Machine m = new Machine();
    WrappedKey kept = key(KEY, 1, 1);
    m.apply(MetadataCommand.newBuilder().setPartition(0).setPutBlob(PutBlob.newBuilder()
        .setBlob(blob("b", 1, kept))).build());
    // The first rewrap races a Put Block List that makes a new version keeping the same (old) DEK.
    FakeAgent agent = new FakeAgent(2) {
      private final AtomicInteger n = new AtomicInteger();

      @Override
      public WrappedKey rewrap(String account, WrappedKey wrapped) throws RewrapJob.RefusedException, IOException {
        if (n.incrementAndGet() == 1) {
          m.apply(MetadataCommand.newBuilder().setPartition(0).setPutBlob(PutBlob.newBuilder()
              .setBlob(blob("b", 2, kept))).build());
        }
        return super.rewrap(account, wrapped);
      }
    };
    RewrapJob.Report r = job(m, agent, null, 10).run();
    RewrapJob.Totals t = r.progress().cumulative();
    assertEquals(1, t.skippedChanged());
    assertEquals(1, t.rewrapped());
    assertEquals(2, t.scanned());
    assertEquals(List.of(rewrapped(kept, 2)), m.allDeks());
  }

  @Test
  void aRefusedDekIsCountedFailedAndTheWalkGoesOn() throws Exception {
    Machine m = new Machine();
    m.apply(MetadataCommand.newBuilder().setPartition(1).setPutBlob(PutBlob.newBuilder()
        .setBlob(blob("a", 1, WrappedKey.newBuilder().setKeyId(KEY).setKeyVersion(1)
            .setCiphertext(ByteString.copyFromUtf8("refuse-me")).build()))).build());
    m.apply(MetadataCommand.newBuilder().setPartition(1).setPutBlob(PutBlob.newBuilder()
        .setBlob(blob("b", 2, key(KEY, 1, 2)))).build());
    FakeAgent agent = new FakeAgent(3);
    RewrapJob.Report r = job(m, agent, null, 1).run();
    assertEquals(1, r.progress().cumulative().failed());
    assertEquals(1, r.progress().cumulative().rewrapped());
    Map<Integer, Long> expected = new HashMap<>();
    expected.put(1, 1L);
    expected.put(3, 1L);
    assertEquals(expected, agent.census.get(), "the refused DEK still counts under its version");
  }

  /** A fake agent whose accounts' key source is a customer key (ADR 0031): rewraps move DEKs across keys. */
  static final class SwitchedAgent extends FakeAgent {
    final Map<String, Map<Integer, Long>> reported = new ConcurrentHashMap<>();
    final Map<String, Integer> owners = new ConcurrentHashMap<>();

    SwitchedAgent() {
      super(1);
    }

    @Override
    public RewrapJob.Target target(String ownerKeyId) {
      return new RewrapJob.Target("cmk/new", 3);
    }

    @Override
    public WrappedKey rewrap(String account, WrappedKey wrapped, String ownerKeyId) {
      owners.merge(ownerKeyId, 1, Integer::sum);
      calls.merge(wrapped.getCiphertext(), 1, Integer::sum);
      return rewrapped(wrapped, 3).toBuilder().setKeyId("cmk/new").build();
    }

    @Override
    public void reportCensus(String keyId, long started, Map<Integer, Long> liveDeks) {
      reported.put(keyId, Map.copyOf(liveDeks));
    }
  }

  @Test
  void anOwnerRunMovesEveryDekOfTheAccountToItsKeySourceAndLeavesOtherAccountsAlone() throws Exception {
    Machine m = new Machine();
    populate(m, new Random(SEED), 120);
    m.apply(MetadataCommand.newBuilder().setPartition(1).setPutBlob(PutBlob.newBuilder().setBlob(
        blob("theirs", 99_999, key("account/other", 1, 77_777)).toBuilder().setAccount("other"))).build());
    long mine = m.allDeks().size() - 1;
    SwitchedAgent agent = new SwitchedAgent();

    RewrapJob.Report r = new RewrapJob(m, agent, RewrapJob.Options.ofOwner(ACCOUNT, "", 3, 16, dir.resolve("owner")),
        Clock.systemUTC(), p -> { }, Duration.ofSeconds(60)).run();

    assertTrue(r.complete());
    assertEquals("cmk/new", r.targetKeyId());
    assertEquals(3, r.primaryVersion());
    assertEquals(mine, r.progress().cumulative().rewrapped(), "seed " + SEED);
    assertEquals(Map.of("account/acct", (int) mine), agent.owners);
    for (WrappedKey k : m.allDeks()) {
      if (k.getKeyId().equals("account/other")) {
        assertEquals(ByteString.copyFromUtf8("ct-77777"), k.getCiphertext(), "another account's DEK untouched");
      } else {
        assertEquals("cmk/new", k.getKeyId());
        assertEquals(3, k.getKeyVersion());
      }
    }
    assertEquals(Map.of(3, mine), agent.reported.get("cmk/new"));
    assertEquals(Map.of(), agent.reported.get(KEY), "the key the DEKs left is reported empty");
    assertEquals(Map.of(1, 1L), agent.reported.get("account/other"), "every key the walk met is counted");

    // A second run finds everything on the target.
    RewrapJob.Report again = new RewrapJob(m, agent, RewrapJob.Options.ofOwner(ACCOUNT, "", 3, 16, null),
        Clock.systemUTC(), p -> { }, Duration.ofSeconds(60)).run();
    assertEquals(0, again.progress().cumulative().rewrapped());
    assertEquals(mine, again.progress().cumulative().alreadyCurrent());
  }
}
