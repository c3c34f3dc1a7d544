package io.cobalt.kms.backend.local;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cobalt.kms.keys.KeyBackend;
import io.cobalt.kms.keys.KeyBackendContract;
import io.cobalt.kms.keys.KeyState;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The key backend contract, run against the local sealed keystore. */
class SealedKeystoreContractTest extends KeyBackendContract {
  @TempDir Path dir;
  private final byte[] masterKey = new byte[32];

  @Override
  protected KeyBackend openBackend() throws Exception {
    random.nextBytes(masterKey);
    return open();
  }

  @Override
  protected KeyBackend reopen(KeyBackend old) throws Exception {
    close(old);
    return open();
  }

  private SealedKeystore open() throws Exception {
    try (MasterKey mk = MasterKey.of(masterKey)) {
      return SealedKeystore.open(dir, mk, random, Clock.systemUTC());
    }
  }

  @Test
  void dropsTheSealedKekOfADestroyedVersionFromTheFile() throws Exception {
    String id = newKeyId();
    SealedKeystore ks = (SealedKeystore) backend;
    ks.createIfAbsent(id);
    String sealed = Base64.getEncoder().encodeToString(new byte[0]);
    String before = Files.readString(dir.resolve(SealedKeystore.FILE_NAME), StandardCharsets.UTF_8);
    assertFalse(before.contains("\"sealed\" : \"" + sealed + "\""));
    ks.setState(id, 1, KeyState.DISABLED);
    ks.destroy(id, 1);
    String after = Files.readString(dir.resolve(SealedKeystore.FILE_NAME), StandardCharsets.UTF_8);
    assertTrue(after.contains("\"sealed\" : \"\""), after);
  }
}
