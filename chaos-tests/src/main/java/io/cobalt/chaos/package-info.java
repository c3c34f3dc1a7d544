/**
 * The chaos suite's parts, in the order a run uses them: a seeded {@link io.cobalt.chaos.FaultSchedule}
 * that a {@link io.cobalt.chaos.Nemesis} plays against a process cluster, a
 * {@link io.cobalt.chaos.SetFullWorkload} that records every operation in a
 * {@link io.cobalt.chaos.History}, the {@link io.cobalt.chaos.SetFullChecker}, and the
 * {@link io.cobalt.chaos.ChaosReport} (JSON). docs/chaos.md describes a run.
 */
package io.cobalt.chaos;
