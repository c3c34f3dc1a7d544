package io.cobalt.cli;

import com.azure.core.util.BinaryData;
import com.azure.data.tables.TableClient;
import com.azure.data.tables.TableServiceClient;
import com.azure.data.tables.TableServiceClientBuilder;
import com.azure.data.tables.models.TableEntity;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.queue.QueueClient;
import com.azure.storage.queue.QueueServiceClient;
import com.azure.storage.queue.QueueServiceClientBuilder;
import com.azure.storage.queue.models.QueueMessageItem;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code cobalt bench}: runs one workload through the official Azure SDKs against any endpoint and
 * prints operations per second and latency percentiles beside the machine's own limits measured
 * in the same run (disk write bandwidth with fdatasync divided by the number of copies,
 * single-core AES-256-GCM throughput) and the load average. Workloads: {@code blob} uploads then
 * downloads N blobs of one size (default 1 MiB, concurrency 4); {@code small} does the same with
 * small blobs (default 4 KiB, concurrency 16); {@code queue} runs N put / get / delete message
 * cycles (concurrency 16); {@code table} inserts N entities then reads each back with a point query
 * (concurrency 16). A program, not a test.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Measure blob, small-blob, queue or table throughput and latency against an endpoint, "
        + "beside the machine's limits.")
final class BenchCommand implements Callable<Integer> {

  enum Workload { blob, small, queue, table }

  @Spec CommandSpec spec;

  @Option(names = "--workload", defaultValue = "blob",
      description = "blob, small, queue or table (default: ${DEFAULT-VALUE}).")
  Workload workload;

  @Option(names = "--endpoint", defaultValue = "http://127.0.0.1:10000/devstoreaccount1",
      description = "Blob endpoint, with the emulator's well-known account key (default: ${DEFAULT-VALUE}). "
          + "The environment variable AZURE_STORAGE_CONNECTION_STRING, when set, is used instead of the "
          + "three endpoints.")
  String endpoint;

  @Option(names = "--queue-endpoint", defaultValue = "http://127.0.0.1:10001/devstoreaccount1",
      description = "Queue endpoint (default: ${DEFAULT-VALUE}).")
  String queueEndpoint;

  @Option(names = "--table-endpoint", defaultValue = "http://127.0.0.1:10002/devstoreaccount1",
      description = "Table endpoint (default: ${DEFAULT-VALUE}).")
  String tableEndpoint;

  @Option(names = "--size",
      description = "Blob size, e.g. 1MiB, 64MiB, 4KiB (default: 1MiB for blob, 4KiB for small; "
          + "queue messages and table entities are fixed at about 256 bytes).")
  String size;

  @Option(names = "--count",
      description = "Blobs, message cycles or entities (default: 32 for blob, 1000 for the others).")
  Integer count;

  @Option(names = "--concurrency",
      description = "Requests in flight (default: 4 for blob, 16 for the others).")
  Integer concurrency;

  @Option(names = "--warmup", defaultValue = "4", description = "Uncounted round trips first, to warm the JIT (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--copies", defaultValue = "3",
      description = "Copies of each byte the cluster writes to disk, to divide the disk bandwidth by (default: ${DEFAULT-VALUE}).")
  int copies;

  @Option(names = "--scratch", defaultValue = ".",
      description = "Directory on the cluster's disk for the fdatasync bandwidth probe (default: ${DEFAULT-VALUE}).")
  Path scratch;

  @Option(names = "--no-limits", description = "Skip the machine-limits probe (it writes 128 MiB and "
      + "spins a core for 2 s).")
  boolean noLimits;

  @Option(names = "--seed", defaultValue = "1", description = "Seed of the random contents (default: ${DEFAULT-VALUE}).")
  long seed;

  /** A connection string to use instead of the options and the environment (tests; never a command line). */
  String connectionString;

  private PrintWriter out;
  private int n;
  private int threads;

