package io.cobalt.cli.admin.rewrap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The automatic rewrap runner (ADR 0031): what it queues, how it survives a crash and a failed job. */
class RewrapRunnerTest {
  @TempDir Path dir;

  private final List<String> ran = new ArrayList<>();
  private final List<String> log = new ArrayList<>();

  private RewrapJob.Report report(boolean complete, long failed) {
    RewrapJob.Totals t = new RewrapJob.Totals(10, 10 - failed, 0, 0, failed, 0);
    return new RewrapJob.Report(new RewrapJob.Progress(t, t, 4, 4, 100.0), complete, 2, Map.of(), Duration.ofMillis(100),
        0, "k", Map.of());
  }

  private RewrapJob.Report record(RewrapJob.Options o) {
    ran.add(o.label() + (o.stateFile() == null ? "" : "@" + o.stateFile().getFileName()));
    return report(true, 0);
  }

  @Test
  void aScheduledRotationQueuesARewrapOfTheKeyAndASourceChangeOneOfTheOwner() throws Exception {
    RewrapRunner runner = new RewrapRunner(dir, this::record, log::add);
    runner.onKeyEvent("KEY_EVENT_ROTATED", "account/acct1", 1_000);
    runner.onKeyEvent("KEY_EVENT_ROTATED", "account/acct1", 1_001);   // not twice
    runner.onKeyEvent("KEY_EVENT_CHANGED", "account/acct1/scope/sc-1", 1_002);
    runner.onKeyEvent("KEY_EVENT_ROTATED", "cmk/contoso", 1_003);
    runner.onKeyEvent("KEY_EVENT_DISABLED", "cmk/contoso", 1_004);    // not a reason to rewrap
    runner.onKeyEvent("KEY_EVENT_CHANGED", "cmk/contoso", 1_005);     // not an owner
    assertEquals(List.of("key:account/acct1", "owner:account/acct1/scope/sc-1", "key:cmk/contoso"), runner.queued());

    assertEquals(3, runner.runPending(2, 100));
    assertEquals(List.of("account/acct1@job-key_account_acct1.state",
        "owner:account/acct1/scope/sc-1@job-owner_account_acct1_scope_sc-1.state",
        "cmk/contoso@job-key_cmk_contoso.state"), ran);
    assertEquals(List.of(), runner.queued());
    assertEquals(List.of(), new RewrapRunner(dir, this::record, log::add).queued(), "the emptied queue is durable");
  }

  @Test
  void aQueuedJobSurvivesACrashAndAFailedJobStaysQueuedUntilItCompletes() throws Exception {
    RewrapRunner first = new RewrapRunner(dir, o -> {
      throw new IOException("node unreachable");
    }, log::add);
    first.onKeyEvent("KEY_EVENT_ROTATED", "account/acct1", 5_000);
    first.onKeyEvent("KEY_EVENT_ROTATED", "account/acct2", 5_001);
    assertThrows(IOException.class, () -> first.runPending(1, 100));
    assertEquals(List.of("key:account/acct1", "key:account/acct2"), first.queued());

    // "Restart": a new runner over the same directory picks the queue up; an incomplete run stays queued.
    RewrapRunner incomplete = new RewrapRunner(dir, o -> report(false, 0), log::add);
    assertThrows(IOException.class, () -> incomplete.runPending(1, 100));
    assertEquals(2, incomplete.queued().size());

    RewrapRunner second = new RewrapRunner(dir, this::record, log::add);
    assertEquals(2, second.runPending(1, 100));
    assertEquals(2, ran.size());
    assertEquals(List.of(), second.queued());
  }

  @Test
  void rotationsMissedWhileTheStreamWasDownAreCaughtUpAndRefusalsAreReported() throws Exception {
    RewrapRunner runner = new RewrapRunner(dir, o -> report(true, 3), log::add);
    assertEquals(0, runner.catchUp(Map.of("account/acct1", 100L, "cmk/a", 200L)), "nothing seen yet: no catch-up");
    runner.onKeyEvent("KEY_EVENT_ROTATED", "account/acct1", 300);
    runner.runPending(1, 100);
    assertTrue(log.stream().anyMatch(l -> l.contains("3 DEKs were refused")), log.toString());

    RewrapRunner restarted = new RewrapRunner(dir, this::record, log::add);
    assertEquals(2, restarted.catchUp(Map.of("account/acct1", 300L, "cmk/a", 450L, "account/acct2", 400L,
        "cmk/b", 250L)));
    assertEquals(List.of("key:account/acct2", "key:cmk/a"), restarted.queued().stream().sorted().toList());
    assertEquals("450", Files.readString(dir.resolve("last-rotation")).strip());
  }
}
