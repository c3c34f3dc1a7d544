package io.cobalt.chaos;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.BlobStorageException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Jepsen's set-full over blobs: each worker PUTs blobs under names no one else uses
 * ({@code w<worker>-<seq>}, random content from the run's seed) and, every fourth operation, GETs one
 * of its acknowledged blobs and compares bytes. Every operation goes into the {@link History}.
 *
 * <p>A failed PUT is {@code info} (the blob may or may not exist: a 5xx or a timeout says nothing
 * about the commit) unless the status is a 4xx that rejects the request outright ({@code fail}).
 * A GET that fails is {@code fail}; one that answers 404 for an acknowledged blob counts as a stale
 * read, and one that returns other bytes counts as a corrupted read.
 */
public final class SetFullWorkload {
  private final BlobContainerClient container;
  private final History history;
  private final long seed;
  private final int minBytes;
  private final int maxBytes;
  private final Map<String, byte[]> written = new ConcurrentHashMap<>(); // every key a PUT was sent for
  private final Map<String, Boolean> acknowledged = new ConcurrentHashMap<>();
  private final AtomicLong staleReads = new AtomicLong();
  private final AtomicLong corruptedReads = new AtomicLong();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final List<Thread> threads = new ArrayList<>();

  public SetFullWorkload(BlobContainerClient container, History history, long seed, int minBytes, int maxBytes) {
    this.container = container;
    this.history = history;
    this.seed = seed;
    this.minBytes = minBytes;
    this.maxBytes = maxBytes;
  }

  public void start(int workers) {
    for (int w = 0; w < workers; w++) {
      int worker = w;
      Thread t = new Thread(() -> run(worker), "set-full-" + w);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
  }

  /** Stops after the operations in flight complete (each is bounded by the client's timeouts). */
  public void stop() throws InterruptedException {
    running.set(false);
    for (Thread t : threads) {
      t.join(120_000);
    }
  }

  private void run(int worker) {
    Random random = new Random(seed * 31 + worker);
    List<String> mine = new ArrayList<>();
    long seq = 0;
    while (running.get()) {
      if (!mine.isEmpty() && seq % 4 == 3) {
        read(worker, mine.get(random.nextInt(mine.size())));
      } else {
        String key = "w" + worker + "-" + seq;
        byte[] data = new byte[minBytes + random.nextInt(maxBytes - minBytes + 1)];
        random.nextBytes(data);
        if (write(worker, key, data)) {
          mine.add(key);
        }
      }
      seq++;
    }
  }

  private boolean write(int worker, String key, byte[] data) {
    written.put(key, data);
    long t0 = history.now();
    try {
      container.getBlobClient(key).upload(BinaryData.fromBytes(data), true);
      acknowledged.put(key, Boolean.TRUE);
      history.record(worker, History.Type.WRITE, key, t0, History.Outcome.OK, null);
      return true;
    } catch (BlobStorageException e) {
      boolean definite = e.getStatusCode() >= 400 && e.getStatusCode() < 500 && e.getStatusCode() != 408;
      history.record(worker, History.Type.WRITE, key, t0, definite ? History.Outcome.FAIL : History.Outcome.INFO,
          e.getStatusCode() + " " + e.getErrorCode());
    } catch (RuntimeException e) {
      history.record(worker, History.Type.WRITE, key, t0, History.Outcome.INFO, e.getClass().getSimpleName());
    }
    return false;
  }

  private void read(int worker, String key) {
    long t0 = history.now();
    try {
      byte[] got = container.getBlobClient(key).downloadContent().toBytes();
      boolean same = java.util.Arrays.equals(got, written.get(key));
      if (!same) {
        corruptedReads.incrementAndGet();
      }
      history.record(worker, History.Type.READ, key, t0, History.Outcome.OK, same ? null : "corrupted");
    } catch (BlobStorageException e) {
      if (e.getStatusCode() == 404) {
        staleReads.incrementAndGet();
      }
      history.record(worker, History.Type.READ, key, t0, History.Outcome.FAIL, e.getStatusCode() + " " + e.getErrorCode());
    } catch (RuntimeException e) {
      history.record(worker, History.Type.READ, key, t0, History.Outcome.FAIL, e.getClass().getSimpleName());
    }
  }

  /** Content of every key a PUT was sent for (acknowledged or not). */
  public Map<String, byte[]> written() {
    return Map.copyOf(written);
  }

  public boolean isAcknowledged(String key) {
    return acknowledged.containsKey(key);
  }

  public long staleReads() {
    return staleReads.get();
  }

  public long corruptedReads() {
    return corruptedReads.get();
  }
}
