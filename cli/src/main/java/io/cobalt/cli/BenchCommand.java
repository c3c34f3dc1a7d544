package io.cobalt.cli;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cobalt bench}: uploads and downloads N blobs of one size with a given concurrency through
 * the official Azure SDK, against any endpoint, and prints throughput and latency percentiles beside
 * the machine's own limits measured in the same run (disk write bandwidth with fdatasync divided by
 * the number of copies, single-core AES-256-GCM throughput). A program, not a test.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Measure blob upload/download throughput against an endpoint, beside the machine's limits.")
final class BenchCommand implements Callable<Integer> {

  @Option(names = "--endpoint", defaultValue = "http://127.0.0.1:10000/devstoreaccount1",
      description = "Blob endpoint, with the emulator's well-known account key (default: ${DEFAULT-VALUE}). "
          + "The environment variable AZURE_STORAGE_CONNECTION_STRING, when set, is used instead.")
  String endpoint;

  @Option(names = "--size", defaultValue = "1MiB", description = "Blob size, e.g. 1MiB, 64MiB, 512KiB (default: ${DEFAULT-VALUE}).")
  String size;

  @Option(names = "--count", defaultValue = "32", description = "Blobs to upload and download (default: ${DEFAULT-VALUE}).")
  int count;

  @Option(names = "--concurrency", defaultValue = "4", description = "Requests in flight (default: ${DEFAULT-VALUE}).")
  int concurrency;

  @Option(names = "--warmup", defaultValue = "4", description = "Uncounted round trips first, to warm the JIT (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--copies", defaultValue = "3",
      description = "Copies of each byte the cluster writes to disk, to divide the disk bandwidth by (default: ${DEFAULT-VALUE}).")
  int copies;

  @Option(names = "--scratch", defaultValue = ".",
      description = "Directory on the cluster's disk for the fdatasync bandwidth probe (default: ${DEFAULT-VALUE}).")
  Path scratch;

  @Option(names = "--seed", defaultValue = "1", description = "Seed of the random blob contents (default: ${DEFAULT-VALUE}).")
  long seed;

  @Override
  public Integer call() throws Exception {
    long blobBytes = parseSize(size);
    if (blobBytes > Integer.MAX_VALUE - 64 || count < 1 || concurrency < 1) {
      throw new IllegalArgumentException("size must be < 2 GiB, count and concurrency >= 1");
    }
    System.out.printf(Locale.ROOT, "cobalt bench: %d blobs of %s, concurrency %d, %d cores, max heap %d MiB%n",
        count, size, concurrency, Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20);

    MachineLimits.Figures limits = MachineLimits.measure(scratch, copies);
    System.out.printf(Locale.ROOT, "machine: disk write with fdatasync %.1f MB/s -> %.1f MB/s per copy (/%d); "
            + "AES-256-GCM one core %.1f MB/s%n",
        limits.diskWriteMBps(), limits.diskWriteMBps() / copies, copies, limits.aesGcmMBps());

    BlobServiceClient service = client();
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

      ExecutorService pool = Executors.newFixedThreadPool(concurrency);
      try {
        Result up = run(pool, i -> {
          container.getBlobClient("blob-" + i).upload(BinaryData.fromBytes(data), true);
          return null;
        }, blobBytes);
        Result down = run(pool, i -> {
          byte[] got = container.getBlobClient("blob-" + i).downloadContent().toBytes();
          if (!Arrays.equals(MessageDigest.getInstance("SHA-256").digest(got), digest)) {
            throw new IllegalStateException("blob-" + i + " came back different");
          }
          return null;
        }, blobBytes);
        print("upload", up, limits.diskWriteMBps() / copies, limits.aesGcmMBps());
        print("download", down, Double.NaN, limits.aesGcmMBps());
      } finally {
        pool.shutdownNow();
      }
    } finally {
      container.delete();
    }
    return 0;
  }

  private BlobServiceClient client() {
    String cs = System.getenv("AZURE_STORAGE_CONNECTION_STRING");
    if (cs == null || cs.isBlank()) {
      String account = endpoint.replaceAll("/+$", "");
      account = account.substring(account.lastIndexOf('/') + 1);
      cs = "DefaultEndpointsProtocol=http;AccountName=" + account + ";AccountKey=" + DevCluster.DEV_ACCOUNT_KEY
          + ";BlobEndpoint=" + endpoint + ";";
    }
    return new BlobServiceClientBuilder().connectionString(cs).buildClient();
  }

  interface Op {
    Void apply(int i) throws Exception;
  }

  record Result(long[] latenciesNanos, long wallNanos, long bytes) {}

  private Result run(ExecutorService pool, Op op, long blobBytes) throws Exception {
    long[] lat = new long[count];
    List<Future<?>> fs = new ArrayList<>();
    long t0 = System.nanoTime();
    for (int i = 0; i < count; i++) {
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
    return new Result(lat, System.nanoTime() - t0, blobBytes * count);
  }

  private static void print(String what, Result r, double diskLimit, double aesLimit) {
    long[] l = r.latenciesNanos().clone();
    Arrays.sort(l);
    double mbps = r.bytes() / 1e6 / (r.wallNanos() / 1e9);
    double ops = l.length / (r.wallNanos() / 1e9);
    String ratio = Double.isNaN(diskLimit)
        ? String.format(Locale.ROOT, "%.0f%% of one core's AES-GCM", 100 * mbps / aesLimit)
        : String.format(Locale.ROOT, "%.0f%% of disk/copies, %.0f%% of one core's AES-GCM",
            100 * mbps / diskLimit, 100 * mbps / aesLimit);
    System.out.printf(Locale.ROOT,
        "%-8s %8.1f MB/s %8.1f ops/s  latency ms p50 %.1f p90 %.1f p99 %.1f max %.1f  (%s)%n",
        what, mbps, ops, ms(pct(l, 50)), ms(pct(l, 90)), ms(pct(l, 99)), ms(l[l.length - 1]), ratio);
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
