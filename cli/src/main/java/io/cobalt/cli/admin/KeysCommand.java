package io.cobalt.cli.admin;

import io.cobalt.cli.admin.rewrap.RewrapJob;
import io.cobalt.cli.admin.rpc.AgentRewrapKeys;
import io.cobalt.cli.admin.rpc.KeyAdminClient;
import io.cobalt.cli.admin.rpc.MetadataPartitionsClient;
import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.proto.kms.v1.DekCensusResponse;
import io.cobalt.proto.kms.v1.DekCensusVersion;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
        KeysCommand.Recover.class, KeysCommand.Purge.class, KeysCommand.Import.class, KeysCommand.Rewrap.class,
        KeysCommand.Census.class, KeysCommand.RewrapFollow.class})
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

    @Option(names = "--force", description = "disable even if the version may still wrap live DEKs (emergency"
        + " revocation: data under it becomes unreadable until it is enabled again)")
    boolean force;

    @Override
    void run(KeyAdminClient client, PrintWriter out) throws KeyAdminException {
      KeyTable.printKey(out, client.setVersionState(key, version, false, force));
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

    @Option(names = "--force", description = "retire versions even if they may still wrap live DEKs")
    boolean force;

    @Override
    void run(KeyAdminClient client, PrintWriter out) throws KeyAdminException {
      KeyTable.printKey(out, client.setMinDecryptionVersion(key, version, force));
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

  /** Where the storage nodes are, for the commands that walk the metadata. */
  static final class NodeTargets {
    @Option(names = "--data", paramLabel = "DIR",
        description = "a `cobalt dev` data directory or a `cobalt init` directory: node list and partition count")
    Path data;

    @Option(names = "--node", paramLabel = "[ID@]HOST:PORT", split = ",",
        description = "a node's gRPC address (repeatable); with --partitions")
    List<String> nodes;

    @Option(names = "--partitions", defaultValue = "-1", description = "partition count (with --node)")
    int partitions;

    MetadataPartitionsClient connect(KmsConnectionOptions connection) throws IOException {
      if ((data == null) == (nodes == null)) {
        throw new IOException("give either --data DIR or --node ... --partitions N");
      }
      ClusterTargets targets = data != null ? ClusterTargets.fromDirectory(data) : ClusterTargets.explicit(nodes);
      int count = data != null ? targets.partitions() : partitions;
      if (count < 1) {
        throw new IOException("the partition count is unknown: pass --partitions N");
      }
      TlsMaterial tls = TlsMaterial.load(connection.tlsDir, connection.identity);
      List<MetadataPartitionsClient.Node> list = new ArrayList<>();
      for (ClusterTargets.Target t : targets.nodes()) {
        list.add(new MetadataPartitionsClient.Node(t.name(), t.host(), t.port()));
      }
      return new MetadataPartitionsClient(list, count, tls);
    }
  }

  @Command(name = "rewrap", mixinStandardHelpOptions = true, sortOptions = false,
      description = {"Move stored DEKs to their owner's current key source without re-encrypting data: every DEK of"
          + " KEY (--key; after a rotation) or of an account or scope (--account [--scope]; after a switch of key"
          + " source with `cobalt admin accounts set-key`). Then report the live-DEK census to the agent.",
          "Resumable: with --state FILE, a run started again continues after the last completed page.",
          "Exit 0 when complete and nothing failed, 1 on a failure or refusals (see the counts), 2 usage."})
  static final class Rewrap extends AgentCall {
    @Option(names = "--key", paramLabel = "KEY", description = "e.g. account/<account> or cmk/<name>")
    String key;

    @Option(names = "--account", paramLabel = "ACCOUNT", description = "every DEK of this account (instead of --key)")
    String account;

    @Option(names = "--scope", paramLabel = "SCOPE", description = "with --account: the DEKs of this encryption scope")
    String scope;

    @Option(names = "--state", paramLabel = "FILE", description = "resume point; created if missing")
    Path state;

    @Option(names = "--concurrency", defaultValue = "4", description = "partitions walked at once (default: ${DEFAULT-VALUE})")
    int concurrency;

    @Option(names = "--page-size", defaultValue = "500", description = "records per scan page, 1..1000 (default: ${DEFAULT-VALUE})")
    int pageSize;

    @Option(names = "--census-only", description = "walk and report the live-DEK census to the agent; rewrap nothing")
    boolean censusOnly;

    @Option(names = "--progress-seconds", defaultValue = "5", description = "progress line every N s (default: ${DEFAULT-VALUE})")
    int progressSeconds;

    @ArgGroup(exclusive = false, multiplicity = "1", heading = "Nodes:%n")
    NodeTargets targets;

    @Override
    void run(KeyAdminClient client, PrintWriter out) throws KeyAdminException, IOException {
      RewrapJob.Options options;
      try {
        if (scope != null && account == null) {
          throw new IllegalArgumentException("--scope needs --account");
        }
        options = new RewrapJob.Options(key, account, scope, concurrency, pageSize, state, censusOnly);
      } catch (IllegalArgumentException e) {
        throw new KeyAdminException(e.getMessage(), "USAGE");
      }
      try (MetadataPartitionsClient nodes = targets.connect(connection)) {
        RewrapJob job = new RewrapJob(nodes, new AgentRewrapKeys(client), options, Clock.systemUTC(),
            p -> {
              out.println("progress: " + p);
              out.flush();
            }, Duration.ofSeconds(Math.max(1, progressSeconds)));
        RewrapJob.Report r = job.run();
        out.println((r.complete() ? "done: " : "stopped: ") + r.progress());
        out.printf(Locale.ROOT, "this run: %s in %.1f s; target %s v%d%n", r.progress().run(),
            r.elapsed().toMillis() / 1000.0, r.targetKeyId(), r.primaryVersion());
        if (key != null) {
          out.println("live DEKs of " + key + " per version: " + r.census()
              + (r.complete() ? " (reported to the agent)" : " (not reported: walk incomplete)"));
        } else {
          out.println("live DEKs per key and version: " + r.censusByKey()
              + (r.complete() ? " (reported to the agent)" : " (not reported: walk incomplete)"));
        }
        if (r.progress().cumulative().failed() > 0) {
          throw new KeyAdminException(r.progress().cumulative().failed() + " DEKs could not be rewrapped (their"
              + " version refused: see the agent's audit log); run again after fixing", "REWRAP_INCOMPLETE");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted");
      }
    }
  }

  @Command(name = "census", mixinStandardHelpOptions = true,
      description = "Show the agent's live-DEK census of KEY: per version, DEKs counted by the last complete walk,"
          + " DEKs generated since, and whether disabling or retiring it would be refused.")
  static final class Census extends AgentCall {
    @Parameters(paramLabel = "KEY")
    String key;

    @Override
    void run(KeyAdminClient client, PrintWriter out) throws KeyAdminException {
      DekCensusResponse c = client.census(key);
      out.println(key + ": " + (c.getCensusStartedEpochMillis() == 0 ? "never censused"
          : "census of the walk begun " + java.time.Instant.ofEpochMilli(c.getCensusStartedEpochMillis())));
      out.printf("%-8s %12s %16s %-7s %s%n", "VERSION", "CENSUS_DEKS", "GENERATED_SINCE", "IN_USE", "REASON");
      for (DekCensusVersion v : c.getVersionsList()) {
        out.printf("%-8s %12d %16d %-7s %s%n", "v" + v.getVersion(), v.getCensusDeks(), v.getGeneratedSince(),
            v.getInUse() ? "yes" : "no", v.getReason());
      }
    }
  }

  @Command(name = "rewrap-follow", mixinStandardHelpOptions = true, sortOptions = false,
      description = {"Run rewrap jobs automatically (ADR 0031): after every rotation of a key (scheduled or by hand)"
          + " the DEKs of that key, after every change of an account's or scope's key source that owner's DEKs.",
          "Follows the agent's key events; jobs are queued in --state-dir and resume after a crash. Runs until"
          + " stopped (with --once: runs what is queued, then exits)."})
  static final class RewrapFollow extends AgentCall {
    @Option(names = "--state-dir", required = true, paramLabel = "DIR", description = "queue and resume files")
    Path stateDir;

    @Option(names = "--concurrency", defaultValue = "4", description = "partitions walked at once (default: ${DEFAULT-VALUE})")
    int concurrency;

    @Option(names = "--page-size", defaultValue = "500", description = "records per scan page, 1..1000 (default: ${DEFAULT-VALUE})")
    int pageSize;

    @Option(names = "--retry-seconds", defaultValue = "30", description = "wait after a failed job (default: ${DEFAULT-VALUE})")
    int retrySeconds;

    @Option(names = "--once", description = "run the queued jobs and exit")
    boolean once;

    @Option(names = "--progress-seconds", defaultValue = "10",
        description = "progress line of a running job every N s (default: ${DEFAULT-VALUE})")
    int progressSeconds;

    @ArgGroup(exclusive = false, multiplicity = "1", heading = "Nodes:%n")
    NodeTargets targets;

    @Override
    void run(KeyAdminClient client, PrintWriter out) throws KeyAdminException, IOException {
      java.util.function.Consumer<String> log = line -> {
        synchronized (out) {
          out.println(java.time.Instant.now() + " " + line);
          out.flush();
        }
      };
      try (MetadataPartitionsClient nodes = targets.connect(connection)) {
        io.cobalt.cli.admin.rewrap.RewrapRunner runner = new io.cobalt.cli.admin.rewrap.RewrapRunner(stateDir,
            options -> new RewrapJob(nodes, new AgentRewrapKeys(client), options, Clock.systemUTC(),
                p -> log.accept("progress " + options.label() + ": " + p), Duration.ofSeconds(Math.max(1, progressSeconds))).run(), log);
        if (once) {
          try {
            runner.runPending(concurrency, pageSize);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return;
        }
        java.util.concurrent.Semaphore wake = new java.util.concurrent.Semaphore(0);
        Thread worker = new Thread(() -> {
          while (!Thread.currentThread().isInterrupted()) {
            try {
              wake.tryAcquire(retrySeconds, java.util.concurrent.TimeUnit.SECONDS);
              wake.drainPermits();
              runner.runPending(concurrency, pageSize);
            } catch (InterruptedException e) {
              return;
            } catch (IOException | RuntimeException e) {
              log.accept("rewrap job failed, retrying in " + retrySeconds + " s: " + e.getMessage());
            }
          }
        }, "rewrap-follow");
        worker.setDaemon(true);
        worker.start();
        wake.release();
        try {
          while (true) {
            try {
              client.followKeyEvents("rewrap-follow", (kind, keyId, at) -> {
                if (kind.equals("KEY_EVENT_RESYNC")) {
                  java.util.Map<String, Long> newest = new java.util.TreeMap<>();
                  try {
                    for (GetKeyResponse k : client.list("")) {
                      if (k.getVersionsCount() > 0) {
                        newest.put(k.getKeyId(), k.getVersions(k.getVersionsCount() - 1).getCreatedEpochMillis());
                      }
                    }
                  } catch (KeyAdminException e) {
                    throw new IOException(e.getMessage(), e);
                  }
                  int missed = runner.catchUp(newest);
                  log.accept("following key events" + (missed > 0 ? "; " + missed + " rotation(s) missed meanwhile" : ""));
                } else {
                  runner.onKeyEvent(kind, keyId, at);
                }
                wake.release();
              });
            } catch (KeyAdminException | IOException e) {
              log.accept(e.getMessage() + "; subscribing again in 5 s");
              Thread.sleep(5000);
            }
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } finally {
          worker.interrupt();
        }
      }
    }
  }
}