  @Override
  public Integer call() throws Exception {
    out = spec.commandLine().getOut();
    boolean big = workload == Workload.blob;
    n = count != null ? count : big ? 32 : 1000;
    threads = concurrency != null ? concurrency : big ? 4 : 16;
    long blobBytes = parseSize(size != null ? size : big ? "1MiB" : "4KiB");
    if (blobBytes > Integer.MAX_VALUE - 64 || n < 1 || threads < 1 || warmup < 0) {
      throw new IllegalArgumentException("size must be < 2 GiB, count and concurrency >= 1, warmup >= 0");
    }
    out.printf(Locale.ROOT, "cobalt bench: workload %s, count %d%s, concurrency %d, %d cores, max heap %d MiB, "
            + "load average %s%n",
        workload, n, workload == Workload.blob || workload == Workload.small ? " of " + blobBytes + " B" : "",
        threads, Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20, loadAverage());
    MachineLimits.Figures limits = null;
    if (!noLimits) {
      limits = MachineLimits.measure(scratch, copies);
      out.printf(Locale.ROOT, "machine: disk write with fdatasync %.1f MB/s -> %.1f MB/s per copy (/%d); "
              + "AES-256-GCM one core %.1f MB/s%n",
          limits.diskWriteMBps(), limits.diskWriteMBps() / copies, copies, limits.aesGcmMBps());
    }
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      switch (workload) {
        case blob, small -> blobs(pool, blobBytes, limits);
        case queue -> queue(pool);
        case table -> table(pool);
        default -> throw new IllegalStateException("workload " + workload);
      }
    } finally {
      pool.shutdownNow();
    }
    out.printf(Locale.ROOT, "load average after: %s%n", loadAverage());
    out.flush();
    return 0;
  }

  // ------------------------------------------------------------------ workloads

  private void blobs(ExecutorService pool, long blobBytes, MachineLimits.Figures limits) throws Exception {
    BlobServiceClient service = new BlobServiceClientBuilder().connectionString(connectionString()).buildClient();
    String containerName = "bench-" + Long.toHexString(System.nanoTime());
    BlobContainerClient container = service.createBlobContainer(containerName);
    try {
      SplittableRandom random = new SplittableRandom(seed);
      byte[] data = new byte[(int) blobBytes];
      fill(random, data);
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(data);

      for (int i = 0; i < warmup; i++) {
        container.getBlobClient("warmup-" + i).upload(BinaryData.fromBytes(data), true);
        container.getBlobClient("warmup-" + i).downloadContent();
      }
      Result up = run(pool, i -> container.getBlobClient("blob-" + i).upload(BinaryData.fromBytes(data), true),
          blobBytes);
      Result down = run(pool, i -> {
        byte[] got = container.getBlobClient("blob-" + i).downloadContent().toBytes();
        if (!Arrays.equals(MessageDigest.getInstance("SHA-256").digest(got), digest)) {
          throw new IllegalStateException("blob-" + i + " came back different");
        }
      }, blobBytes);
      String prefix = workload == Workload.small ? "put" : "upload";
      print(prefix, up, limits == null ? Double.NaN : limits.diskWriteMBps() / copies,
          limits == null ? Double.NaN : limits.aesGcmMBps());
      print(workload == Workload.small ? "get" : "download", down, Double.NaN,
          limits == null ? Double.NaN : limits.aesGcmMBps());
    } finally {
      container.delete();
    }
  }

  /**
   * Each cycle puts a message, gets one (visibility 60 s; any worker's message: the queue is
   * shared) and deletes what it got. A get that finds the queue momentarily empty tries again.
   */
  private void queue(ExecutorService pool) throws Exception {
    QueueServiceClient service = new QueueServiceClientBuilder().connectionString(connectionString()).buildClient();
    QueueClient queue = service.createQueue("bench-" + Long.toHexString(System.nanoTime()));
    try {
      String body = "m".repeat(240);
      for (int i = 0; i < warmup; i++) {
        queue.sendMessage(body);
        for (QueueMessageItem m : queue.receiveMessages(1, Duration.ofSeconds(60), null, null)) {
          queue.deleteMessage(m.getMessageId(), m.getPopReceipt());
        }
      }
      long[] put = new long[n];
      long[] get = new long[n];
      long[] delete = new long[n];
      Result cycles = run(pool, i -> {
        long t0 = System.nanoTime();
        queue.sendMessage(body + i);
        long t1 = System.nanoTime();
        QueueMessageItem got = null;
        for (int attempt = 0; got == null; attempt++) {
          Iterator<QueueMessageItem> it = queue.receiveMessages(1, Duration.ofSeconds(60), null, null).iterator();
          if (it.hasNext()) {
            got = it.next();
          } else if (attempt == 50) {
            throw new IllegalStateException("cycle " + i + ": the queue stayed empty");
          } else {
            Thread.sleep(10);
          }
        }
        long t2 = System.nanoTime();
        queue.deleteMessage(got.getMessageId(), got.getPopReceipt());
        long t3 = System.nanoTime();
        put[i] = t1 - t0;
        get[i] = t2 - t1;
        delete[i] = t3 - t2;
      }, 0);
      print("cycle", cycles, Double.NaN, Double.NaN);
      print("put", new Result(put, cycles.wallNanos(), 0), Double.NaN, Double.NaN);
      print("get", new Result(get, cycles.wallNanos(), 0), Double.NaN, Double.NaN);
      print("delete", new Result(delete, cycles.wallNanos(), 0), Double.NaN, Double.NaN);
      out.println("(put/get/delete ops/s: each kind's count over the cycles' wall time)");
    } finally {
      queue.delete();
    }
  }

  /** Inserts N entities (16 partition keys, five typed properties), then reads each back by its keys. */
  private void table(ExecutorService pool) throws Exception {
    TableServiceClient service = new TableServiceClientBuilder().connectionString(connectionString()).buildClient();
    String name = "bench" + Long.toHexString(System.nanoTime());
    TableClient table = service.createTable(name);
    try {
      for (int i = 0; i < warmup; i++) {
        table.createEntity(entity("warmup", i));
        table.getEntity("warmup", "r" + i);
      }
      Result inserts = run(pool, i -> table.createEntity(entity("p" + (i % 16), i)), 0);
      Result reads = run(pool, i -> {
        TableEntity e = table.getEntity("p" + (i % 16), "r" + i);
        if (!Long.valueOf(i).equals(e.getProperty("Seq"))) {
          throw new IllegalStateException("entity " + i + " came back different");
        }
      }, 0);
      print("insert", inserts, Double.NaN, Double.NaN);
      print("get", reads, Double.NaN, Double.NaN);
    } finally {
      service.deleteTable(name);
    }
  }

  private static TableEntity entity(String partitionKey, int i) {
    return new TableEntity(partitionKey, "r" + i)
        .addProperty("Seq", (long) i)
        .addProperty("Name", "entity-" + i)
        .addProperty("Score", i * 0.5)
        .addProperty("Active", i % 2 == 0)
        .addProperty("Note", "n".repeat(160));
  }

  // ------------------------------------------------------------------ running and reporting

  private String connectionString() {
    if (connectionString != null) {
      return connectionString;
    }
    String cs = System.getenv("AZURE_STORAGE_CONNECTION_STRING");
    if (cs == null || cs.isBlank()) {
      String account = endpoint.replaceAll("/+$", "");
      account = account.substring(account.lastIndexOf('/') + 1);
      cs = "DefaultEndpointsProtocol=http;AccountName=" + account + ";AccountKey=" + DevCluster.DEV_ACCOUNT_KEY
          + ";BlobEndpoint=" + endpoint + ";QueueEndpoint=" + queueEndpoint + ";TableEndpoint=" + tableEndpoint + ";";
    }
    return cs;
  }

  interface Op {
    void apply(int i) throws Exception;
  }

  record Result(long[] latenciesNanos, long wallNanos, long bytes) {}

  private Result run(ExecutorService pool, Op op, long bytesPerOp) throws Exception {
    long[] lat = new long[n];
    List<Future<?>> fs = new ArrayList<>();
    long t0 = System.nanoTime();
    for (int i = 0; i < n; i++) {
      int idx = i;
      fs.add(pool.submit(() -> {
        long s = System.nanoTime();
        op.apply(idx);
        lat[idx] = System.nanoTime() - s;
        return null;
      }));
    }
    for (Future<?> f : fs) {
      f.get();
    }
    return new Result(lat, System.nanoTime() - t0, bytesPerOp * n);
  }

  private void print(String what, Result r, double diskLimit, double aesLimit) {
    long[] l = r.latenciesNanos().clone();
    Arrays.sort(l);
    double ops = l.length / (r.wallNanos() / 1e9);
    String rate = "";
    String ratio = "";
    if (r.bytes() > 0) {
      double mbps = r.bytes() / 1e6 / (r.wallNanos() / 1e9);
      rate = String.format(Locale.ROOT, "%8.1f MB/s ", mbps);
      if (!Double.isNaN(aesLimit)) {
        ratio = Double.isNaN(diskLimit)
            ? String.format(Locale.ROOT, "  (%.0f%% of one core's AES-GCM)", 100 * mbps / aesLimit)
            : String.format(Locale.ROOT, "  (%.0f%% of disk/copies, %.0f%% of one core's AES-GCM)",
                100 * mbps / diskLimit, 100 * mbps / aesLimit);
      }
    }
    out.printf(Locale.ROOT, "%-8s %s%8.1f ops/s  latency ms p50 %.1f p90 %.1f p99 %.1f max %.1f%s%n",
        what, rate, ops, ms(pct(l, 50)), ms(pct(l, 90)), ms(pct(l, 99)), ms(l[l.length - 1]), ratio);
  }

  /** The 1, 5 and 15 minute load averages, or "unknown" where /proc/loadavg is not there. */
  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (Exception e) {
      return "unknown";
    }
  }

  private static long pct(long[] sorted, int p) {
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }

  private static void fill(SplittableRandom random, byte[] data) {
    for (int i = 0; i < data.length; i += 8) {
      long v = random.nextLong();
      for (int j = 0; j < 8 && i + j < data.length; j++) {
        data[i + j] = (byte) (v >>> (8 * j));
      }
    }
  }

  static long parseSize(String s) {
    String t = s.trim().toLowerCase(Locale.ROOT);
    long mult = 1;
    for (String[] unit : new String[][] {{"gib", "1073741824"}, {"mib", "1048576"}, {"kib", "1024"}, {"b", "1"}}) {
      if (t.endsWith(unit[0])) {
        mult = Long.parseLong(unit[1]);
        t = t.substring(0, t.length() - unit[0].length());
        break;
      }
    }
    return Long.parseLong(t.trim()) * mult;
  }
}
