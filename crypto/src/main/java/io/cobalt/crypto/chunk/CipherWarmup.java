package io.cobalt.crypto.chunk;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Brings the JDK's AES-GCM, SHA-256 and HMAC code to its compiled, intrinsic form before the first
 * request. On JDK 17 a process that only ever makes a few large (64 KiB) GCM calls runs them in the
 * interpreter at ~70 MB/s for hundreds of megabytes, because HotSpot counts invocations, not bytes;
 * many small calls at start-up make the JIT compile the intrinsics (4 GB/s per core on AES-NI
 * machines) in about a quarter of a second. Runs once per JVM; later calls return at once.
 */
public final class CipherWarmup {
  private static final AtomicBoolean DONE = new AtomicBoolean();
  private static final int CALLS = 20_000;
  private static final int SIZE = 1024;

  private CipherWarmup() {}

  public static void run() {
    if (!DONE.compareAndSet(false, true)) {
      return;
    }
    try {
      SecretKeySpec key = new SecretKeySpec(new byte[32], "AES");
      Cipher enc = Cipher.getInstance("AES/GCM/NoPadding");
      Cipher dec = Cipher.getInstance("AES/GCM/NoPadding");
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      Mac hmac = Mac.getInstance("HmacSHA256");
      hmac.init(new SecretKeySpec(new byte[32], "HmacSHA256"));
      byte[] in = new byte[SIZE];
      byte[] sealed = new byte[SIZE + 16];
      byte[] opened = new byte[SIZE];
      byte[] nonce = new byte[12];
      for (int i = 0; i < CALLS; i++) {
        nonce[0] = (byte) i;
        nonce[1] = (byte) (i >>> 8);
        nonce[2] = (byte) (i >>> 16);
        GCMParameterSpec spec = new GCMParameterSpec(128, nonce);
        enc.init(Cipher.ENCRYPT_MODE, key, spec);
        enc.updateAAD(nonce);
        enc.doFinal(in, 0, SIZE, sealed, 0);
        dec.init(Cipher.DECRYPT_MODE, key, spec);
        dec.updateAAD(nonce);
        dec.doFinal(sealed, 0, sealed.length, opened, 0);
        sha.update(in);
        if (i % 16 == 0) {
          sha.digest();
          hmac.doFinal(in);
        }
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM, SHA-256 and HmacSHA256 are mandatory in every JDK", e);
    }
  }
}
