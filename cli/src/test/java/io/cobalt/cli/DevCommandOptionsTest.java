package io.cobalt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import picocli.CommandLine;
import org.junit.jupiter.api.Test;

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
}
