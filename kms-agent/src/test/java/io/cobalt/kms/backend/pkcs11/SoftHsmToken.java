package io.cobalt.kms.backend.pkcs11;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * The SoftHSM2 tokens of a test JVM, in a fresh temporary directory: {@value #LABEL} (the one most
 * tests use), {@value #SECOND_LABEL} with another PIN, and two labelled {@value #TWIN_LABEL}, so that
 * choosing a token by label is tested among several, as an HSM with partitions presents them. With
 * several tokens the slot list index of one is not known in advance (SoftHSM2 lists tokens in
 * token-directory order), so tests select by label, or by the slot id that {@code --init-token} printed. SoftHSM2 finds its token directory
 * through the file named by the {@code SOFTHSM2_CONF} environment variable, which a JVM cannot set
 * for itself: surefire sets it (kms-agent/pom.xml) to {@code target/softhsm2/softhsm2.conf}, and this
 * fixture writes that file before the PKCS#11 module is loaded, and before it runs
 * {@code softhsm2-util --init-token} with the same environment. The module reads the file, and finds
 * its tokens, once per process: a token initialised after that is not seen. So all tokens are made
 * on first use, before the module loads, and all PKCS#11 tests of the JVM share them (they use random
 * key ids); the directory is deleted when the JVM exits.
 *
 * <p>Without SoftHSM2 the tests are skipped locally (with how to install it) and fail when
 * {@code CI=true}.
 */
public final class SoftHsmToken {
  public static final Path LIBRARY = Path.of("/usr/lib/softhsm/libsofthsm2.so");
  static final String UTIL = "/usr/bin/softhsm2-util";
  public static final String LABEL = "cobalt-test";
  static final String SECOND_LABEL = "cobalt-second";
  static final String TWIN_LABEL = "cobalt-twin";
  private static final Pattern REASSIGNED = Pattern.compile("reassigned to slot (\\d+)");
  private static final String INSTALL = "install it with .ci/install-key-backends.sh (apt-get install softhsm2)";
  private static Path tokenDir;
  private static String userPin;
  private static String secondPin;
  private static final Map<String, Long> slotIds = new HashMap<>();

  private SoftHsmToken() {}

  /** The user PIN of the token labelled {@value #LABEL} (and of the twins), creating all the tokens on first use. */
  public static synchronized String pin() throws IOException, InterruptedException {
    requireSoftHsm();
    if (userPin != null) {
      return userPin;
    }
    String conf = System.getenv("SOFTHSM2_CONF");
    if (conf == null || conf.isBlank()) {
      missing("SOFTHSM2_CONF is not set; run the tests through Maven (surefire sets it, see kms-agent/pom.xml)");
    }
    Path confFile = Path.of(conf);
    Files.createDirectories(confFile.toAbsolutePath().getParent());
    Path dir = Files.createTempDirectory("cobalt-softhsm-");
    Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir), "softhsm-token-cleanup"));
    Files.writeString(confFile, "directories.tokendir = " + dir.toAbsolutePath() + "\n"
        + "objectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n", StandardCharsets.UTF_8);
    String pin = "user-" + Long.toHexString(System.nanoTime());
    String second = "second-" + Long.toHexString(System.nanoTime());
    slotIds.put(LABEL, initToken(confFile, LABEL, pin));
    slotIds.put(SECOND_LABEL, initToken(confFile, SECOND_LABEL, second));
    initToken(confFile, TWIN_LABEL, pin);
    initToken(confFile, TWIN_LABEL, pin);
    tokenDir = dir;
    userPin = pin;
    secondPin = second;
    return pin;
  }

  /** The user PIN of the token labelled {@value #SECOND_LABEL} (not the PIN of the others). */
  public static synchronized String secondPin() throws IOException, InterruptedException {
    pin();
    return secondPin;
  }

  /** The slot id softhsm2-util gave the token {@code label} (not {@value #TWIN_LABEL}) when it initialised it. */
  static synchronized long slotId(String label) throws IOException, InterruptedException {
    pin();
    return slotIds.get(label);
  }

  /** {@code softhsm2-util --init-token --free}: the slot id it reassigned the new token to. */
  private static long initToken(Path confFile, String label, String pin) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(UTIL, "--init-token", "--free", "--label", label,
        "--pin", pin, "--so-pin", "so-" + pin).redirectErrorStream(true);
    pb.environment().put("SOFTHSM2_CONF", confFile.toAbsolutePath().toString());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("softhsm2-util --init-token did not finish in 30 s");
    }
    if (p.exitValue() != 0) {
      throw new IOException("softhsm2-util --init-token failed (" + p.exitValue() + "): " + out.replace(pin, "****"));
    }
    Matcher m = REASSIGNED.matcher(out);
    if (!m.find()) {
      throw new IOException("softhsm2-util --init-token did not say which slot the token is in: " + out);
    }
    return Long.parseLong(m.group(1));
  }

  static Path tokenDir() {
    return tokenDir;
  }

  private static void requireSoftHsm() {
    if (!Files.isRegularFile(LIBRARY) || !Files.isExecutable(Path.of(UTIL))) {
      missing("SoftHSM2 is not installed (" + LIBRARY + ", " + UTIL + ")");
    }
  }

  private static void missing(String why) {
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      fail(why + "; CI=true, so this is a failure: " + INSTALL);
    }
    Assumptions.abort(why + "; skipping the PKCS#11 tests: " + INSTALL);
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // best effort at exit
    }
  }

}
