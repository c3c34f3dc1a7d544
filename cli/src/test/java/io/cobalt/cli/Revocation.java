package io.cobalt.cli;

import com.azure.storage.blob.models.BlobStorageException;
import java.time.Duration;

/** Waiting for a disabled key's refusal, shared by the key ITs. */
final class Revocation {
  private Revocation() {}

  /** The refusal {@code call} meets within 5 s of a key's disable (the revocation bound of ADR 0014). */
  static BlobStorageException awaitRefusal(Runnable call) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (true) {
      try {
        call.run();
      } catch (BlobStorageException e) {
        return e;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("still served 5 s after the key was disabled");
      }
      Thread.sleep(50);
    }
  }
}
