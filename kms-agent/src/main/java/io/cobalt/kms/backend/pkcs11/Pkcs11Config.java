package io.cobalt.kms.backend.pkcs11;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where the PKCS#11 backend finds its token and keeps its records.
 *
 * @param libraryPath the PKCS#11 module, e.g. {@code /usr/lib/softhsm/libsofthsm2.so}
 * @param token which token of the module: by its label, or by its index in the module's slot list
 *     (not by slot id: SoftHSM renumbers slot ids at initialisation)
 * @param pinFile the user PIN as UTF-8 text (a trailing newline is ignored), owner-readable only
 * @param metadataFile the agent's record of keys, versions and states ({@code pkcs11-keys.json})
 * @param maxConcurrentOperations token operations in flight at once; more wait
 * @param waitMillis how long an operation waits for its turn before it fails BACKEND_UNAVAILABLE
 */
public record Pkcs11Config(
    Path libraryPath,
    TokenSelector token,
    Path pinFile,
    Path metadataFile,
    int maxConcurrentOperations,
    long waitMillis) {

  public static final int DEFAULT_MAX_CONCURRENT_OPERATIONS = 8;
  public static final long DEFAULT_WAIT_MILLIS = 2_000;

  public Pkcs11Config {
    Objects.requireNonNull(libraryPath, "libraryPath");
    Objects.requireNonNull(pinFile, "pinFile");
    Objects.requireNonNull(metadataFile, "metadataFile");
    Objects.requireNonNull(token, "token");
    if (maxConcurrentOperations < 1 || maxConcurrentOperations > 256) {
      throw new IllegalArgumentException("maxConcurrentOperations must be 1..256");
    }
    if (waitMillis < 0) {
      throw new IllegalArgumentException("waitMillis must be >= 0");
    }
  }

  /** Defaults for concurrency and waiting. */
  public static Pkcs11Config of(Path libraryPath, TokenSelector token, Path pinFile, Path metadataFile) {
    return new Pkcs11Config(libraryPath, token, pinFile, metadataFile, DEFAULT_MAX_CONCURRENT_OPERATIONS,
        DEFAULT_WAIT_MILLIS);
  }

  /** The token at {@code slotListIndex}; defaults for concurrency and waiting. */
  public static Pkcs11Config of(Path libraryPath, int slotListIndex, Path pinFile, Path metadataFile) {
    return of(libraryPath, TokenSelector.slotListIndex(slotListIndex), pinFile, metadataFile);
  }
}
