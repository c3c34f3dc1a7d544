package io.cobalt.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Argument handling of {@code cobalt chaos}, without a cluster (ChaosSmokeIT runs the suite itself). */
class ChaosMainTest {
  @Test
  void parsesEveryOption() throws Exception {
    ChaosSuite.Options o = ChaosMain.parse(new String[] {"--duration", "5m", "--seed", "-42", "--nodes", "5",
        "--partitions", "16", "--workloads", "register,queue", "--report", "out", "--jar", "x.jar", "--keep-data"});
    assertEquals(300_000, o.faultMillis());
    assertEquals(-42, o.seed());
    assertEquals(5, o.nodes());
    assertEquals(16, o.partitions());
    assertEquals(Set.of("register", "queue"), o.workloads());
    assertEquals(Paths.get("out").toAbsolutePath(), o.reportDir());
    assertEquals(Paths.get("x.jar").toAbsolutePath(), o.jar());
    assertTrue(o.keepData());
  }

  @Test
  void faultsOptionAddsKeyFaultsNodeRemovalAndNodeAddition() throws Exception {
    assertEquals(Set.of(FaultSchedule.Kind.KEY_ROTATE, FaultSchedule.Kind.KEY_REVOKE, FaultSchedule.Kind.KMS_DOWN,
        FaultSchedule.Kind.KMS_PAUSE, FaultSchedule.Kind.REMOVE_NODE),
        ChaosMain.parse(new String[] {"--faults", "keys,remove-node", "--nodes", "4"}).extraFaults());
    assertEquals(Set.of(FaultSchedule.Kind.KMS_PAUSE), ChaosMain.parse(new String[] {"--faults", "kms-pause"}).extraFaults());
    assertEquals(Set.of(), ChaosMain.parse(new String[0]).extraFaults());
    ChaosMain.UsageException three = assertThrows(ChaosMain.UsageException.class,
        () -> ChaosMain.parse(new String[] {"--faults", "remove-node"}));
    assertTrue(three.getMessage().contains("--nodes 4"), three.getMessage());
    assertEquals(Set.of(FaultSchedule.Kind.ADD_NODE), ChaosMain.parse(new String[] {"--faults", "add-node"}).extraFaults(),
        "a node can be added to the default 3 nodes");
    assertEquals(Set.of(FaultSchedule.Kind.REMOVE_NODE, FaultSchedule.Kind.ADD_NODE),
        ChaosMain.parse(new String[] {"--faults", "remove-node, ADD-NODE", "--nodes", "4"}).extraFaults());
    ChaosMain.UsageException unknown = assertThrows(ChaosMain.UsageException.class,
        () -> ChaosMain.parse(new String[] {"--faults", "add-nodes"}));
    assertTrue(unknown.getMessage().contains("add-node"), "the message lists add-node: " + unknown.getMessage());
    assertThrows(ChaosMain.UsageException.class, () -> ChaosMain.parse(new String[] {"--faults", "meteor"}));
  }

  @Test
  void defaultsRunEveryWorkloadForAMinuteOnThreeNodes() throws Exception {
    ChaosSuite.Options o = ChaosMain.parse(new String[0]);
    assertEquals(60_000, o.faultMillis());
    assertEquals(3, o.nodes());
    assertEquals(Set.copyOf(ChaosSuite.WORKLOADS), o.workloads());
    assertFalse(o.keepData());
  }

  @Test
  void durations() throws Exception {
    assertEquals(90_000, ChaosMain.duration("90"));
    assertEquals(90_000, ChaosMain.duration("90s"));
    assertEquals(7_200_000, ChaosMain.duration("2h"));
    for (String bad : new String[] {"5", "0", "-3m", "1x", "", "500ms", "999999999999h"}) {
      assertThrows(ChaosMain.UsageException.class, () -> ChaosMain.duration(bad), bad);
    }
  }

  @Test
  void badArgumentsExitWith2AndTheUsageBeforeStartingAnything() {
    String[][] bad = {{"--nodes", "2"}, {"--workloads", "set,blob"}, {"--duration"}, {"--frobnicate", "1"}, {"chaos"},
        {"--seed", "abc"}};
    for (String[] args : bad) {
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int code = ChaosMain.run(args, new PrintStream(new ByteArrayOutputStream()), new PrintStream(err));
      String text = err.toString(StandardCharsets.UTF_8);
      assertEquals(2, code, String.join(" ", args) + ": " + text);
      assertTrue(text.contains("usage: cobalt chaos"), text);
    }
  }

  @Test
  void helpPrintsTheUsageAndExits0() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertEquals(0, ChaosMain.run(new String[] {"--help"}, new PrintStream(out), System.err));
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("--workloads set,register,queue,table,batch"));
  }

  @Test
  void aMissingJarFailsTheRunWithExitCode1() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = ChaosMain.run(new String[] {"--jar", "/nonexistent/cobalt.jar", "--report",
        System.getProperty("java.io.tmpdir") + "/cobalt-chaos-main-test", "--duration", "10s"},
        new PrintStream(new ByteArrayOutputStream()), new PrintStream(err));
    assertEquals(1, code);
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("packaged jar is missing"), err.toString(StandardCharsets.UTF_8));
  }
}
