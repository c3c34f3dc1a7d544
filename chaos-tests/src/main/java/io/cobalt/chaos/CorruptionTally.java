package io.cobalt.chaos;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Injected vs detected vs repaired corruptions. Injected: every chunk replica a {@code CORRUPT}
 * fault damaged (the nemesis knows the ids). Detected and repaired, per injected replica, from what
 * the nodes logged after the injection (the node's own lines name the chunk id; nothing secret):
 * <ul>
 *   <li>detected by the scrubber: {@code scrubber found chunk <id> corrupt} in the damaged node's log;
 *   <li>detected on read: {@code stored chunk <id> does not match its id} in the damaged node's log
 *       (it answered DATA_LOSS and the gateway failed over to another replica);
 *   <li>repaired: {@code repaired chunk <id> on <damaged node> from <source>} in any node's log (a
 *       verified copy written over the damaged one).
 * </ul>
 * A damaged replica that was not repaired is counted apart as {@code onRetiredNode} when its node
 * is retired from chunk placement in the newest placement map (ADR 0028: the node stayed down past
 * the placement grace, for instance because the restart after the corruption was slow). The
 * repair worker drops repairs whose target is retired ("target retired, dropped"), by design: the
 * chunk's replicas live on the nodes that took the retired node's place, so such a replica is
 * neither repaired nor missing. Only a replica that is neither repaired nor on a retired node is
 * {@code unrepaired}, and only those make {@link #allSettled} false.
 * The nodes' counters (scrubber, repairs: {@link HealTally}) go beside, as the cluster status shows
 * them; they also count repairs of replicas missed during kills, so they are not per injection.
 */
public final class CorruptionTally {
  static final Pattern SCRUB = Pattern.compile("scrubber found chunk ([0-9a-f]{16,}) corrupt");
  static final Pattern READ = Pattern.compile("stored chunk ([0-9a-f]{16,}) does not match its id");
  static final Pattern REPAIR = Pattern.compile("repaired chunk ([0-9a-f]{16,}) on (\\S+) from");
  private static final int LIST_LIMIT = 20;

  /** One {@code CORRUPT} fault: the node, the replicas it damaged, and each node's log length just before. */
  public record Injected(String node, List<String> chunkIds, Map<String, Long> logOffsets) {}

  private CorruptionTally() {}

  /**
   * The report's {@code corruptions} section.
   *
   * @param logSince a node's log from a byte offset on
   * @param nodes every node whose log may name a repair
   * @param counters the nodes' summed counters ({@link HealTally#totals()})
   * @param retiredNodes nodes retired from chunk placement in the newest placement map
   *     ({@link ClusterProbe#retiredNodes()})
   */
  public static Map<String, Object> tally(List<Injected> injected, List<String> nodes,
      BiFunction<String, Long, String> logSince, Map<String, Long> counters, Set<String> retiredNodes) {
    long total = 0;
    long byScrub = 0;
    long onRead = 0;
    long detected = 0;
    long repaired = 0;
    long onRetired = 0;
    long unrepairedCount = 0;
    List<String> undetected = new ArrayList<>();
    List<String> unrepaired = new ArrayList<>();
    List<String> retired = new ArrayList<>();
    for (Injected i : injected) {
      String own = logSince.apply(i.node(), i.logOffsets().getOrDefault(i.node(), 0L));
      Set<String> scrub = ids(SCRUB, own);
      Set<String> read = ids(READ, own);
      Set<String> fixed = new HashSet<>();
      for (String n : nodes) {
        Matcher m = REPAIR.matcher(logSince.apply(n, i.logOffsets().getOrDefault(n, 0L)));
        while (m.find()) {
          if (m.group(2).equals(i.node())) {
            fixed.add(m.group(1));
          }
        }
      }
      for (String id : i.chunkIds()) {
        total++;
        boolean s = scrub.contains(id);
        boolean r = read.contains(id);
        byScrub += s ? 1 : 0;
        onRead += r ? 1 : 0;
        if (s || r) {
          detected++;
        } else if (undetected.size() < LIST_LIMIT) {
          undetected.add(i.node() + "/" + id);
        }
        if (fixed.contains(id)) {
          repaired++;
        } else if (retiredNodes.contains(i.node())) {
          onRetired++;
          if (retired.size() < LIST_LIMIT) {
            retired.add(i.node() + "/" + id);
          }
        } else {
          unrepairedCount++;
          if (unrepaired.size() < LIST_LIMIT) {
            unrepaired.add(i.node() + "/" + id);
          }
        }
      }
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("injected", total);
    m.put("detected", detected);
    m.put("detectedByScrubber", byScrub);
    m.put("detectedOnRead", onRead);
    m.put("repaired", repaired);
    m.put("onRetiredNode", onRetired);
    m.put("unrepairedCount", unrepairedCount);
    m.put("undetected", undetected);
    m.put("unrepaired", unrepaired);
    m.put("retiredNodes", retiredNodes.stream().sorted().toList());
    m.put("unrepairedOnRetiredNode", retired);
    m.put("nodeCounters", counters);
    return m;
  }

  /**
   * Whether every injected replica is detected and either repaired or on a retired node (for
   * waiting at the end of a run, and for the checks).
   */
  static boolean allSettled(Map<String, Object> section) {
    return section.get("injected").equals(section.get("detected")) && (long) section.get("unrepairedCount") == 0;
  }

  private static Set<String> ids(Pattern p, String text) {
    Set<String> out = new HashSet<>();
    Matcher m = p.matcher(text);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }
}
