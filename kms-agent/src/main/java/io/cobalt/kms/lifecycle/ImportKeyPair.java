package io.cobalt.kms.lifecycle;

import io.cobalt.kms.backend.DurableFile;
import io.cobalt.kms.backend.local.SealedKeystore;
import io.cobalt.kms.keys.KeyOperationException;
import io.cobalt.kms.keys.KeyOperationException.Kind;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's RSA-3072 key pair for BYOK import, made on first use and kept in
 * {@code import-key.json}: the public key in the clear, the private key (PKCS#8) only sealed by the
 * local keystore ({@link SealedKeystore#sealAuxiliary}). One per agent; it survives restarts.
 * The private key lives in memory only while an import is unwrapped.
 */
public final class ImportKeyPair {
  public static final String FILE_NAME = "import-key.json";
  public static final int RSA_BITS = 3072;
  private static final String FORMAT = "cobalt-import-key/v1";
  private static final String SEAL_LABEL = "byok-import-key/rsa-3072";
  private static final Logger LOG = LoggerFactory.getLogger(ImportKeyPair.class);

  /** The public half, as GetImportKey returns it. */
  public record PublicPart(RSAPublicKey key, byte[] der, String fingerprint) {
    public PublicPart {
      der = der.clone();
    }

    @Override
    public byte[] der() {
      return der.clone();
    }

    public String pem() {
      return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
          .encodeToString(der) + "\n-----END PUBLIC KEY-----\n";
    }
  }

  private final Path file;
  private final SealedKeystore sealer;
  private final SecureRandom random;
  private PublicPart publicPart;
  private byte[] sealedPrivate;

  public ImportKeyPair(Path dataDir, SealedKeystore sealer, SecureRandom random) {
    this.file = dataDir.resolve(FILE_NAME);
    this.sealer = sealer;
    this.random = random;
  }

  /** The public key, made (and stored) now if the agent has none yet. */
  public synchronized PublicPart publicPart() throws KeyOperationException {
    ensure();
    return publicPart;
  }

  /** Unwraps a BYOK envelope with the private key, which is unsealed for this call only. */
  public synchronized byte[] unwrap(byte[] envelope) throws KeyOperationException {
    ensure();
    byte[] pkcs8 = sealer.unsealAuxiliary(SEAL_LABEL, sealedPrivate);
    try {
      RSAPrivateKey priv = (RSAPrivateKey) KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
      return ByokEnvelope.unwrap(priv, envelope);
    } catch (GeneralSecurityException e) {
      throw new KeyOperationException(Kind.INTERNAL, "the sealed import key is damaged");
    } finally {
      Arrays.fill(pkcs8, (byte) 0);
    }
  }

  private void ensure() throws KeyOperationException {
    if (publicPart != null) {
      return;
    }
    try {
      if (Files.exists(file)) {
        JsonObject root = new JsonObject(Files.readString(file));
        if (!FORMAT.equals(root.getString("format"))) {
          throw new IOException("unknown format");
        }
        byte[] der = Base64.getDecoder().decode(root.getString("publicKey"));
        byte[] sealed = Base64.getDecoder().decode(root.getString("sealedPrivateKey"));
        Arrays.fill(sealer.unsealAuxiliary(SEAL_LABEL, sealed), (byte) 0);
        publicPart = publicPartOf(der);
        sealedPrivate = sealed;
        return;
      }
      KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
      gen.initialize(new RSAKeyGenParameterSpec(RSA_BITS, RSAKeyGenParameterSpec.F4), random);
      KeyPair pair = gen.generateKeyPair();
      byte[] pkcs8 = pair.getPrivate().getEncoded();
      byte[] sealed;
      try {
        sealed = sealer.sealAuxiliary(SEAL_LABEL, pkcs8);
      } finally {
        Arrays.fill(pkcs8, (byte) 0);
      }
      byte[] der = pair.getPublic().getEncoded();
      JsonObject root = new JsonObject()
          .put("format", FORMAT)
          .put("publicKey", Base64.getEncoder().encodeToString(der))
          .put("sealedPrivateKey", Base64.getEncoder().encodeToString(sealed));
      DurableFile.replace(file, root.encodePrettily().getBytes(StandardCharsets.UTF_8));
      publicPart = publicPartOf(der);
      sealedPrivate = sealed;
      LOG.info("created BYOK import key {} ({})", publicPart.fingerprint(), file);
    } catch (IOException | DecodeException | ClassCastException | IllegalArgumentException | NullPointerException e) {
      LOG.error("import key {} cannot be read or written: {}", file, e.toString());
      throw new KeyOperationException(Kind.KEYSTORE_UNAVAILABLE, "the import key cannot be read or written");
    } catch (GeneralSecurityException e) {
      throw new KeyOperationException(Kind.INTERNAL, "cannot make an RSA-3072 key");
    }
  }

  private static PublicPart publicPartOf(byte[] der) throws GeneralSecurityException {
    RSAPublicKey key = (RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(der));
    return new PublicPart(key, der, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(der)));
  }

  @Override
  public String toString() {
    return "ImportKeyPair[" + file + "]";
  }
}
