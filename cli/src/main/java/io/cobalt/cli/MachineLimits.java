package io.cobalt.cli;

import io.cobalt.crypto.chunk.CipherWarmup;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/** The physical limits a storage benchmark is judged against, measured on this machine now. */
final class MachineLimits {
  private static final int BLOCK = 4 * 1024 * 1024;
  private static final int SEGMENT = 64 * 1024;

  record Figures(double diskWriteMBps, double aesGcmMBps) {}

  private MachineLimits() {}

  static Figures measure(Path scratchDir, int copies) throws IOException, GeneralSecurityException {
    return new Figures(diskWriteMBps(scratchDir, 128L * 1024 * 1024), aesGcmMBps(2_000));
  }

  /** Sequential write in 4 MiB blocks, each followed by fdatasync, as a chunk replica write is. */
  static double diskWriteMBps(Path dir, long totalBytes) throws IOException {
    Files.createDirectories(dir);
    Path file = Files.createTempFile(dir, ".cobalt-bench-", ".tmp");
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ByteBuffer buf = ByteBuffer.allocateDirect(BLOCK);
      byte[] noise = new byte[BLOCK];
      new SecureRandom().nextBytes(noise);
      buf.put(noise).flip();
      long t0 = System.nanoTime();
      for (long written = 0; written < totalBytes; written += BLOCK) {
        buf.rewind();
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(false);
      }
      return totalBytes / 1e6 / ((System.nanoTime() - t0) / 1e9);
    } finally {
      Files.deleteIfExists(file);
    }
  }

  /** AES-256-GCM encryption of 64 KiB segments on one thread, after a warm-up. */
  static double aesGcmMBps(long millis) throws GeneralSecurityException {
    CipherWarmup.run();
    byte[] key = new byte[32];
    SecureRandom random = new SecureRandom();
    random.nextBytes(key);
    SecretKeySpec k = new SecretKeySpec(key, "AES");
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    byte[] in = new byte[SEGMENT];
    byte[] out = new byte[SEGMENT + 16];
    byte[] iv = new byte[12];
    long counter = 0;
    for (int phase = 0; phase < 2; phase++) {
      long deadline = System.nanoTime() + (phase == 0 ? millis / 2 : millis) * 1_000_000;
      long bytes = 0;
      long t0 = System.nanoTime();
      while (System.nanoTime() < deadline) {
        counter++;
        for (int i = 0; i < 8; i++) {
          iv[i] = (byte) (counter >>> (8 * i));
        }
        c.init(Cipher.ENCRYPT_MODE, k, new GCMParameterSpec(128, iv));
        c.doFinal(in, 0, in.length, out, 0);
        bytes += in.length;
      }
      if (phase == 1) {
        return bytes / 1e6 / ((System.nanoTime() - t0) / 1e9);
      }
    }
    throw new AssertionError();
  }
}
