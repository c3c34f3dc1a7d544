package io.cobalt.chaos;

import com.azure.core.util.BinaryData;
import com.azure.core.util.Context;
import com.azure.data.tables.TableClient;
import com.azure.data.tables.models.TableEntity;
import com.azure.data.tables.models.TableEntityUpdateMode;
import com.azure.data.tables.models.TableServiceException;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.BlobDownloadContentResponse;
import com.azure.storage.blob.models.BlobRequestConditions;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.options.BlobParallelUploadOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Per-key registers over a store with ETags: workers pick one of a few keys and either read it, write
 * it blindly, or compare-and-set it (read value and ETag, then write a new value under If-Match of that
 * ETag). Every value written is unique ({@code <workload>-<worker>-<seq>}), so a read names the write
 * it saw and an ETag names the value. Every operation goes into the {@link History} for
 * {@link LinearizabilityChecker}.
 *
 * <p>Outcomes: a read is {@code ok} (with the value, or nothing on 404) or {@code fail}; a write or
 * CAS is {@code ok}, {@code fail} when the service definitely refused it (412 ConditionNotMet, 404,
 * another 4xx but 408) and {@code info} otherwise (timeout, 5xx, connection error: it may or may not
 * have taken effect). The clients must not retry: a retried CAS that answers 412 may have succeeded
 * on its first try, and a retried blind write may apply twice around another write.
 */
public final class RegisterWorkload {
  /** A register store: the blob service or the table service. */
  public interface Store {
    /** Creates what the keys live in (container, table). */
    void prepare();

    /** Value and ETag, or null when the key does not exist. */
    Versioned read(String key);

    void write(String key, String value);

    /** Writes {@code value} only if the key's ETag is still {@code etag}. */
    void cas(String key, Versioned read, String value);

    /** The HTTP status of a service exception, or -1 for any other failure (timeout, connection). */
    int status(RuntimeException e);
  }

  /** A value read with the ETag it had; {@code handle} is what the store needs to send it back (the table entity). */
  public record Versioned(String value, String etag, Object handle) {}

  private final String name;
  private final Store store;
  private final History history;
  private final long seed;
  private final List<String> keys;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final List<Thread> threads = new ArrayList<>();

  public RegisterWorkload(String name, Store store, History history, long seed, int keyCount) {
    this.name = name;
    this.store = store;
    this.history = history;
    this.seed = seed;
    List<String> k = new ArrayList<>();
    for (int i = 0; i < keyCount; i++) {
      k.add("r" + i);
    }
    this.keys = List.copyOf(k);
  }

  public String name() {
    return name;
  }

