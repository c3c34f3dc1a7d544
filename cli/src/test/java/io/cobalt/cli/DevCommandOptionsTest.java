package io.cobalt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cobalt.crypto.tls.ClusterCa;
import io.cobalt.kms.KeyBackendConfig;
import io.cobalt.kms.backend.kmip.KmipConfig;
import io.cobalt.kms.backend.pkcs11.Pkcs11Config;
import io.cobalt.kms.backend.pkcs11.TokenSelector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** What {@code cobalt dev}'s flags ask of the cluster. */
class DevCommandOptionsTest {

  static DevCluster.Options parse(String... args) {
    DevCommand command = new DevCommand();
    new CommandLine(command).parseArgs(args);
    return command.options();
  }

  @Test
  void plainHttpOnTheBlobPortByDefault() {
    DevCluster.Options o = parse("--blob-port", "10000");
    assertFalse(o.https());
    assertEquals(10000, o.blobPort());
  }

  @Test
  void httpsServesTheBlobPortAndTurnsPlainHttpOffUnlessAPortIsGiven() {
    DevCluster.Options httpsOnly = parse("--https");
    assertTrue(httpsOnly.https());
    assertEquals(10000, httpsOnly.blobPort());
    assertEquals(-1, httpsOnly.httpPort());
    DevCluster.Options both = parse("--https", "--http-port", "10080");
    assertEquals(10080, both.httpPort());
  }

  @Test
  void httpPortWithoutHttpsIsAUsageError() {
    assertThrows(CommandLine.ParameterException.class, () -> parse("--http-port", "10080"));
  }

  @Test
  void servesTheQueueEndpointOn10001UnlessToldOtherwise() {
    assertEquals(10001, parse().queuePort());
    assertEquals(0, parse("--queue-port", "0").queuePort());
    assertEquals(-1, parse("--queue-port", "-1").queuePort());
    assertEquals(10001, parse("--https").queuePort(), "HTTPS for blobs keeps the Queue endpoint");
  }

  @Test
  void keyBackendsFileAddsAPkcs11AndAKmipBackendToTheAgent(@TempDir Path dir) throws Exception {
    SecureRandom random = new SecureRandom();
    ClusterCa ca = ClusterCa.create("kmip-test", random);
    ca.save(dir.resolve("ca.pem"), dir.resolve("ca.key"));
    ca.issue("client", List.of(), List.of()).save(dir, "client");
    Path library = Files.writeString(dir.resolve("libpkcs11.so"), "not loaded while parsing");
    Path pin = Files.writeString(dir.resolve("pin"), "1234\n");
    Path file = dir.resolve("backends.properties");
    Files.writeString(file, "pkcs11.library=libpkcs11.so\npkcs11.slot.index=2\npkcs11.pin.file=pin\n"
        + "kmip.host=kms.example\nkmip.cert.file=client.pem\nkmip.key.file=client.key\nkmip.ca.file=ca.pem\n");
    DevCluster.Options o = parse("--data", dir.resolve("data").toString(), "--key-backends", file.toString());
    assertEquals(2, o.keyBackends().size());
    Pkcs11Config p = ((KeyBackendConfig.Pkcs11) o.keyBackends().get(0)).config();
    assertEquals(library, p.libraryPath());
    assertEquals(TokenSelector.slotListIndex(2), p.token());
    assertEquals(pin, p.pinFile());
    assertEquals(dir.resolve("data").resolve("kms").resolve("pkcs11-keys.json"), p.metadataFile());
    KmipConfig k = ((KeyBackendConfig.Kmip) o.keyBackends().get(1)).config();
    assertEquals("kms.example", k.host());
    assertEquals(5696, k.port());
    assertTrue(parse().keyBackends().isEmpty(), "no --key-backends: the local keystore only");
  }

  @Test
  void aBadKeyBackendsFileIsAUsageErrorThatNamesTheProblemNotThePin(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("backends.properties");
    Files.writeString(file, "pkcs11.library=/nonexistent/lib.so\npkcs11.pin=secret-pin\n");
    CommandLine.ParameterException e = assertThrows(CommandLine.ParameterException.class,
        () -> parse("--key-backends", file.toString()));
    assertTrue(e.getMessage().contains("unknown key 'pkcs11.pin'"), e.getMessage());
    assertTrue(e.getMessage().contains("missing required key 'pkcs11.pin.file'"), e.getMessage());
    assertFalse(e.getMessage().contains("secret-pin"), e.getMessage());
    Files.writeString(file, "pkcs11.library=/nonexistent/lib.so\npkcs11.pin.file=pin\n");
    e = assertThrows(CommandLine.ParameterException.class, () -> parse("--key-backends", file.toString()));
    assertTrue(e.getMessage().contains("pkcs11.library /nonexistent/lib.so does not exist"), e.getMessage());
  }
}
