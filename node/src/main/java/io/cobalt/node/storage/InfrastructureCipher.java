package io.cobalt.node.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The second, node-side layer of infrastructure (double) encryption (docs/adr/0032): a chunk
 * written for an account that requires infrastructure encryption is sealed again, with
 * AES-256-GCM under this node's service-managed infrastructure key, before it reaches RocksDB, and
 * opened on read. The chunk keeps its name (the SHA-256 of the first-layer ciphertext), so
 * replication, healing and scrubbing work on first-layer bytes as before.
 *
 * <pre>
 * sealed value = magic "CBIE" ‖ format 1 ‖ key version (uint32 BE) ‖ nonce (12, random) ‖
 *                AES-256-GCM(infra key[version], nonce, AAD = the 9 header bytes ‖ chunk id)(first-layer bytes) ‖ tag (16)
 * </pre>
 *
 * The first layer (crypto module's chunk format) starts with magic "CBLT", so a stored value's
 * first four bytes say which form it has. The chunk id in the associated data binds a sealed value
 * to its key: a value moved under another id fails to open. A value that fails to open is treated
 * as a corrupt replica (the GCM tag is checked before any byte is released).
 *
 * <p>Keys are versioned; new values use the newest version, older versions stay for reading. The
 * key file is {@code <version> <base64 of 32 bytes>} per line, mode 0600 (group/other access is
 * refused). Thread-safe: each call uses its own {@link Cipher}.
 */
public final class InfrastructureCipher {
  static final byte[] MAGIC = {'C', 'B', 'I', 'E'};
  static final byte FORMAT = 1;
  static final int HEADER = MAGIC.length + 1 + Integer.BYTES;
  static final int NONCE = 12;
  static final int TAG = 16;
  /** Bytes a sealed value adds to the first-layer ciphertext. */
  public static final int OVERHEAD = HEADER + NONCE + TAG;

  private final Map<Integer, SecretKey> keys;
  private final int current;
  private final SecureRandom random;

  /** A keyring of {@code version → 32-byte key}; the highest version seals. */
  public InfrastructureCipher(Map<Integer, byte[]> keyring, SecureRandom random) {
    if (keyring.isEmpty()) {
      throw new IllegalArgumentException("an infrastructure keyring needs at least one key");
    }
    TreeMap<Integer, SecretKey> k = new TreeMap<>();
    for (Map.Entry<Integer, byte[]> e : keyring.entrySet()) {
      if (e.getKey() < 1) {
        throw new IllegalArgumentException("infrastructure key versions start at 1");
      }
      if (e.getValue().length != 32) {
        throw new IllegalArgumentException("infrastructure key version " + e.getKey() + " is not 32 bytes");
      }
      k.put(e.getKey(), new SecretKeySpec(e.getValue(), "AES"));
    }
    this.keys = Map.copyOf(k);
    this.current = k.lastKey();
    this.random = random;
  }

  /** The key version new values are sealed with. */
  public int currentVersion() {
    return current;
  }

  /** Whether {@code stored} is a sealed (second-layer) value rather than first-layer bytes. */
  public static boolean isSealed(byte[] stored) {
    return stored.length >= OVERHEAD && Arrays.equals(stored, 0, MAGIC.length, MAGIC, 0, MAGIC.length);
  }

  /** Seals the first-layer bytes of chunk {@code id} under the current key. */
  public byte[] seal(ChunkId id, byte[] firstLayer) {
    byte[] out = new byte[OVERHEAD + firstLayer.length];
    ByteBuffer b = ByteBuffer.wrap(out);
    b.put(MAGIC).put(FORMAT).putInt(current);
    byte[] nonce = new byte[NONCE];
    random.nextBytes(nonce);
    b.put(nonce);
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, keys.get(current), new GCMParameterSpec(TAG * 8, nonce));
      c.updateAAD(out, 0, HEADER);
      c.updateAAD(id.bytes());
      c.doFinal(firstLayer, 0, firstLayer.length, out, HEADER + NONCE);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM unavailable", e);
    }
    return out;
  }

  /**
   * Opens a sealed value of chunk {@code id}.
   *
   * @throws CorruptChunkException if it is malformed, names an unknown key version or fails
   *     authentication (a bad replica, or a value stored under another id)
   */
  public byte[] open(ChunkId id, byte[] sealed) {
    if (!isSealed(sealed) || sealed[MAGIC.length] != FORMAT) {
      throw new CorruptChunkException(id);
    }
    int version = ByteBuffer.wrap(sealed, MAGIC.length + 1, Integer.BYTES).getInt();
    SecretKey key = keys.get(version);
    if (key == null) {
      throw new CorruptChunkException(id);
    }
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG * 8, sealed, HEADER, NONCE));
      c.updateAAD(sealed, 0, HEADER);
      c.updateAAD(id.bytes());
      return c.doFinal(sealed, HEADER + NONCE, sealed.length - HEADER - NONCE);
    } catch (AEADBadTagException e) {
      throw new CorruptChunkException(id);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM unavailable", e);
    }
  }

  /**
   * Loads the node's infrastructure keyring from {@code file}, creating it (mode 0600, one random
   * version-1 key) if it does not exist.
   *
   * @throws IOException if the file cannot be read or written, is readable or writable by group or
   *     others, or is malformed (the message never contains key material)
   */
  public static InfrastructureCipher loadOrCreate(Path file, SecureRandom random) throws IOException {
    if (!Files.exists(file)) {
      byte[] key = new byte[32];
      random.nextBytes(key);
      String line = "1 " + Base64.getEncoder().encodeToString(key) + "\n";
      Arrays.fill(key, (byte) 0);
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(file, line, StandardCharsets.US_ASCII, StandardOpenOption.WRITE, StandardOpenOption.SYNC);
    }
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
    for (PosixFilePermission p : perms) {
      if (p.name().startsWith("GROUP") || p.name().startsWith("OTHERS")) {
        throw new IOException("infrastructure key file " + file + " is accessible by group or others ("
            + PosixFilePermissions.toString(perms) + "); chmod 600 it");
      }
    }
    Map<Integer, byte[]> ring = new TreeMap<>();
    List<String> lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
    int n = 0;
    for (String raw : lines) {
      n++;
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] parts = line.split("\\s+");
      try {
        if (parts.length != 2) {
          throw new IllegalArgumentException();
        }
        int version = Integer.parseInt(parts[0]);
        byte[] key = Base64.getDecoder().decode(parts[1]);
        if (version < 1 || key.length != 32 || ring.put(version, key) != null) {
          throw new IllegalArgumentException();
        }
      } catch (IllegalArgumentException e) {
        // never echo the line: it holds key material
        throw new IOException("infrastructure key file " + file + ": line " + n
            + " is not '<version ≥ 1, unique> <base64 of 32 bytes>'");
      }
    }
    if (ring.isEmpty()) {
      throw new IOException("infrastructure key file " + file + " holds no key");
    }
    InfrastructureCipher cipher = new InfrastructureCipher(ring, random);
    ring.values().forEach(k -> Arrays.fill(k, (byte) 0));
    return cipher;
  }
}
