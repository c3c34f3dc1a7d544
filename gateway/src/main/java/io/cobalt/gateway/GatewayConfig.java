package io.cobalt.gateway;

import io.cobalt.crypto.tls.TlsMaterial;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The gateway's configuration, validated once here.
 *
 * @param bindHost address the Blob endpoint listens on, e.g. {@code 127.0.0.1}
 * @param blobPort Blob endpoint port; 0 picks any free port (see {@link GatewayServer#blobPort()})
 * @param accounts the accounts and their Shared Key keys
 * @param nodes the storage nodes (placement is computed over their ids)
 * @param kmsHost kms-agent gRPC host (mTLS)
 * @param kmsPort kms-agent gRPC port
 * @param tls this gateway's client certificate and the cluster CA, for every gRPC channel; may be
 *     null only when backends are injected ({@link GatewayServer#start(GatewayConfig, Backends)})
 * @param partitions number of fixed logical metadata partitions (default {@value #DEFAULT_PARTITIONS})
 * @param replicationFactor copies written of each chunk (default {@value #DEFAULT_REPLICATION_FACTOR})
 * @param writeQuorum copies that must acknowledge before a write succeeds (default {@value #DEFAULT_WRITE_QUORUM})
 * @param maxPutBlobBytes largest Put Blob body accepted (default {@value #DEFAULT_MAX_PUT_BLOB_BYTES}, 5000 MiB as Azure)
 * @param https HTTPS settings, or null to serve plain HTTP only (on {@code blobPort}); see
 *     {@link #withHttps}
 * @param tablePort Table endpoint port (plain HTTP, Azure's emulator uses 10002); 0 picks any free
 *     port, -1 (the default of the shorter constructors) serves no Table endpoint; see
 *     {@link #withTablePort}
 * @param queuePort Queue endpoint port (plain HTTP, Azure's emulator uses 10001); 0 picks any free
 *     port, -1 (the default of the shorter constructors) serves no Queue endpoint; see
 *     {@link #withQueuePort}
 * @param keyCache the DEK cache and its offline grace (null: {@link KeyCacheConfig#defaults()}); see
 *     {@link #withKeyCache}
 */
public record GatewayConfig(
    String bindHost,
    int blobPort,
    List<AccountKeys> accounts,
    List<NodeEndpoint> nodes,
    String kmsHost,
    int kmsPort,
    TlsMaterial tls,
    int partitions,
    int replicationFactor,
    int writeQuorum,
    long maxPutBlobBytes,
    GatewayHttpsConfig https,
    int tablePort,
    int queuePort,
    KeyCacheConfig keyCache) {
  public static final int DEFAULT_PARTITIONS = 16;
  public static final int DEFAULT_REPLICATION_FACTOR = 3;
  public static final int DEFAULT_WRITE_QUORUM = 2;
  public static final long DEFAULT_MAX_PUT_BLOB_BYTES = 5000L * 1024 * 1024;

  public GatewayConfig {
    Objects.requireNonNull(bindHost, "bindHost");
    accounts = List.copyOf(accounts);
    nodes = List.copyOf(nodes);
    keyCache = keyCache == null ? KeyCacheConfig.defaults() : keyCache;
    if (blobPort < 0 || blobPort > 65535) {
      throw new IllegalArgumentException("blobPort out of range: " + blobPort);
    }
    if (tablePort < -1 || tablePort > 65535) {
      throw new IllegalArgumentException("tablePort out of range: " + tablePort);
    }
    if (queuePort < -1 || queuePort > 65535) {
      throw new IllegalArgumentException("queuePort out of range: " + queuePort);
    }
    if (accounts.isEmpty()) {
      throw new IllegalArgumentException("at least one account is required");
    }
    Set<String> names = new HashSet<>();
    for (AccountKeys a : accounts) {
      if (!names.add(a.account())) {
        throw new IllegalArgumentException("duplicate account " + a.account());
      }
    }
    Set<String> ids = new HashSet<>();
    for (NodeEndpoint n : nodes) {
      if (!ids.add(n.nodeId())) {
        throw new IllegalArgumentException("duplicate node id " + n.nodeId());
      }
    }
    if (partitions < 1 || partitions > 4096) {
      throw new IllegalArgumentException("partitions must be 1..4096, was " + partitions);
    }
    if (replicationFactor < 1) {
      throw new IllegalArgumentException("replicationFactor must be >= 1");
    }
    if (writeQuorum < 1 || writeQuorum > replicationFactor) {
      throw new IllegalArgumentException("writeQuorum must be 1..replicationFactor");
    }
    if (nodes.size() < replicationFactor) {
      throw new IllegalArgumentException(
          "need at least replicationFactor=" + replicationFactor + " nodes, have " + nodes.size());
    }
    if (maxPutBlobBytes < 0) {
      throw new IllegalArgumentException("maxPutBlobBytes must be >= 0");
    }
  }

  /** The foundation's constructor: plain HTTP only (no {@link GatewayHttpsConfig}). */
  public GatewayConfig(
      String bindHost,
      int blobPort,
      List<AccountKeys> accounts,
      List<NodeEndpoint> nodes,
      String kmsHost,
      int kmsPort,
      TlsMaterial tls,
      int partitions,
      int replicationFactor,
      int writeQuorum,
      long maxPutBlobBytes) {
    this(bindHost, blobPort, accounts, nodes, kmsHost, kmsPort, tls, partitions, replicationFactor,
        writeQuorum, maxPutBlobBytes, null, -1, -1, null);
  }

  /** This configuration with a Table endpoint on {@code tablePort} (0: any free port; -1: none). */
  public GatewayConfig withTablePort(int tablePort) {
    return new GatewayConfig(bindHost, blobPort, accounts, nodes, kmsHost, kmsPort, tls, partitions,
        replicationFactor, writeQuorum, maxPutBlobBytes, https, tablePort, queuePort, keyCache);
  }

  /** This configuration with a Queue endpoint on {@code queuePort} (0: any free port; -1: none). */
  public GatewayConfig withQueuePort(int queuePort) {
    return new GatewayConfig(bindHost, blobPort, accounts, nodes, kmsHost, kmsPort, tls, partitions,
        replicationFactor, writeQuorum, maxPutBlobBytes, https, tablePort, queuePort, keyCache);
  }

  /** This configuration with HTTPS as given (null: plain HTTP only). */
  public GatewayConfig withHttps(GatewayHttpsConfig https) {
    return new GatewayConfig(bindHost, blobPort, accounts, nodes, kmsHost, kmsPort, tls, partitions,
        replicationFactor, writeQuorum, maxPutBlobBytes, https, tablePort, queuePort, keyCache);
  }

  /** This configuration with the DEK cache as given (null: defaults). */
  public GatewayConfig withKeyCache(KeyCacheConfig keyCache) {
    return new GatewayConfig(bindHost, blobPort, accounts, nodes, kmsHost, kmsPort, tls, partitions,
        replicationFactor, writeQuorum, maxPutBlobBytes, https, tablePort, queuePort, keyCache);
  }

  /** Whether the plain-HTTP endpoint is served (always, unless HTTPS is configured with HTTP off). */
  public boolean httpEnabled() {
    return https == null || https.httpEnabled();
  }

  /** A configuration with the defaults for partitions, replication and body size. */
  public static GatewayConfig withDefaults(
      String bindHost,
      int blobPort,
      List<AccountKeys> accounts,
      List<NodeEndpoint> nodes,
      String kmsHost,
      int kmsPort,
      TlsMaterial tls) {
    return new GatewayConfig(
        bindHost, blobPort, accounts, nodes, kmsHost, kmsPort, tls,
        DEFAULT_PARTITIONS, DEFAULT_REPLICATION_FACTOR, DEFAULT_WRITE_QUORUM,
        DEFAULT_MAX_PUT_BLOB_BYTES);
  }
}
