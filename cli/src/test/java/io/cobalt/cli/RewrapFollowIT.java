package io.cobalt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import io.cobalt.cli.admin.rpc.KeyAdminClient;
import io.cobalt.cli.admin.rpc.MetadataPartitionsClient;
import io.cobalt.proto.kms.v1.DekCensusResponse;
import io.cobalt.proto.kms.v1.DekCensusVersion;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cobalt admin keys rewrap-follow} (ADR 0031 rule 5) as an operator runs it: a process of its
 * own (the packaged jar) following the agent's key events next to a dev cluster. A rotation of the
 * account key queues a job and the follower starts rewrapping; the follower is killed (SIGKILL, as a
 * crash) in the middle of the job, with DEKs on both versions; started again on the same
 * {@code --state-dir} it resumes the job from its resume file — not from the beginning — and
 * finishes it: every stored DEK on the new version, the agent's census agreeing, progress and
 * summary lines printed.
 */
class RewrapFollowIT {
  private static final String ACCOUNT = DevCluster.DEV_ACCOUNT;
  private static final String ACCOUNT_KEY = "account/" + ACCOUNT;
  private static final int BLOBS = 60;
  private static final Pattern DONE = Pattern.compile("rewrap key:" + Pattern.quote(ACCOUNT_KEY)
      + ": done in [0-9.]+ s: partitions (\\d+)/(\\d+)  scanned (\\d+)  rewrapped (\\d+)  already current (\\d+)"
      + "  skipped \\(changed\\) (\\d+)  failed (\\d+)  [0-9.]+ DEKs/s");

  @TempDir Path data;
  @TempDir Path stateDir;

  /** The follower process and its output, read line by line on a thread of its own. */
  private static final class Follower implements AutoCloseable {
    final Process process;
    final List<String> lines = new ArrayList<>();

