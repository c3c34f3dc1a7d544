package io.cobalt.cli.admin;

import io.cobalt.cli.admin.rpc.KeyAdminClient;
import io.cobalt.cli.admin.rpc.KeyAdminException;
import io.cobalt.kms.lifecycle.ByokEnvelope;
import io.cobalt.proto.kms.v1.GetImportKeyResponse;
import io.cobalt.proto.kms.v1.GetKeyResponse;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.SecureRandom;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code cobalt admin keys ...}: the key lifecycle of a kms-agent, over mutual TLS. */
@Command(name = "keys", mixinStandardHelpOptions = true, description = "Key lifecycle on a kms-agent.",
    subcommands = {KeysCommand.ListKeys.class, KeysCommand.Create.class, KeysCommand.Rotate.class,
        KeysCommand.Describe.class, KeysCommand.Disable.class, KeysCommand.Enable.class,
        KeysCommand.SetMinVersion.class, KeysCommand.SetRotation.class, KeysCommand.Delete.class,
        KeysCommand.Recover.class, KeysCommand.Purge.class, KeysCommand.Import.class})
final class KeysCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** A subcommand that talks to the agent: connection options, one-line errors, exit 1 on refusal. */
  abstract static class AgentCall implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin KmsConnectionOptions connection;

    abstract void run(KeyAdminClient client, PrintWriter out) throws KeyAdminException, IOException;

    @Override
    public final Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      try (KeyAdminClient client = connection.connect()) {
        run(client, out);
        return 0;
      } catch (KeyAdminException e) {
        err.println("error: " + e.getMessage() + " (" + e.code() + ")");
        return 1;
      } catch (IOException e) {
        err.println("error: " + e.getMessage());
        return 1;
      } finally {
        out.flush();
        err.flush();
      }
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List keys (those your identity may see).")
  static final class ListKeys extends AgentCall {
    @Option(names = "--prefix", defaultValue = "", description = "only keys whose id starts with this")
    String prefix;

    @Override
    void run(KeyAdminClient client, PrintWriter out) throws KeyAdminException {
      KeyTable.printList(out, client.list(prefix));
    }
  }

  @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a key (version 1).")
  static final class Create extends AgentCall {
    @Parameters(paramLabel = "KEY", description = "cmk/<name> or account/<account>")
    String key;

    @Option(names = "--backend", defaultValue = "", description = "local, pkcs11 or kmip (default: the agent's)")
    String backend;

    @Override
    void run(KeyAdminClient client, PrintWriter out) throws KeyAdminException {
      KeyTable.printKey(out, client.create(key, backend));
    }
  }

  @Command(name = "rotate", mixinStandardHelpOptions = true, description = "Add a version; new data keys use it at once.")
  static final class Rotate extends AgentCall {
    @Parameters(paramLabel = "KEY")
    String key;

    @Override
    void run(KeyAdminClient client, PrintWriter out) throws KeyAdminException {
      GetKeyResponse k = client.rotate(key);
      out.println("rotated " + key + " to v" + k.getVersionsCount());
      KeyTable.printKey(out, k);
    }
  }

  @Command(name = "describe", mixinStandardHelpOptions = true, description = "Show a key's versions and lifecycle.")
  static final class Describe extends AgentCall {
    @Parameters(paramLabel = "KEY")
    String key;

    @Override
    void run(KeyAdminClient client, PrintWriter out) throws KeyAdminException {
      KeyTable.printKey(out, client.describe(key));
    }
  }

  @Command(name = "disable", mixinStandardHelpOptions = true,
      description = "Disable a version: it no longer wraps or unwraps (reads of data under it fail with 403).")
  static final class Disable extends AgentCall {
    @Parameters(paramLabel = "KEY")
    String key;

    @Option(names = "--version", required = true, paramLabel = "N")
    int version;

    @Override
    void run(KeyAdminClient client, PrintWriter out) throws KeyAdminException {
      KeyTable.printKey(out, client.setVersionState(key, version, false));
    }
  }

  @Command(name = "enable", mixinStandardHelpOptions = true, description = "Enable a version again.")
  static final class Enable extends AgentCall {
    @Parameters(paramLabel = "KEY")
    String key;

    @Option(names = "--version", required = true, paramLabel = "N")
    int version;

    @Override
    void run(KeyAdminClient client, PrintWriter out) throws KeyAdminException {
      KeyTable.printKey(out, client.setVersionState(key, version, true));
    }
  }

  @Command(name = "set-min-version", mixinStandardHelpOptions = true,
      description = "Set the minimum decryption version: older versions are refused (retired); can be lowered again.")
  static final class SetMinVersion extends AgentCall {
    @Parameters(paramLabel = "KEY")
    String key;

    @Option(names = "--version", required = true, paramLabel = "N")
    int version;

    @Override
    void run(KeyAdminClient client, PrintWriter out) throws KeyAdminException {
      KeyTable.printKey(out, client.setMinDecryptionVersion(key, version));
    }
  }

  @Command(name = "set-rotation", mixinStandardHelpOptions = true,
      description = "Rotate automatically every PERIOD (e.g. 90d, 12h; at least 1h), or 'off'.")
  static final class SetRotation extends AgentCall {
    private static final Pattern PERIOD = Pattern.compile("(\\d{1,6})([dhm])");

    @Parameters(paramLabel = "KEY")
    String key;

    @Option(names = "--period", required = true, paramLabel = "PERIOD")
    String period;

    @Override
    void run(KeyAdminClient client, PrintWriter out) throws KeyAdminException {
      KeyTable.printKey(out, client.setRotationPeriod(key, seconds(period)));
    }

    static long seconds(String p) throws KeyAdminException {
      String s = p.trim().toLowerCase(Locale.ROOT);
      if (s.equals("off") || s.equals("0")) {
        return 0;
      }
      Matcher m = PERIOD.matcher(s);
      if (!m.matches()) {
        throw new KeyAdminException("--period must look like 90d, 12h, 90m or off, not " + p, "USAGE");
      }
      long n = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "d" -> n * 86_400;
        case "h" -> n * 3_600;
        default -> n * 60;
      };
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true,
      description = "Soft-delete a key: refused for all use, recoverable until the retention ends, then purged.")
  static final class Delete extends AgentCall {
    @Parameters(paramLabel = "KEY")
    String key;

    @Option(names = "--retention-days", defaultValue = "90", description = "7..90 (default: ${DEFAULT-VALUE})")
    int retentionDays;

    @Option(names = "--purge-protection", description = "refuse purge until the retention ends (cannot be cleared)")
    boolean purgeProtection;

    @Override
    void run(KeyAdminClient client, PrintWriter out) throws KeyAdminException {
      KeyTable.printKey(out, client.scheduleDeletion(key, retentionDays, purgeProtection));
    }
  }

  @Command(name = "recover", mixinStandardHelpOptions = true, description = "Undo a soft delete.")
  static final class Recover extends AgentCall {
    @Parameters(paramLabel = "KEY")
    String key;

    @Override
    void run(KeyAdminClient client, PrintWriter out) throws KeyAdminException {
      KeyTable.printKey(out, client.recover(key));
    }
  }

  @Command(name = "purge", mixinStandardHelpOptions = true,
      description = "Destroy a soft-deleted key's material for good. Data under it is lost.")
  static final class Purge extends AgentCall {
    @Parameters(paramLabel = "KEY")
    String key;

    @Override
    void run(KeyAdminClient client, PrintWriter out) throws KeyAdminException {
      KeyTable.printKey(out, client.purge(key));
    }
  }

  @Command(name = "import", mixinStandardHelpOptions = true,
      description = "BYOK: create KEY from your key material, wrapped for the agent's import key "
          + "(RSA-OAEP-SHA256 + AES-KWP; see docs/key-management.md).")
  static final class Import extends AgentCall {
    @Parameters(paramLabel = "KEY")
    String key;

    @Option(names = "--backend", defaultValue = "", description = "backend that takes the key (default: the agent's)")
    String backend;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    static final class Source {
      @Option(names = "--material", paramLabel = "FILE",
          description = "raw 32-byte AES-256 key; wrapped here with the agent's import key, then sent")
      Path material;

      @Option(names = "--wrapped", paramLabel = "FILE",
          description = "material already wrapped (e.g. by an HSM with CKM_RSA_AES_KEY_WRAP) for this agent's import key")
      Path wrapped;
    }

    @Override
    void run(KeyAdminClient client, PrintWriter out) throws KeyAdminException, IOException {
      GetImportKeyResponse importKey = client.importKey();
      byte[] envelope;
      if (source.wrapped != null) {
        envelope = Files.readAllBytes(source.wrapped);
      } else {
        byte[] material = Files.readAllBytes(source.material);
        try {
          if (material.length != ByokEnvelope.TARGET_KEY_BYTES) {
            throw new KeyAdminException(source.material + " must hold exactly " + ByokEnvelope.TARGET_KEY_BYTES
                + " raw bytes (an AES-256 key), not " + material.length, "USAGE");
          }
          RSAPublicKey pub = (RSAPublicKey) KeyFactory.getInstance("RSA")
              .generatePublic(new X509EncodedKeySpec(importKey.getPublicKeyDer().toByteArray()));
          envelope = ByokEnvelope.wrap(pub, material, new SecureRandom());
        } catch (GeneralSecurityException e) {
          throw new KeyAdminException("cannot wrap the key material: " + e.getMessage(), "WRAP");
        } finally {
          Arrays.fill(material, (byte) 0);
        }
      }
      GetKeyResponse k = client.importKey(key, backend, envelope, importKey.getFingerprint());
      out.println("imported " + key + " (import key " + importKey.getFingerprint().substring(0, 16) + "...)");
      KeyTable.printKey(out, k);
    }
  }
}
