package io.cobalt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code cobalt bench} runs each workload (blob, small, queue, table) with a tiny count against a
 * whole cluster in one JVM and prints its figures: the structure of the report is asserted, never
 * the figures.
 */
class BenchIT {
  /** A result line: a label, optionally MB/s, then ops/s and the latency percentiles. */
  private static final String FIGURES =
      "(\\s+[0-9.]+ MB/s)?\\s+[0-9.]+ ops/s  latency ms p50 [0-9.]+ p90 [0-9.]+ p99 [0-9.]+ max [0-9.]+.*";

  private static String bench(DevCluster cluster, String... args) {
    BenchCommand command = new BenchCommand();
    command.connectionString = cluster.connectionString();
    StringWriter text = new StringWriter();
    int exit = new CommandLine(command).setOut(new PrintWriter(text, true)).execute(args);
    assertEquals(0, exit, text.toString());
    return text.toString();
  }

  private static void assertLines(String report, List<String> labels) {
    assertTrue(Pattern.compile("(?m)^cobalt bench: workload \\w+, count 5.*concurrency 2.*load average .+$")
        .matcher(report).find(), report);
    for (String label : labels) {
      assertTrue(Pattern.compile("(?m)^" + label + FIGURES + "$").matcher(report).find(),
          label + " line missing:\n" + report);
    }
    assertTrue(report.contains("load average after: "), report);
  }

  @Test
  void everyWorkloadRunsAgainstADevClusterAndPrintsItsFigures(@TempDir Path data) {
    DevCluster.Options options = DevCluster.Options.defaults(data).withBlobPort(0).withQueuePort(0).withTablePort(0);
    try (DevCluster cluster = DevCluster.start(options)) {
      String[] tiny = {"--count", "5", "--concurrency", "2", "--warmup", "1", "--no-limits"};
      String blob = bench(cluster, concat(new String[] {"--workload", "blob", "--size", "64KiB"}, tiny));
      assertLines(blob, List.of("upload", "download"));
      System.out.print(blob);
      String small = bench(cluster, concat(new String[] {"--workload", "small"}, tiny));
      assertLines(small, List.of("put", "get"));
      assertTrue(small.contains("count 5 of 4096 B"), small);
      System.out.print(small);
      String queue = bench(cluster, concat(new String[] {"--workload", "queue"}, tiny));
      assertLines(queue, List.of("cycle", "put", "get", "delete"));
      System.out.print(queue);
      String table = bench(cluster, concat(new String[] {"--workload", "table"}, tiny));
      assertLines(table, List.of("insert", "get"));
      System.out.print(table);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static String[] concat(String[] a, String[] b) {
    String[] out = new String[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