    Follower(DevCluster cluster, Path data, Path stateDir) throws IOException {
      Path jar = Paths.get("target", "cobalt.jar").toAbsolutePath();
      assertTrue(Files.exists(jar), "the packaged jar is built before integration tests: " + jar);
      // One partition walked at a time, one record per page: a job of many small steps, so that the
      // crash lands in the middle of it; progress every second.
      process = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
          "-jar", jar.toString(), "admin", "keys", "rewrap-follow",
          "--kms", cluster.options().host() + ":" + cluster.kmsPort(), "--tls-dir", cluster.tlsDir().toString(),
          "--state-dir", stateDir.toString(), "--data", data.toString(),
          "--concurrency", "1", "--page-size", "1", "--progress-seconds", "1", "--retry-seconds", "2")
          .redirectErrorStream(true).start();
      Thread reader = new Thread(() -> {
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
            StandardCharsets.UTF_8))) {
          String line;
          while ((line = out.readLine()) != null) {
            synchronized (lines) {
              lines.add(line);
              lines.notifyAll();
            }
          }
        } catch (IOException ignored) {
          // the process ended
        }
      }, "rewrap-follow-output");
      reader.setDaemon(true);
      reader.start();
    }

    String awaitLine(Predicate<String> wanted, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      synchronized (lines) {
        while (true) {
          for (String l : lines) {
            if (wanted.test(l)) {
              return l;
            }
          }
          long left = deadline - System.nanoTime();
          if (left <= 0 || !process.isAlive() && lines.stream().noneMatch(wanted)) {
            throw new AssertionError("rewrap-follow did not print the expected line; output:\n" + output());
          }
          lines.wait(Math.max(1, Math.min(200, left / 1_000_000)));
        }
      }
    }

    String output() {
      synchronized (lines) {
        return String.join("\n", lines);
      }
    }

    /** SIGKILL: no shutdown hook runs, as in a crash. */
    void kill() throws InterruptedException {
      process.destroyForcibly();
      assertTrue(process.waitFor(30, TimeUnit.SECONDS), "rewrap-follow did not die");
    }

    @Override
    public void close() {
      if (process.isAlive()) {
        process.destroyForcibly();
        try {
          process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  private static Properties read(Path file) throws IOException {
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      p.load(in);
    }
    return p;
  }

  @Test
  void followsARotationRewrapsEveryDekAndResumesAfterACrash() throws Exception {
    DevCluster.Options options = DevCluster.Options.defaults(data).withBlobPort(0).withTablePort(0).withQueuePort(0);
    try (DevCluster cluster = DevCluster.start(options);
        KeyAdminClient agent = StoredDeks.agent(cluster);
        MetadataPartitionsClient nodes = StoredDeks.nodes(cluster)) {
      BlobContainerClient c = new BlobServiceClientBuilder().connectionString(cluster.connectionString())
          .buildClient().getBlobContainerClient("follow");
      c.create();
      ExecutorService uploads = Executors.newFixedThreadPool(8);
      try {
        List<Future<?>> done = new ArrayList<>();
        for (int i = 0; i < BLOBS; i++) {
          int n = i;
          done.add(uploads.submit(() -> c.getBlobClient("b" + n).upload(BinaryData.fromString("version 1: " + n))));
        }
        for (Future<?> f : done) {
          f.get();
        }
      } finally {
        uploads.shutdownNow();
      }
      assertEquals(Map.of(ACCOUNT_KEY + " v1", (long) BLOBS), StoredDeks.byKeyVersion(nodes, ACCOUNT));

      Path resumeFile = stateDir.resolve("job-key_account_" + ACCOUNT + ".state");
      long rewrappedBeforeCrash;
      try (Follower first = new Follower(cluster, data, stateDir)) {
        first.awaitLine(l -> l.contains("following key events"), Duration.ofSeconds(60));
        Thread.sleep(1100);  // the census walk must begin after the last second version 1 wrapped a DEK
        long rotated = System.nanoTime();
        assertEquals(2, agent.rotate(ACCOUNT_KEY).getPrimaryVersion());
        first.awaitLine(l -> l.contains("rewrap key:" + ACCOUNT_KEY + ": queued"), Duration.ofSeconds(10));
        System.out.printf("RewrapFollowIT: job queued %.0f ms after the rotation%n",
            (System.nanoTime() - rotated) / 1e6);
        // Crash as soon as the resume file records rewrapped DEKs: the job is then in its first pages.
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
          Properties p = null;
          try {
            p = read(resumeFile);
          } catch (NoSuchFileException e) {
            // not written yet
          }
          if (p != null && Long.parseLong(p.getProperty("rewrapped", "0")) > 0) {
            break;
          }
          assertTrue(System.nanoTime() < deadline, "no rewrap recorded; output:\n" + first.output());
          Thread.sleep(5);
        }
        first.kill();
        System.out.println("RewrapFollowIT: first follower's output:\n" + first.output());
        assertFalse(first.output().contains(": done in"), "the crash came after the job ended: " + first.output());
      }
      rewrappedBeforeCrash = Long.parseLong(read(resumeFile).getProperty("rewrapped"));
      Map<String, Long> midJob = StoredDeks.byKeyVersion(nodes, ACCOUNT);
      assertTrue(midJob.getOrDefault(ACCOUNT_KEY + " v1", 0L) > 0 && midJob.getOrDefault(ACCOUNT_KEY + " v2", 0L) > 0,
          "the crash is in the middle of the job: " + midJob);
      assertEquals("key:" + ACCOUNT_KEY, Files.readString(stateDir.resolve("queue")).strip(),
          "the interrupted job stays queued");

      try (Follower second = new Follower(cluster, data, stateDir)) {
        String resuming = second.awaitLine(l -> l.contains("rewrap key:" + ACCOUNT_KEY + ": resuming from "),
            Duration.ofSeconds(60));
        assertTrue(resuming.contains(rewrappedBeforeCrash + " DEKs rewrapped before"), resuming);
        String doneLine = second.awaitLine(l -> DONE.matcher(l).find(), Duration.ofSeconds(60));
        System.out.println("RewrapFollowIT: second follower's output:\n" + second.output());
        Matcher m = DONE.matcher(doneLine);
        assertTrue(m.find());
        assertEquals(m.group(2), m.group(1), "every partition walked: " + doneLine);
        long scanned = Long.parseLong(m.group(3));
        long rewrapped = Long.parseLong(m.group(4));
        long alreadyCurrent = Long.parseLong(m.group(5));
        assertEquals(BLOBS, scanned, doneLine);
        assertEquals(BLOBS, rewrapped + alreadyCurrent, doneLine);
        assertEquals("0", m.group(7), "nothing failed: " + doneLine);
        // Resumed, not restarted: the counts of the first run carry over, and at most the one page in
        // flight at the crash (one record) is found already current. A walk from the beginning would
        // find every DEK the first run moved already current.
        assertTrue(rewrapped >= rewrappedBeforeCrash, doneLine);
        assertTrue(alreadyCurrent <= 1, "the resumed job walked again what the first run had done: " + doneLine);
        assertTrue(second.output().lines().anyMatch(l -> l.contains("progress " + ACCOUNT_KEY + ": partitions ")),
            "progress lines name the job: " + second.output());
        // The job leaves the queue (and its resume file goes) just after its summary line; its census
        // report must not queue another job (it changes no key source).
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!Files.readString(stateDir.resolve("queue")).isBlank() && System.nanoTime() < until) {
          Thread.sleep(50);
        }
        assertEquals("", Files.readString(stateDir.resolve("queue")).strip(), "the finished job left the queue");
        assertFalse(Files.exists(resumeFile), "the finished job's resume file is removed");
        Thread.sleep(1000);
        assertEquals("", Files.readString(stateDir.resolve("queue")).strip(),
            "nothing queued after the job: " + second.output());
        assertFalse(second.output().contains("owner:"), "no owner job follows a rotation's job: " + second.output());
      }

      assertEquals(Map.of(ACCOUNT_KEY + " v2", (long) BLOBS), StoredDeks.byKeyVersion(nodes, ACCOUNT),
          "every stored DEK on the new version");
      DekCensusResponse census = agent.census(ACCOUNT_KEY);
      for (DekCensusVersion v : census.getVersionsList()) {
        assertEquals(v.getVersion() == 2 ? BLOBS : 0, v.getCensusDeks(), census.toString());
      }
      assertEquals("version 1: 42", c.getBlobClient("b42").downloadContent().toString());
    }
  }
}
