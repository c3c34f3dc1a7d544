package io.cobalt.cli;

import static org.junit.jupiter.api.Assertions.fail;

import io.cobalt.crypto.tls.ClusterCa;
import io.cobalt.crypto.tls.IssuedCertificate;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;

/**
 * A SoftHSM2 token and a PyKMIP server for integration tests of the kms-agent's PKCS#11 and KMIP
 * backends through a whole cluster (the kms-agent module's test fixtures, SoftHsmToken and
 * PyKmipServer, work the same way; cli does not see kms-agent's test classes).
 *
 * <p>SoftHSM2 reads its token directory from the file named by {@code SOFTHSM2_CONF}, once per
 * process, and a JVM cannot set its own environment: failsafe sets it (cli/pom.xml) and {@link #softHsm}
 * writes that file before anything loads the module. Without softhsm2-util or pykmip-server the tests
 * are skipped (saying how to install them), and fail when {@code CI=true}.
 */
final class KeyBackendServers {
  static final Path SOFTHSM_LIBRARY = Path.of("/usr/lib/softhsm/libsofthsm2.so");
  static final Path SOFTHSM_UTIL = Path.of("/usr/bin/softhsm2-util");
  static final Path PYKMIP_SERVER = Path.of("/usr/bin/pykmip-server");
  /** Debian's interpreter: PyKMIP is installed for it, not for another python3 on PATH. */
  static final Path PYTHON = Path.of("/usr/bin/python3");
  private static final Pattern REASSIGNED = Pattern.compile("reassigned to slot (\\d+)");
  private static final String INSTALL = "install them with .ci/install-key-backends.sh (apt-get install softhsm2"
      + " python3-pykmip)";

  private KeyBackendServers() {}

  /** Skips (or, with CI=true, fails) unless SoftHSM2 and PyKMIP are installed and SOFTHSM2_CONF is set. */
  static void requireInstalled() {
    String why = null;
    if (!Files.isRegularFile(SOFTHSM_LIBRARY) || !Files.isExecutable(SOFTHSM_UTIL)) {
      why = "SoftHSM2 is not installed (" + SOFTHSM_LIBRARY + ", " + SOFTHSM_UTIL + ")";
    } else if (!Files.isExecutable(PYKMIP_SERVER) || !Files.isExecutable(PYTHON)) {
      why = "PyKMIP is not installed (" + PYKMIP_SERVER + ")";
    } else if (System.getenv("SOFTHSM2_CONF") == null || System.getenv("SOFTHSM2_CONF").isBlank()) {
      why = "SOFTHSM2_CONF is not set; run the integration tests through Maven (failsafe sets it, see cli/pom.xml)";
    }
    if (why == null) {
      return;
    }
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      fail(why + "; CI=true, so this is a failure: " + INSTALL);
    }
    Assumptions.abort(why + "; skipping: " + INSTALL);
  }

  /**
   * Initialises a token labelled {@code label} in a fresh directory under {@code dir} (slot list index 0,
   * the only initialised token) and writes its user PIN to {@code dir/pin} (0600).
   *
   * @return the PIN file
   */
  static Path softHsm(Path dir, String label) throws IOException, InterruptedException {
    Token t = softHsmTokens(dir, List.of(label)).get(0);
    Path pinFile = dir.resolve("pin");
    Files.move(t.pinFile(), pinFile);
    return pinFile;
  }

  /** One initialised test token: its label, the file holding its own user PIN, the slot id SoftHSM2 gave it. */
  record Token(String label, Path pinFile, long slotId) {}

  /**
   * Initialises one token per label, in this order, in a fresh token directory under {@code dir}, each
   * with a PIN of its own in {@code dir/pin-<label>} (0600). All of them before any process loads the
   * module: SoftHSM2 finds its tokens once per process. Their slot list order is SoftHSM2's (token
   * directory order), not this order.
   */
  static List<Token> softHsmTokens(Path dir, List<String> labels) throws IOException, InterruptedException {
    Path confFile = Path.of(System.getenv("SOFTHSM2_CONF")).toAbsolutePath();
    Files.createDirectories(confFile.getParent());
    Path tokens = Files.createDirectories(dir.resolve("tokens"));
    Files.writeString(confFile, "directories.tokendir = " + tokens.toAbsolutePath() + "\n"
        + "objectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n", StandardCharsets.UTF_8);
    List<Token> out = new ArrayList<>();
    SecureRandom random = new SecureRandom();
    for (String label : labels) {
      String pin = "user-" + Long.toHexString(random.nextLong());
      Path pinFile = dir.resolve("pin-" + label);
      Files.createFile(pinFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(pinFile, pin + "\n", StandardCharsets.UTF_8);
      // softhsm2-util takes the PINs as arguments: a throw-away test token, never an operator's.
      ProcessBuilder pb = new ProcessBuilder(SOFTHSM_UTIL.toString(), "--init-token", "--free", "--label", label,
          "--pin", pin, "--so-pin", "so-" + pin).redirectErrorStream(true);
      pb.environment().put("SOFTHSM2_CONF", confFile.toString());
      Process p = pb.start();
      String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("softhsm2-util --init-token did not finish in 30 s");
      }
      if (p.exitValue() != 0) {
        throw new IOException("softhsm2-util --init-token failed (" + p.exitValue() + "): " + text.replace(pin, "****"));
      }
      Matcher m = REASSIGNED.matcher(text);
      if (!m.find()) {
        throw new IOException("softhsm2-util --init-token did not say which slot the token is in: " + text);
      }
      out.add(new Token(label, pinFile, Long.parseLong(m.group(1))));
    }
    return out;
  }

  /**
   * A PyKMIP server on 127.0.0.1 and a free port, mutual TLS from a fresh CA: {@code dir/ca.pem},
   * the client's {@code dir/client.pem} and {@code dir/client.key}. Killed by {@link #close()} and at JVM exit.
   */
  static final class PyKmip implements AutoCloseable {
    private static final long START_TIMEOUT_MILLIS = 30_000;
    final int port;
    final Path dir;
    private final Process process;
    private final Thread killAtExit;

    private PyKmip(int port, Path dir, Process process, Thread killAtExit) {
      this.port = port;
      this.dir = dir;
      this.process = process;
      this.killAtExit = killAtExit;
    }

    static PyKmip start(Path dir) throws IOException, InterruptedException {
      SecureRandom random = new SecureRandom();
      ClusterCa ca = ClusterCa.create("kmip-it", random);
      IssuedCertificate server = ca.issue("kmip-server", List.of("localhost"), List.of("127.0.0.1"));
      IssuedCertificate client = ca.issue("cobalt-kms-agent", List.of(), List.of());
      ca.save(dir.resolve("ca.pem"), dir.resolve("ca.key"));
      server.save(dir, "server");
      client.save(dir, "client");
      Path policies = Files.createDirectories(dir.resolve("policies"));
      int port;
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        port = s.getLocalPort();
      }
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
      Process p = new ProcessBuilder(PYTHON.toString(), PYKMIP_SERVER.toString(), "-f", config.toString(),
          "-l", dir.resolve("server.log").toString())
          .redirectErrorStream(true)
          .redirectOutput(dir.resolve("stdout.log").toFile())
          .start();
      Thread hook = new Thread(() -> kill(p), "pykmip-server-kill");
      Runtime.getRuntime().addShutdownHook(hook);
      PyKmip s = new PyKmip(port, dir, p, hook);
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
}
