/**
 * How much probe work fits the time a probe pass is allowed (METRICS.md §6, §10): the
 * {@link dev.noether.core.probe.ProbeWorkload} (the cost in multiply-adds of one pass, from the layer shapes
 * alone), the {@link dev.noether.core.probe.ProbePlan} of samples and convolution positions that fits a
 * {@link dev.noether.core.probe.ProbeAllowance}, the {@link dev.noether.core.probe.ProbeThroughput} measured on
 * earlier passes of the same model, and what a pass hands back: the
 * {@link dev.noether.core.probe.ProbeResult} with its {@link dev.noether.core.probe.ProbeGap}s. Engine-neutral
 * and pure: the adapters build the workload and apply the plan; the monitor gives the allowance.
 */
package dev.noether.core.probe;
