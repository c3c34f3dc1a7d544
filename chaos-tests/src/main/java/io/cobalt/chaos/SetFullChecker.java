package io.cobalt.chaos;

import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.BlobStorageException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The final reads of set-full, after every fault is healed: each acknowledged blob must be there
 * with its bytes (else it is lost); an {@code info} blob may be there or not, but if it is, its
 * bytes must be the ones written; no read may return other bytes (corrupted).
 */
public final class SetFullChecker {
  /** What the final reads found. */
  public record Result(int acknowledged, int indeterminate, int indeterminatePresent, List<String> lost,
      List<String> corrupted, List<String> unreadable) {}

  private SetFullChecker() {}

  public static Result check(BlobContainerClient container, SetFullWorkload workload) {
    int acknowledged = 0;
    int indeterminate = 0;
    int indeterminatePresent = 0;
    List<String> lost = new ArrayList<>();
    List<String> corrupted = new ArrayList<>();
    List<String> unreadable = new ArrayList<>();
    for (Map.Entry<String, byte[]> e : new TreeMap<>(workload.written()).entrySet()) {
      boolean acked = workload.isAcknowledged(e.getKey());
      if (acked) {
        acknowledged++;
      } else {
        indeterminate++;
      }
      byte[] got;
      try {
        got = read(container, e.getKey());
      } catch (RuntimeException ex) {
        unreadable.add(e.getKey() + ": " + ex.getClass().getSimpleName());
        continue;
      }
      if (got == null) {
        if (acked) {
          lost.add(e.getKey());
        }
      } else if (!Arrays.equals(got, e.getValue())) {
        corrupted.add(e.getKey());
      } else if (!acked) {
        indeterminatePresent++;
      }
    }
    return new Result(acknowledged, indeterminate, indeterminatePresent, lost, corrupted, unreadable);
  }

  /** The blob's bytes, or null if it does not exist; retries a few times on other errors (the cluster is healed). */
  private static byte[] read(BlobContainerClient container, String key) {
    RuntimeException last = null;
    for (int attempt = 0; attempt < 3; attempt++) {
      try {
        return container.getBlobClient(key).downloadContent().toBytes();
      } catch (BlobStorageException e) {
        if (e.getStatusCode() == 404) {
          return null;
        }
        last = e;
      } catch (RuntimeException e) {
        last = e;
      }
    }
    throw last;
  }
}