  public void start(int workers) {
    store.prepare();
    for (int w = 0; w < workers; w++) {
      int worker = w;
      Thread t = new Thread(() -> run(worker), name + "-" + w);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
  }

  public void stop() throws InterruptedException {
    running.set(false);
    for (Thread t : threads) {
      t.join(120_000);
    }
  }

  private void run(int worker) {
    Random random = new Random(seed * 37 + name.hashCode() * 7L + worker);
    long seq = 0;
    while (running.get()) {
      String key = keys.get(random.nextInt(keys.size()));
      String value = name + "-" + worker + "-" + seq++;
      int roll = random.nextInt(10);
      if (roll < 3) {
        read(worker, key);
      } else if (roll < 5) {
        write(worker, key, value);
      } else {
        Versioned v = read(worker, key);
        if (v != null && v.etag() != null) {
          cas(worker, key, v, value);
        } else if (v == null) {
          pause(50); // the read failed: back off a little
        }
      }
    }
  }

  /** The value read (with value null when the key does not exist), or null when the read failed. */
  private Versioned read(int worker, String key) {
    long t0 = history.now();
    try {
      Versioned v = store.read(key);
      history.record(name, worker, History.Type.READ, key, v == null ? null : v.value(), null, t0, History.Outcome.OK, null);
      return v == null ? new Versioned(null, null, null) : v;
    } catch (RuntimeException e) {
      int status = store.status(e);
      history.record(name, worker, History.Type.READ, key, null, null, t0, History.Outcome.FAIL, describe(status, e));
      return null;
    }
  }

  private void write(int worker, String key, String value) {
    long t0 = history.now();
    try {
      store.write(key, value);
      history.record(name, worker, History.Type.WRITE, key, value, null, t0, History.Outcome.OK, null);
    } catch (RuntimeException e) {
      int status = store.status(e);
      history.record(name, worker, History.Type.WRITE, key, value, null, t0, outcome(status), describe(status, e));
    }
  }

  private void cas(int worker, String key, Versioned read, String value) {
    long t0 = history.now();
    try {
      store.cas(key, read, value);
      history.record(name, worker, History.Type.CAS, key, value, read.value(), t0, History.Outcome.OK, null);
    } catch (RuntimeException e) {
      int status = store.status(e);
      history.record(name, worker, History.Type.CAS, key, value, read.value(), t0, outcome(status), describe(status, e));
    }
  }

  /**
   * After healing and stopping: one read of each key (a few tries if it fails), recorded like the
   * others, so the checker also sees that the last acknowledged writes survived.
   */
  public void finalReads() {
    for (String key : keys) {
      for (int attempt = 0; attempt < 5 && read(999, key) == null; attempt++) {
        pause(1_000);
      }
    }
  }

  /** OK reads that returned a value no operation of the history wrote (corruption, not staleness). */
  public static long readsOfUnwrittenValues(List<History.Op> ops) {
    java.util.Set<String> written = new java.util.HashSet<>();
    for (History.Op op : ops) {
      if (op.type() == History.Type.WRITE || op.type() == History.Type.CAS) {
        written.add(op.value());
      }
    }
    return ops.stream().filter(op -> op.type() == History.Type.READ && op.outcome() == History.Outcome.OK
        && op.value() != null && !written.contains(op.value())).count();
  }

  /** Definite failure: the service answered with a 4xx other than 408 (412, 404, 409 ...). */
  static History.Outcome outcome(int status) {
    return status >= 400 && status < 500 && status != 408 ? History.Outcome.FAIL : History.Outcome.INFO;
  }

  private static String describe(int status, RuntimeException e) {
    return status > 0 ? Integer.toString(status) : e.getClass().getSimpleName();
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Registers as block blobs: the value is the blob's content; CAS is Put Blob with If-Match. */
  public static Store blobs(BlobContainerClient container, Duration timeout) {
    return new Store() {
      @Override
      public void prepare() {
        if (!container.exists()) {
          container.create();
        }
      }

      @Override
      public Versioned read(String key) {
        try {
          BlobDownloadContentResponse r = container.getBlobClient(key)
              .downloadContentWithResponse(null, null, timeout, Context.NONE);
          return new Versioned(r.getValue().toString(), r.getDeserializedHeaders().getETag(), null);
        } catch (BlobStorageException e) {
          if (e.getStatusCode() == 404) {
            return null;
          }
          throw e;
        }
      }

      @Override
      public void write(String key, String value) {
        container.getBlobClient(key).uploadWithResponse(new BlobParallelUploadOptions(BinaryData.fromString(value)),
            timeout, Context.NONE);
      }

      @Override
      public void cas(String key, Versioned read, String value) {
        BlobClient blob = container.getBlobClient(key);
        blob.uploadWithResponse(new BlobParallelUploadOptions(BinaryData.fromString(value))
            .setRequestConditions(new BlobRequestConditions().setIfMatch(read.etag())), timeout, Context.NONE);
      }

      @Override
      public int status(RuntimeException e) {
        return e instanceof BlobStorageException b ? b.getStatusCode() : -1;
      }
    };
  }

  /**
   * Registers as table entities (PartitionKey {@code reg}, RowKey the key, property {@code v});
   * CAS is Update Entity (replace) with If-Match of the ETag read, a blind write is Insert-or-Replace.
   */
  public static Store tables(TableClient table, Duration timeout) {
    return new Store() {
      @Override
      public void prepare() {
        try {
          table.createTable();
        } catch (TableServiceException e) {
          if (e.getResponse().getStatusCode() != 409) {
            throw e;
          }
        }
      }

      @Override
      public Versioned read(String key) {
        try {
          TableEntity e = table.getEntityWithResponse("reg", key, null, timeout, Context.NONE).getValue();
          Object v = e.getProperty("v");
          return new Versioned(v == null ? null : v.toString(), e.getETag(), e);
        } catch (TableServiceException e) {
          if (e.getResponse().getStatusCode() == 404) {
            return null;
          }
          throw e;
        }
      }

      @Override
      public void write(String key, String value) {
        table.upsertEntityWithResponse(new TableEntity("reg", key).addProperty("v", value), TableEntityUpdateMode.REPLACE,
            timeout, Context.NONE);
      }

      @Override
      public void cas(String key, Versioned read, String value) {
        TableEntity e = (TableEntity) read.handle(); // carries the ETag it was read with
        e.addProperty("v", value);
        table.updateEntityWithResponse(e, TableEntityUpdateMode.REPLACE, true, timeout, Context.NONE);
      }

      @Override
      public int status(RuntimeException e) {
        return e instanceof TableServiceException t ? t.getResponse().getStatusCode() : -1;
      }
    };
  }
}
