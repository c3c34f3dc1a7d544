package io.cobalt.kms.backend.kmip;

import io.cobalt.crypto.tls.TlsMaterial;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Where the KMIP backend finds its server and keeps its records.
 *
 * @param host the KMIP server; its certificate must name it (DNS or IP SAN) and chain to {@code tls}'s CA
 * @param port usually 5696
 * @param tls the agent's client certificate and the CA that issued the server's certificate
 * @param metadataFile the agent's record of keys, versions, states and KMIP unique identifiers
 * @param maxConnections open TLS connections to the server at most; more requests wait
 * @param connectTimeoutMillis TCP connect and TLS handshake
 * @param readTimeoutMillis waiting for a response
 * @param maxResponseBytes larger responses are refused
 */
public record KmipConfig(
    String host,
    int port,
    TlsMaterial tls,
    Path metadataFile,
    int maxConnections,
    int connectTimeoutMillis,
    int readTimeoutMillis,
    int maxResponseBytes) {

  public KmipConfig {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(tls, "tls");
    Objects.requireNonNull(metadataFile, "metadataFile");
    if (port < 1 || port > 65_535) {
      throw new IllegalArgumentException("port must be 1..65535");
    }
    if (maxConnections < 1 || maxConnections > 64) {
      throw new IllegalArgumentException("maxConnections must be 1..64");
    }
    if (connectTimeoutMillis < 1 || readTimeoutMillis < 1) {
      throw new IllegalArgumentException("timeouts must be positive");
    }
    if (maxResponseBytes < 1024 || maxResponseBytes > 16 * 1024 * 1024) {
      throw new IllegalArgumentException("maxResponseBytes must be 1 KiB..16 MiB");
    }
  }

  /** Defaults: 4 connections, 5 s connect, 10 s read, 1 MiB responses. */
  public static KmipConfig of(String host, int port, TlsMaterial tls, Path metadataFile) {
    return new KmipConfig(host, port, tls, metadataFile, 4, 5_000, 10_000, 1024 * 1024);
  }
}
