package io.cobalt.kms;

import io.cobalt.crypto.tls.ClusterCa;
import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.kms.backend.kmip.KmipConfig;
import io.cobalt.kms.backend.kmip.PyKmipServer;
import io.cobalt.kms.backend.pkcs11.Pkcs11Config;
import io.cobalt.kms.backend.pkcs11.SoftHsmToken;
import io.cobalt.kms.backend.pkcs11.TokenSelector;
import io.cobalt.proto.kms.v1.GenerateDataKeyRequest;
import io.cobalt.proto.kms.v1.UnwrapRequest;
import io.cobalt.proto.kms.v1.UnwrapResponse;
import io.cobalt.proto.kms.v1.WrappedKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The cost of a DEK cache miss per key backend (issue 4, point 8): Unwrap latency through a real
 * kms-agent (gRPC over mutual TLS on loopback, policy, audit line, backend decrypt) with no gateway
 * cache in front, for the local sealed keystore, PKCS#11 (SoftHSM2: GCM inside the token) and KMIP
 * (PyKMIP server: a TTLV round trip over TLS per unwrap). One caller, one Unwrap at a time, each of
 * a distinct DEK, so every call is a miss; the figures are latencies, not throughput.
 *
 * <p>Not a test: run it with {@code kms-agent/bench-unwrap.sh [local|pkcs11|kmip ...]}, which builds the
 * test classpath and sets {@code SOFTHSM2_CONF}. Arguments: {@code --backend NAME} (repeatable),
 * {@code --deks N} (measured unwraps, default 2000), {@code --warmup N} (default 300).
 */
public final class UnwrapLatencyBench {
  private static final String ACCOUNT = "benchaccount";

  private UnwrapLatencyBench() {}

  record Result(String backend, int n, double p50Ms, double p90Ms, double p99Ms, double maxMs, double meanMs) {}

  public static void main(String[] args) throws Exception {
    List<String> backends = new ArrayList<>();
    int deks = 2000;
    int warmup = 300;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--backend" -> backends.add(args[++i]);
        case "--deks" -> deks = Integer.parseInt(args[++i]);
        case "--warmup" -> warmup = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]
            + " (--backend local|pkcs11|kmip, --deks N, --warmup N)");
      }
    }
    if (backends.isEmpty()) {
      backends.addAll(List.of("local", "pkcs11", "kmip"));
    }
    List<Result> results = new ArrayList<>();
    for (String backend : backends) {
      results.add(run(backend, deks, warmup));
    }
    System.out.println();
    System.out.printf(Locale.ROOT, "%-8s %6s %9s %9s %9s %9s %9s%n", "backend", "n", "p50 ms", "p90 ms", "p99 ms",
        "max ms", "mean ms");
    for (Result r : results) {
      System.out.printf(Locale.ROOT, "%-8s %6d %9.3f %9.3f %9.3f %9.3f %9.3f%n", r.backend(), r.n(), r.p50Ms(),
          r.p90Ms(), r.p99Ms(), r.maxMs(), r.meanMs());
    }
    System.exit(0);  // PyKMIP's and gRPC's non-daemon threads
  }

  static Result run(String backend, int deks, int warmup) throws Exception {
    SecureRandom random = new SecureRandom();
    Path dir = Files.createTempDirectory("cobalt-unwrap-bench-");
    ClusterCa ca = ClusterCa.create("bench", random);
    TlsMaterial agentTls = TlsMaterial.of(ca.issue("kms-agent", List.of("localhost"), List.of("127.0.0.1")));
    TlsMaterial gatewayTls = TlsMaterial.of(ca.issue("gateway", List.of("localhost"), List.of("127.0.0.1")));
    Path masterKey = dir.resolve("secrets/master.key");
    MasterKeyFile.createIfAbsent(masterKey, random);
    KmsAgentConfig config = new KmsAgentConfig(dir.resolve("kms"), masterKey, "127.0.0.1", 0, agentTls,
        Set.of(TlsMaterial.identityOf(gatewayTls.certificate())));
    PyKmipServer kmip = null;
    try {
      switch (backend) {
        case "local" -> { }
        case "pkcs11" -> {
          Path pinFile = dir.resolve("pin");
          Files.writeString(pinFile, SoftHsmToken.pin() + "\n");
          config = config.withBackend(new KeyBackendConfig.Pkcs11(
              Pkcs11Config.of(SoftHsmToken.LIBRARY, TokenSelector.label(SoftHsmToken.LABEL), pinFile,
                  dir.resolve("pkcs11-keys.json"))));
        }
        case "kmip" -> {
          kmip = PyKmipServer.start(Files.createDirectories(dir.resolve("pykmip")));
          config = config.withBackend(new KeyBackendConfig.Kmip(
              KmipConfig.of("127.0.0.1", kmip.port, kmip.clientTls, dir.resolve("kmip-keys.json"))));
        }
        default -> throw new IllegalArgumentException("backend is local, pkcs11 or kmip, not " + backend);
      }
      try (KmsAgentServer agent = KmsAgentServer.start(config);
          AgentClient client = new AgentClient(agent.port(), gatewayTls)) {
        int total = warmup + deks;
        List<WrappedKey> wrapped = new ArrayList<>(total);
        for (int i = 0; i < total; i++) {
          wrapped.add(client.data().generateDataKey(GenerateDataKeyRequest.newBuilder().setAccount(ACCOUNT)
              .setRequestId("bench-gen-" + i).build()).getWrapped());
        }
        long[] nanos = new long[deks];
        for (int i = 0; i < total; i++) {
          UnwrapRequest req = UnwrapRequest.newBuilder().setAccount(ACCOUNT).setWrapped(wrapped.get(i))
              .setRequestId("bench-unwrap-" + i).build();
          long t0 = System.nanoTime();
          UnwrapResponse r = client.data().unwrap(req);
          long t = System.nanoTime() - t0;
          if (r.getPlaintextKey().size() != 32) {
            throw new IllegalStateException("unwrap returned " + r.getPlaintextKey().size() + " bytes");
          }
          if (i >= warmup) {
            nanos[i - warmup] = t;
          }
        }
        Arrays.sort(nanos);
        double mean = Arrays.stream(nanos).average().orElse(0) / 1e6;
        Result res = new Result(backend, deks, pct(nanos, 0.50), pct(nanos, 0.90), pct(nanos, 0.99),
            nanos[deks - 1] / 1e6, mean);
        System.out.println("UnwrapLatencyBench " + res);
        return res;
      }
    } finally {
      if (kmip != null) {
        kmip.close();
      }
      deleteTree(dir);
    }
  }

  private static double pct(long[] sorted, double q) {
    int i = (int) Math.ceil(q * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
