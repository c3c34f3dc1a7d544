package io.cobalt.crypto.chunk;

import io.cobalt.crypto.key.DataKey;
import java.security.SecureRandom;
import java.util.Random;

/** Seeded inputs for chunk tests: keys, identities, plaintext. */
final class RandomChunkInputs {
  private RandomChunkInputs() {}

  static byte[] bytes(Random random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  static DataKey dek(Random random) {
    return DataKey.of(bytes(random, DataKey.LENGTH_BYTES));
  }

  static ChunkIdentity identity(Random random) {
    return new ChunkIdentity(
        "acct" + random.nextInt(1_000_000), bytes(random, 16), bytes(random, 16), random.nextInt(1000));
  }

  /**
   * A sealer whose salts and prefixes come from the seeded random, so a failing run replays to the
   * same ciphertext. (Production code passes a real SecureRandom.)
   */
  static ChunkSealer sealer(Random random) {
    return new ChunkSealer(new SeededSecureRandom(random.nextLong()));
  }

  /** A SecureRandom that is not secure at all: deterministic bytes from java.util.Random. */
  static final class SeededSecureRandom extends SecureRandom {
    private static final long serialVersionUID = 1L;
    private final Random delegate;

    SeededSecureRandom(long seed) {
      super(new byte[0]);
      this.delegate = new Random(seed);
    }

    @Override
    public synchronized void nextBytes(byte[] bytes) {
      delegate.nextBytes(bytes);
    }
  }
}
