package io.cobalt.kms.backend.kmip;

import static org.junit.jupiter.api.Assertions.fail;

import io.cobalt.crypto.tls.ClusterCa;
import io.cobalt.crypto.tls.IssuedCertificate;
import io.cobalt.crypto.tls.TlsMaterial;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A PyKMIP server ({@code pykmip-server} from Debian's python3-pykmip) on 127.0.0.1 and a free port,
 * with mutual TLS from a fresh test CA, its SQLite database, policies and log in {@code dir}. Stopped
 * (killed; it is a throw-away test server) by {@link #close()} and, should a test run die, at JVM exit.
 * Without PyKMIP the tests are skipped locally (saying how to install it) and fail when {@code CI=true}.
 */
public final class PyKmipServer implements AutoCloseable {
  static final Path SERVER = Path.of("/usr/bin/pykmip-server");
  /** Debian's interpreter: PyKMIP is installed for it, not for another python3 on PATH. */
  static final Path PYTHON = Path.of("/usr/bin/python3");
  private static final long START_TIMEOUT_MILLIS = 30_000;

  public final int port;
  public final TlsMaterial clientTls;
  final Path dir;
  private final Process process;
  private final Thread killAtExit;

  private PyKmipServer(int port, TlsMaterial clientTls, Path dir, Process process, Thread killAtExit) {
    this.port = port;
    this.clientTls = clientTls;
    this.dir = dir;
    this.process = process;
    this.killAtExit = killAtExit;
  }

  public static PyKmipServer start(Path dir) throws IOException, InterruptedException {
    if (!Files.isExecutable(SERVER) || !Files.isExecutable(PYTHON)) {
      String why = "PyKMIP is not installed (" + SERVER + ")";
      String how = "install it with .ci/install-key-backends.sh (apt-get install python3-pykmip)";
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        fail(why + "; CI=true, so this is a failure: " + how);
      }
      Assumptions.abort(why + "; skipping the KMIP tests: " + how);
    }
    SecureRandom random = new SecureRandom();
    ClusterCa ca = ClusterCa.create("kmip-test", random);
    IssuedCertificate server = ca.issue("kmip-server", List.of("localhost"), List.of("127.0.0.1"));
    IssuedCertificate client = ca.issue("cobalt-kms-agent", List.of(), List.of());
    ca.save(dir.resolve("ca.pem"), dir.resolve("ca.key"));
    server.save(dir, "server");
    Path policies = Files.createDirectories(dir.resolve("policies"));
    int port = freePort();
    Path config = dir.resolve("server.conf");
    Files.writeString(config, String.join("\n",
        "[server]",
        "hostname=127.0.0.1",
        "port=" + port,
        "certificate_path=" + dir.resolve("server.pem"),
        "key_path=" + dir.resolve("server.key"),
        "ca_path=" + dir.resolve("ca.pem"),
        "auth_suite=TLS1.2",
        "policy_path=" + policies,
        "enable_tls_client_auth=True",
        "database_path=" + dir.resolve("pykmip.db"),
        "logging_level=WARNING",
        ""), StandardCharsets.UTF_8);
    Process p = new ProcessBuilder(PYTHON.toString(), SERVER.toString(), "-f", config.toString(),
        "-l", dir.resolve("server.log").toString())
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("stdout.log").toFile())
        .start();
    Thread hook = new Thread(() -> kill(p), "pykmip-server-kill");
    Runtime.getRuntime().addShutdownHook(hook);
    PyKmipServer s = new PyKmipServer(port, TlsMaterial.of(client), dir, p, hook);
    try {
      s.awaitPort();
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
    return s;
  }

  private void awaitPort() throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MILLIS);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException("pykmip-server exited with " + process.exitValue() + ": " + logs());
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException e) {
        Thread.sleep(100);
      }
    }
    throw new IOException("pykmip-server did not listen on port " + port + " within " + START_TIMEOUT_MILLIS
        + " ms: " + logs());
  }

  private String logs() {
    StringBuilder b = new StringBuilder();
    for (String f : List.of("stdout.log", "server.log")) {
      try {
        String s = Files.readString(dir.resolve(f));
        b.append(f).append(": ").append(s.length() > 2000 ? s.substring(s.length() - 2000) : s).append('\n');
      } catch (IOException e) {
        // no such log yet
      }
    }
    return b.toString();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static void kill(Process p) {
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
    try {
      p.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    kill(process);
    try {
      Runtime.getRuntime().removeShutdownHook(killAtExit);
    } catch (IllegalStateException e) {
      // the JVM is exiting; the hook runs anyway
    }
  }
}
