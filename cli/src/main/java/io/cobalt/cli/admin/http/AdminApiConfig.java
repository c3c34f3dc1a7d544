package io.cobalt.cli.admin.http;

import io.cobalt.cli.admin.http.authz.AdminPolicy;
import io.cobalt.cli.admin.http.authz.ReloadingAdminPolicy;
import io.cobalt.crypto.tls.TlsMaterial;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Set;

/**
 * The HTTPS admin API's configuration (ADR 0033).
 *
 * @param bindHost address to listen on (default loopback: put a reverse proxy or a firewall rule in front to expose it)
 * @param port TCP port; 0 picks a free one ({@link AdminApiServer#port()})
 * @param tls this server's certificate and key, and the cluster CA: the only anchor client certificates must chain to
 * @param policy who may do what (ADR 0041): one grant per identity (hex SHA-256 of the client certificate's
 *     SubjectPublicKeyInfo), deny by default; reloaded from its file, if it has one, without a restart
 * @param jobsDir where rewrap jobs keep their record and resume point; jobs found unfinished there are resumed at start
 * @param auditLog the kms-agent's audit log, for {@code /v1/audit/verify}; null: that endpoint answers NOT_CONFIGURED
 * @param maxBodyBytes request body limit
 * @param workerThreads threads that make the blocking calls to the agent (never the event loop)
 * @param maxQueuedRequests requests waiting for a worker before new ones get 503 SERVER_BUSY
 * @param maxJobs job records kept (finished ones count; remove them with DELETE) before new jobs get 429
 * @param policyReloadCheckMillis how often the policy file is read again (at least 1000)
 */
public record AdminApiConfig(String bindHost, int port, TlsMaterial tls, ReloadingAdminPolicy policy, Path jobsDir,
    Path auditLog, int maxBodyBytes, int workerThreads, int maxQueuedRequests, int maxJobs,
    long policyReloadCheckMillis) {
  public static final int DEFAULT_MAX_BODY_BYTES = 64 * 1024;
  /** The policy file is read again this often (as the kms-agent checks its TLS files). */
  public static final long DEFAULT_POLICY_RELOAD_CHECK_MILLIS = 5_000;

  public AdminApiConfig {
    Objects.requireNonNull(bindHost, "bindHost");
    Objects.requireNonNull(tls, "tls");
    Objects.requireNonNull(jobsDir, "jobsDir");
    Objects.requireNonNull(policy, "policy");
    if (policy.file() == null && policy.current().grants().isEmpty()) {
      throw new IllegalArgumentException("at least one allowed identity is needed (deny by default)");
    }
    if (policyReloadCheckMillis < 1_000) {
      throw new IllegalArgumentException("policyReloadCheckMillis must be at least 1000");
    }
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
    if (maxBodyBytes < 1024 || maxBodyBytes > 16 * 1024 * 1024) {
      throw new IllegalArgumentException("maxBodyBytes must be 1 KiB..16 MiB");
    }
    if (workerThreads < 1 || workerThreads > 64 || maxQueuedRequests < 1 || maxQueuedRequests > 10_000) {
      throw new IllegalArgumentException("workerThreads 1..64, maxQueuedRequests 1..10000");
    }
    if (maxJobs < 1 || maxJobs > 10_000) {
      throw new IllegalArgumentException("maxJobs must be 1..10000");
    }
  }

  /** Defaults: 64 KiB bodies, 4 workers, 64 queued requests, 100 job records, policy checked every 5 s. */
  public static AdminApiConfig of(String bindHost, int port, TlsMaterial tls, ReloadingAdminPolicy policy,
      Path jobsDir, Path auditLog) {
    return new AdminApiConfig(bindHost, port, tls, policy, jobsDir, auditLog, DEFAULT_MAX_BODY_BYTES, 4, 64, 100,
        DEFAULT_POLICY_RELOAD_CHECK_MILLIS);
  }

  /** The allow-list form (ADR 0033): each of {@code allowedIdentities} may do everything; nobody else anything. */
  public static AdminApiConfig of(String bindHost, int port, TlsMaterial tls, Set<String> allowedIdentities,
      Path jobsDir, Path auditLog) {
    return of(bindHost, port, tls, ReloadingAdminPolicy.fixed(AdminPolicy.everythingFor(allowedIdentities)), jobsDir,
        auditLog);
  }

  /** This configuration with another policy check interval. */
  public AdminApiConfig withPolicyReloadCheckMillis(long millis) {
    return new AdminApiConfig(bindHost, port, tls, policy, jobsDir, auditLog, maxBodyBytes, workerThreads,
        maxQueuedRequests, maxJobs, millis);
  }
}
