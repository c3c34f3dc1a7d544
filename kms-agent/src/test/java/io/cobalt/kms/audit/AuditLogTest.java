package io.cobalt.kms.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cobalt.kms.audit.AuditEvent.Outcome;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditLogTest {
  private static final byte[] CONTEXT_KEY = new byte[32];
  private static final Clock CLOCK = Clock.fixed(Instant.parse("2025-01-02T03:04:05.123456789Z"), ZoneOffset.UTC);

  @TempDir Path dir;

  private Path file() {
    return dir.resolve("audit.log");
  }

  @Test
  void writesOneChainedJsonLinePerEventWithTheDocumentedFields() throws Exception {
    writeEvents(3);
    List<String> lines = Files.readAllLines(file());
    assertEquals(3, lines.size());
    JsonObject first = new JsonObject(lines.get(0));
    assertEquals(List.of("ts", "seq", "agent", "requestId", "caller", "op", "key", "result", "code", "latencyMs",
        "context", "prevHash"), new ArrayList<>(first.fieldNames()));
    assertEquals("2025-01-02T03:04:05.123456789Z", first.getString("ts"));
    assertEquals(1L, first.getLong("seq"));
    assertEquals("agent-1", first.getString("agent"));
    assertEquals("0".repeat(64), first.getString("prevHash"));
    assertEquals(1.5, first.getDouble("latencyMs"));
    assertEquals("denied", first.getString("result"));
    for (int i = 1; i < lines.size(); i++) {
      JsonObject line = new JsonObject(lines.get(i));
      assertEquals(i + 1L, line.getLong("seq"));
      assertEquals(sha256(lines.get(i - 1)), line.getString("prevHash"));
    }
  }

  @Test
  void storesAKeyedHashOfTheAccountNotTheAccount() throws Exception {
    writeEvents(1);
    String line = Files.readString(file());
    JsonObject record = new JsonObject(line.strip());
    record.remove("key"); // the key id names the account's key; the context field must not repeat it raw
    assertFalse(record.encode().contains("myaccount"));
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(CONTEXT_KEY, "HmacSHA256"));
    String expected = HexFormat.of().formatHex(mac.doFinal("myaccount".getBytes(StandardCharsets.UTF_8)));
    assertEquals(expected, new JsonObject(line.strip()).getString("context"));
  }

  @Test
  void continuesTheChainAndSequenceAfterReopening() throws Exception {
    writeEvents(2);
    writeEvents(2);
    List<String> lines = Files.readAllLines(file());
    assertEquals(4, lines.size());
    assertEquals(3L, new JsonObject(lines.get(2)).getLong("seq"));
    assertEquals(sha256(lines.get(1)), new JsonObject(lines.get(2)).getString("prevHash"));
    assertEquals(new AuditLogVerifier.Result(true, 4, -1, "intact"), AuditLogVerifier.verify(file()));
  }

  @Test
  void cutsOffATornLastLineWhenReopened() throws Exception {
    writeEvents(2);
    Files.write(file(), "{\"ts\":\"2025-01-0".getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);
    assertFalse(AuditLogVerifier.verify(file()).intact());
    writeEvents(1);
    AuditLogVerifier.Result r = AuditLogVerifier.verify(file());
    assertTrue(r.intact(), r.reason());
    assertEquals(3, r.records());
  }

  @Test
  void refusesToContinueALogWhoseLastLineIsNotARecord() throws Exception {
    writeEvents(1);
    Files.write(file(), "garbage\n".getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);
    assertThrows(IOException.class, () -> AuditLog.open(file(), "a", CONTEXT_KEY, CLOCK));
  }

  @Test
  void createsTheLogOwnerOnly() throws Exception {
    writeEvents(1);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file())));
  }

  @Test
  void refusesToAppendAfterClose() throws Exception {
    AuditLog log = AuditLog.open(file(), "a", CONTEXT_KEY, CLOCK);
    log.close();
    assertThrows(IOException.class, () -> log.append(event(0)));
  }

  @Test
  void verifierAcceptsAnIntactLogAndAnEmptyOne() throws Exception {
    Files.createFile(file());
    assertEquals(new AuditLogVerifier.Result(true, 0, -1, "intact"), AuditLogVerifier.verify(file()));
    writeEvents(5);
    assertEquals(new AuditLogVerifier.Result(true, 5, -1, "intact"), AuditLogVerifier.verify(file()));
  }

  @Test
  void verifierDetectsAnEditedLine() throws Exception {
    writeEvents(5);
    List<String> lines = new ArrayList<>(Files.readAllLines(file()));
    lines.set(2, lines.get(2).replace("\"result\":\"denied\"", "\"result\":\"ok\""));
    Files.write(file(), lines);
    AuditLogVerifier.Result r = AuditLogVerifier.verify(file());
    assertFalse(r.intact());
    assertEquals(4, r.firstBadLine(), r.reason());
    assertEquals(3, r.records());
  }

  @Test
  void verifierDetectsAnEditedLineEvenWhenItsSeqIsKept() throws Exception {
    writeEvents(3);
    List<String> lines = new ArrayList<>(Files.readAllLines(file()));
    lines.set(0, lines.get(0).replace("\"op\":\"UNWRAP\"", "\"op\":\"GET_KEY\""));
    Files.write(file(), lines);
    AuditLogVerifier.Result r = AuditLogVerifier.verify(file());
    assertFalse(r.intact());
    assertEquals(2, r.firstBadLine());
    assertTrue(r.reason().contains("prevHash"), r.reason());
  }

  @Test
  void verifierDetectsADeletedLine() throws Exception {
    writeEvents(5);
    List<String> lines = new ArrayList<>(Files.readAllLines(file()));
    lines.remove(1);
    Files.write(file(), lines);
    AuditLogVerifier.Result r = AuditLogVerifier.verify(file());
    assertFalse(r.intact());
    assertEquals(2, r.firstBadLine(), r.reason());
  }

  @Test
  void verifierDetectsADeletedFirstLine() throws Exception {
    writeEvents(3);
    List<String> lines = new ArrayList<>(Files.readAllLines(file()));
    lines.remove(0);
    Files.write(file(), lines);
    assertEquals(1, AuditLogVerifier.verify(file()).firstBadLine());
  }

  @Test
  void verifierDetectsReorderedLines() throws Exception {
    writeEvents(5);
    List<String> lines = new ArrayList<>(Files.readAllLines(file()));
    Collections.swap(lines, 2, 3);
    Files.write(file(), lines);
    AuditLogVerifier.Result r = AuditLogVerifier.verify(file());
    assertFalse(r.intact());
    assertEquals(3, r.firstBadLine(), r.reason());
  }

  @Test
  void verifierDetectsALineThatIsNotJson() throws Exception {
    writeEvents(2);
    Files.write(file(), "not json\n".getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);
    AuditLogVerifier.Result r = AuditLogVerifier.verify(file());
    assertEquals(3, r.firstBadLine());
    assertEquals("not a JSON record", r.reason());
  }

  private void writeEvents(int n) throws IOException {
    try (AuditLog log = AuditLog.open(file(), "agent-1", CONTEXT_KEY, CLOCK)) {
      for (int i = 0; i < n; i++) {
        log.append(event(i));
      }
    }
  }

  private static AuditEvent event(int i) {
    return new AuditEvent("req-" + i, "ab".repeat(32), i % 2 == 0 ? KeyOperation.UNWRAP : KeyOperation.GENERATE_DEK,
        "account/myaccount", 1, i % 2 == 0 ? Outcome.DENIED : Outcome.OK, "OK", 1_500_000L, "myaccount");
  }

  private static String sha256(String line) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(line.getBytes(StandardCharsets.UTF_8)));
  }
}
