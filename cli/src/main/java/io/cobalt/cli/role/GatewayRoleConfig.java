package io.cobalt.cli.role;

import io.cobalt.gateway.AccountKeys;
import io.cobalt.gateway.GatewayConfig;
import io.cobalt.gateway.KeyCacheConfig;
import io.cobalt.gateway.NodeEndpoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code cobalt gateway}'s file. Keys (environment override in brackets):
 *
 * <ul>
 *   <li>{@code bind.host} [COBALT_BIND_HOST] — Blob endpoint address (default 127.0.0.1)
 *   <li>{@code blob.port} [COBALT_BLOB_PORT] — Blob endpoint port (plain HTTP)
 *   <li>{@code table.port} [COBALT_TABLE_PORT] — Table endpoint port (plain HTTP); absent: no Table endpoint
 *   <li>{@code queue.port} [COBALT_QUEUE_PORT] — Queue endpoint port (plain HTTP); absent: no Queue endpoint
 *   <li>{@code accounts.file} [COBALT_ACCOUNTS_FILE] — account keys, mode 0600 (default account-keys.properties)
 *   <li>{@code nodes} [COBALT_NODES] — storage nodes' gRPC addresses: {@code id@host:grpcPort,...}
 *   <li>{@code kms.host}, {@code kms.port} [COBALT_KMS_HOST, COBALT_KMS_PORT] — the kms-agent (mTLS)
 *   <li>{@code tls.dir}, {@code tls.name} — the gateway's client certificate (default tls, gateway)
 *   <li>{@code partitions} (default 16), {@code replication.factor} (3), {@code write.quorum} (2),
 *       {@code max.put.blob.bytes} (5000 MiB)
 *   <li>{@code key.cache.max-entries} (10000; 0 = no DEK cache), {@code key.cache.ttl.ms} (300000),
 *       {@code key.offline-grace.ms} (0 = fail closed: nothing served from the cache without a live
 *       key event stream) — see {@link KeyCacheConfig}
 * </ul>
 */
