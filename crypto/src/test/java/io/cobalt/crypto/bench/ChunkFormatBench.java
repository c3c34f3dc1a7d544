package io.cobalt.crypto.bench;

import io.cobalt.crypto.chunk.ChunkAuthenticationException;
import io.cobalt.crypto.chunk.ChunkIdentity;
import io.cobalt.crypto.chunk.ChunkOpener;
import io.cobalt.crypto.chunk.ChunkSealer;
import io.cobalt.crypto.key.DataKey;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The v1 chunk format against one raw AES-256-GCM call. Throughput in ops/s; MB/s = ops/s × the
 * plaintext size (64 KiB = 0.065536 MB, 4 MiB = 4.194304 MB). Run (docs/encryption-format.md,
 * "Benchmark"):
 *
 * <pre>
 * mvn -B -ntp -q -pl crypto test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
 * java -cp crypto/target/test-classes:crypto/target/classes:$(cat crypto/target/cp.txt) \
 *     org.openjdk.jmh.Main ChunkFormatBench -f 1 -wi 2 -w 1s -i 3 -r 1s
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ChunkFormatBench {
  private static final int SMALL = 64 * 1024;
  private static final int LARGE = 4 * 1024 * 1024;

  private DataKey dek;
  private ChunkIdentity id;
  private ChunkSealer sealer;
  private final ChunkOpener opener = new ChunkOpener();
  private byte[] small;
  private byte[] large;
  private byte[] smallChunk;
  private byte[] largeChunk;

  private SecretKeySpec rawKey;
  private Cipher rawCipher;
  private byte[] rawNonce;
  private long rawCounter;
  private byte[] rawOut;
  private byte[] rawCiphertext;
  private byte[] rawCiphertextNonce;
  private byte[] rawPlainOut;

  @Setup(Level.Trial)
  public void setUp() throws GeneralSecurityException {
    Random random = new Random(1);
    SecureRandom secure = new SecureRandom();
    dek = DataKey.generate(secure);
    byte[] objectId = new byte[16];
    byte[] streamId = new byte[16];
    random.nextBytes(objectId);
    random.nextBytes(streamId);
    id = new ChunkIdentity("benchaccount", objectId, streamId, 0);
    sealer = new ChunkSealer(secure);
    small = new byte[SMALL];
    large = new byte[LARGE];
    random.nextBytes(small);
    random.nextBytes(large);
    smallChunk = sealer.seal(dek, id, small, 0, small.length);
    largeChunk = sealer.seal(dek, id, large, 0, large.length);

    byte[] keyBytes = new byte[32];
    secure.nextBytes(keyBytes);
    rawKey = new SecretKeySpec(keyBytes, "AES");
    rawCipher = Cipher.getInstance("AES/GCM/NoPadding");
    rawNonce = new byte[12];
    rawOut = new byte[SMALL + 16];
    rawCiphertextNonce = new byte[12];
    secure.nextBytes(rawCiphertextNonce);
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    c.init(Cipher.ENCRYPT_MODE, rawKey, new GCMParameterSpec(128, rawCiphertextNonce));
    rawCiphertext = c.doFinal(small);
    rawPlainOut = new byte[SMALL];
    warmUpJit();
  }

  /**
   * AES-GCM is fast on the JVM only once C2 has compiled the intrinsic-backed loops (CounterMode,
   * GHASH). With 64 KiB calls that takes thousands of calls, more than a short JMH warm-up gives on
   * a busy machine, so reach steady state first with many small calls through the same code paths.
   * Production gateways are long-running and hot; this measures that state.
   */
  private void warmUpJit() throws GeneralSecurityException {
    byte[] kib = new byte[1024];
    byte[] out = new byte[kib.length + 16];
    byte[] back = new byte[kib.length];
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    byte[] nonce = new byte[12];
    for (int i = 0; i < 20_000; i++) {
      nonce[0] = (byte) i;
      nonce[1] = (byte) (i >>> 8);
      c.init(Cipher.ENCRYPT_MODE, rawKey, new GCMParameterSpec(128, nonce));
      c.doFinal(kib, 0, kib.length, out, 0);
      c.init(Cipher.DECRYPT_MODE, rawKey, new GCMParameterSpec(128, nonce));
      c.doFinal(out, 0, out.length, back, 0);
    }
    for (int i = 0; i < 5_000; i++) {
      byte[] chunk = sealer.seal(dek, id, kib, 0, kib.length);
      try {
        opener.open(dek, id, chunk);
      } catch (ChunkAuthenticationException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  @Benchmark
  public byte[] seal64KiB() {
    return sealer.seal(dek, id, small, 0, small.length);
  }

  @Benchmark
  public byte[] open64KiB() throws ChunkAuthenticationException {
    return opener.open(dek, id, smallChunk);
  }

  @Benchmark
  public byte[] seal4MiB() {
    return sealer.seal(dek, id, large, 0, large.length);
  }

  @Benchmark
  public byte[] open4MiB() throws ChunkAuthenticationException {
    return opener.open(dek, id, largeChunk);
  }

  /** One AES-256-GCM encryption of 64 KiB: init with a fresh (counter) nonce, one doFinal. */
  @Benchmark
  public byte[] rawGcmEncrypt64KiB() throws GeneralSecurityException {
    long n = ++rawCounter;
    for (int i = 0; i < 8; i++) {
      rawNonce[4 + i] = (byte) (n >>> (56 - 8 * i));
    }
    rawCipher.init(Cipher.ENCRYPT_MODE, rawKey, new GCMParameterSpec(128, rawNonce));
    rawCipher.doFinal(small, 0, small.length, rawOut, 0);
    return rawOut;
  }

  /** One AES-256-GCM decryption (and tag check) of 64 KiB. */
  @Benchmark
  public byte[] rawGcmDecrypt64KiB() throws GeneralSecurityException {
    rawCipher.init(Cipher.DECRYPT_MODE, rawKey, new GCMParameterSpec(128, rawCiphertextNonce));
    rawCipher.doFinal(rawCiphertext, 0, rawCiphertext.length, rawPlainOut, 0);
    return rawPlainOut;
  }
}
