package io.cobalt.cli.admin;

import io.cobalt.cli.admin.http.AdminApiConfig;
import io.cobalt.cli.admin.http.AdminApiServer;
import io.cobalt.cli.admin.http.authz.AdminPolicy;
import io.cobalt.cli.admin.http.authz.AdminPolicyException;
import io.cobalt.cli.admin.http.authz.ReloadingAdminPolicy;
import io.cobalt.cli.admin.rpc.KeyAdminClient;
import io.cobalt.cli.admin.rpc.KeyAdminException;
import io.cobalt.cli.admin.rpc.MetadataPartitionsClient;
import io.cobalt.crypto.tls.TlsMaterial;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Pattern;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code cobalt admin serve}: the HTTPS admin API (ADR 0033) until stopped. It calls the kms-agent
 * as {@code --identity} and presents that certificate as its server certificate; callers must
 * present a cluster-CA client certificate whose identity has a grant in {@code --policy FILE}
 * (ADR 0041: operations and keys per identity, deny by default, reloaded while running). Without
 * {@code --policy}, the allow list of ADR 0033: {@code --identity}'s own, {@code --allow NAME} and
 * {@code --allow-identity HEX} may each do everything, nobody else anything.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Serve the HTTPS admin API (JSON over mutual TLS; endpoints in docs/operations.md).",
        "Runs until stopped (SIGTERM); unfinished rewrap jobs in --jobs-dir resume at start."})
final class ServeCommand implements Callable<Integer> {
  private static final Pattern HEX_IDENTITY = Pattern.compile("[0-9a-f]{64}");

  @Spec CommandSpec spec;
  @Mixin KmsConnectionOptions connection;

  @Option(names = "--listen", defaultValue = "127.0.0.1:8443", paramLabel = "HOST:PORT",
      description = "where to serve HTTPS (default: ${DEFAULT-VALUE}; port 0 picks a free one)")
  String listen;

  @Option(names = "--jobs-dir", required = true, paramLabel = "DIR", description = "rewrap job records and resume points")
  Path jobsDir;

  @Option(names = "--policy", paramLabel = "FILE", description = {"who may do what (ADR 0041; `cobalt init` writes"
      + " admin-policy.conf); reloaded when it changes. Without it: --identity, --allow and --allow-identity may"
      + " do everything"})
  Path policyFile;

  @Option(names = "--policy-check-seconds", defaultValue = "5",
      description = "how often --policy is read again (default: ${DEFAULT-VALUE})")
  int policyCheckSeconds;

  @Option(names = "--allow", paramLabel = "NAME", split = ",",
      description = "without --policy: also allow the holder of <tls-dir>/NAME.pem everything (repeatable)")
  List<String> allowNames = new ArrayList<>();

  @Option(names = "--allow-identity", paramLabel = "HEX", split = ",",
      description = "without --policy: also allow this identity everything: hex SHA-256 of a certificate's"
          + " SubjectPublicKeyInfo (repeatable)")
  List<String> allowIdentities = new ArrayList<>();

  @Option(names = "--audit-log", paramLabel = "FILE", description = "the kms-agent's audit log, for GET /v1/audit/verify")
  Path auditLog;

  @Option(names = "--max-body-bytes", defaultValue = "65536", description = "request body limit (default: ${DEFAULT-VALUE})")
  int maxBodyBytes;

  @ArgGroup(exclusive = false, multiplicity = "0..1", heading = "Nodes (for rewrap jobs):%n")
  KeysCommand.NodeTargets targets;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    int colon = listen.lastIndexOf(':');
    int port;
    try {
      port = Integer.parseInt(listen.substring(colon + 1));
    } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
      port = -1;
    }
    if (colon < 1 || port < 0 || port > 65_535) {
      err.println("error: --listen must be HOST:PORT, not " + listen);
      return 2;
    }
    if (policyFile != null && (!allowNames.isEmpty() || !allowIdentities.isEmpty())) {
      err.println("error: --allow and --allow-identity are for servers without --policy; grant them in the policy file");
      return 2;
    }
    if (policyCheckSeconds < 1 || policyCheckSeconds > 3600) {
      err.println("error: --policy-check-seconds must be 1..3600");
      return 2;
    }
    TlsMaterial tls;
    Set<String> allowed = new LinkedHashSet<>();
    try {
      tls = TlsMaterial.load(connection.tlsDir, connection.identity);
      if (policyFile == null) {
        allowed.add(TlsMaterial.identityOf(tls.certificate()));
      }
      for (String name : allowNames) {
        allowed.add(TlsMaterial.identityOf(TlsMaterial.load(connection.tlsDir, name).certificate()));
      }
    } catch (IOException | RuntimeException e) {
      err.println("error: cannot load certificates from " + connection.tlsDir + ": " + e.getMessage());
      return 1;
    }
    for (String hex : allowIdentities) {
      if (!HEX_IDENTITY.matcher(hex).matches()) {
        err.println("error: --allow-identity takes 64 lowercase hex digits, not " + hex);
        return 2;
      }
      allowed.add(hex);
    }
    ReloadingAdminPolicy policy;
    if (policyFile == null) {
      policy = ReloadingAdminPolicy.fixed(AdminPolicy.everythingFor(allowed));
      err.println("warning: no --policy: each of the " + allowed.size() + " allowed identities may do everything"
          + " (ADR 0041)");
    } else {
      try {
        policy = ReloadingAdminPolicy.load(policyFile, this::certificateIdentity);
      } catch (AdminPolicyException e) {
        err.println("error: " + e.getMessage());
        return 2;
      }
    }
    AdminApiConfig config;
    try {
      config = new AdminApiConfig(listen.substring(0, colon), port, tls, policy, jobsDir, auditLog, maxBodyBytes, 4,
          64, 100, policyCheckSeconds * 1000L);
    } catch (IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      return 2;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    CountDownLatch closed = new CountDownLatch(1);
    try (KeyAdminClient agent = connection.connect();
        MetadataPartitionsClient nodes = targets == null ? null : targets.connect(connection);
        AdminApiServer server = AdminApiServer.start(config, agent, nodes, Clock.systemUTC())) {
      out.println("admin API on https://" + config.bindHost() + ":" + server.port() + " (" + policy.current().grants()
          .size() + (policyFile == null ? " allowed identities" : " grants in " + policyFile)
          + (nodes == null ? "; no nodes given: rewrap jobs disabled" : "") + ")");
      out.flush();
      // On SIGTERM: let the try block close the server (a running job stays "running" and resumes next start).
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        stopped.countDown();
        try {
          closed.await(40, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "admin-api-shutdown"));
      stopped.await();
      return 0;
    } catch (KeyAdminException e) {
      err.println("error: " + e.getMessage() + " (" + e.code() + ")");
      return 1;
    } catch (IOException e) {
      err.println("error: " + e.getMessage());
      return 1;
    } finally {
      closed.countDown();
    }
  }

  /** {@code cert=NAME} in the policy: the identity of {@code <tls-dir>/NAME.pem} (only the public certificate is read). */
  private String certificateIdentity(String name) throws IOException {
    try (InputStream in = Files.newInputStream(connection.tlsDir.resolve(name + ".pem"))) {
      return TlsMaterial.identityOf(CertificateFactory.getInstance("X.509").generateCertificate(in));
    } catch (GeneralSecurityException e) {
      throw new IOException("not an X.509 certificate");
    }
  }
}