record GatewayRoleConfig(String bindHost, int blobPort, int tablePort, int queuePort, Path accountsFile, List<NodeEndpoint> nodes, String kmsHost,
    int kmsPort, Path tlsDir, String tlsName, int partitions, int replicationFactor, int writeQuorum,
    long maxPutBlobBytes, KeyCacheConfig keyCache, Path file) {

  static final Set<String> KEYS = Set.of("bind.host", "blob.port", "table.port", "queue.port", "accounts.file", "nodes", "kms.host", "kms.port",
      "tls.dir", "tls.name", "partitions", "replication.factor", "write.quorum", "max.put.blob.bytes",
      "key.cache.max-entries", "key.cache.ttl.ms", "key.offline-grace.ms");

  static GatewayRoleConfig load(Path file, Map<String, String> env) throws RoleConfigException {
    RoleConfigSource s = RoleConfigSource.load(file, env, KEYS);
    String host = s.string("bind.host", "127.0.0.1");
    int blobPort = s.port("blob.port", null);
    int tablePort = s.string("table.port", "").isEmpty() ? -1 : s.port("table.port", null);
    int queuePort = s.string("queue.port", "").isEmpty() ? -1 : s.port("queue.port", null);
    Path accounts = s.path("accounts.file", "account-keys.properties");
    List<NodeEndpoint> nodes = new ArrayList<>();
    for (String entry : s.list("nodes", null)) {
      try {
        PeerAddress a = PeerAddress.parse("nodes", entry);
        nodes.add(new NodeEndpoint(a.id(), a.host(), a.port()));
      } catch (IllegalArgumentException e) {
        s.problem(e.getMessage());
      }
    }
    String kmsHost = s.string("kms.host", "127.0.0.1");
    int kmsPort = s.port("kms.port", null);
    Path tlsDir = s.path("tls.dir", "tls");
    String tlsName = s.string("tls.name", "gateway");
    int partitions = (int) s.number("partitions", (long) GatewayConfig.DEFAULT_PARTITIONS, 1, 1024);
    int rf = (int) s.number("replication.factor", (long) GatewayConfig.DEFAULT_REPLICATION_FACTOR, 1, 9);
    int w = (int) s.number("write.quorum", (long) GatewayConfig.DEFAULT_WRITE_QUORUM, 1, 9);
    long maxPut = s.number("max.put.blob.bytes", GatewayConfig.DEFAULT_MAX_PUT_BLOB_BYTES, 0, Long.MAX_VALUE);
    KeyCacheConfig keyCache = new KeyCacheConfig(
        (int) s.number("key.cache.max-entries", (long) KeyCacheConfig.DEFAULT_MAX_ENTRIES, 0,
            KeyCacheConfig.MAX_ENTRIES_LIMIT),
        s.number("key.cache.ttl.ms", KeyCacheConfig.DEFAULT_TTL_MILLIS, 1, KeyCacheConfig.MAX_MILLIS),
        s.number("key.offline-grace.ms", KeyCacheConfig.DEFAULT_OFFLINE_GRACE_MILLIS, 0, KeyCacheConfig.MAX_MILLIS));
    if (w > rf) {
      s.problem("write.quorum (" + w + ") must not exceed replication.factor (" + rf + ")");
    }
    if (!nodes.isEmpty() && nodes.size() < rf) {
      s.problem("nodes lists " + nodes.size() + " node(s), fewer than replication.factor " + rf);
    }
    if (nodes.stream().map(NodeEndpoint::nodeId).distinct().count() != nodes.size()) {
      s.problem("nodes lists a node id twice");
    }
    s.validate();
    return new GatewayRoleConfig(host, blobPort, tablePort, queuePort, accounts, List.copyOf(nodes), kmsHost, kmsPort, tlsDir, tlsName,
        partitions, rf, w, maxPut, keyCache, s.file());
  }

  /** The gateway's runtime configuration: account keys read from their file, TLS loaded. */
  GatewayConfig toGatewayConfig() throws RoleConfigException {
    List<AccountKeys> accounts = AccountKeysFile.read(accountsFile);
    try {
      return new GatewayConfig(bindHost, blobPort, accounts, nodes, kmsHost, kmsPort,
          RoleTls.load(file, tlsDir, tlsName), partitions, replicationFactor, writeQuorum, maxPutBlobBytes)
          .withTablePort(tablePort).withQueuePort(queuePort).withKeyCache(keyCache);
    } catch (IllegalArgumentException e) {
      throw new RoleConfigException("invalid config " + file + ": " + e.getMessage());
    }
  }

  Map<String, String> describe() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("bind.host", bindHost);
    m.put("blob.port", Integer.toString(blobPort));
    m.put("table.port", tablePort < 0 ? "(none: no Table endpoint)" : Integer.toString(tablePort));
    m.put("queue.port", queuePort < 0 ? "(none: no Queue endpoint)" : Integer.toString(queuePort));
    m.put("accounts.file", accountsFile + " (secret file: contents not shown)");
    m.put("nodes", String.join(",", nodes.stream().map(n -> n.nodeId() + "@" + n.host() + ":" + n.port()).toList()));
    m.put("kms.host", kmsHost);
    m.put("kms.port", Integer.toString(kmsPort));
    m.put("tls.dir", tlsDir.toString());
    m.put("tls.name", tlsName + " (private key " + tlsDir.resolve(tlsName + ".key") + ": not shown)");
    m.put("partitions", Integer.toString(partitions));
    m.put("replication.factor", Integer.toString(replicationFactor));
    m.put("write.quorum", Integer.toString(writeQuorum));
    m.put("max.put.blob.bytes", Long.toString(maxPutBlobBytes));
    m.put("key.cache.max-entries", Integer.toString(keyCache.maxEntries()));
    m.put("key.cache.ttl.ms", Long.toString(keyCache.ttlMillis()));
    m.put("key.offline-grace.ms", keyCache.offlineGraceMillis()
        + (keyCache.offlineGraceMillis() == 0 ? " (fail closed)" : ""));
    return m;
  }
}
