/**
 * The chaos suite's parts, in the order a run ({@link io.cobalt.chaos.ChaosSuite}) uses them: a seeded
 * {@link io.cobalt.chaos.FaultSchedule} that a {@link io.cobalt.chaos.Nemesis} plays against a process
 * cluster; workloads ({@link io.cobalt.chaos.SetFullWorkload}, {@link io.cobalt.chaos.RegisterWorkload}
 * over blobs and table entities, {@link io.cobalt.chaos.QueueWorkload}) that record every operation in
 * one {@link io.cobalt.chaos.History}; the checkers ({@link io.cobalt.chaos.SetFullChecker},
 * {@link io.cobalt.chaos.LinearizabilityChecker}, the queue's drain); and the
 * {@link io.cobalt.chaos.ChaosReport} (JSON and HTML). {@link io.cobalt.chaos.ChaosMain} is
 * {@code cobalt chaos}. docs/chaos.md describes a run.
 */
package io.cobalt.chaos;
