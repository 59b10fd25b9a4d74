/**
 * The runtime that watches one model learn: {@link dev.noether.core.runtime.NoetherMonitor} with its
 * every-step tier, the heavy analysis on one background thread and the hand-off between them, the
 * {@link dev.noether.core.runtime.NoetherConfig schedule and thresholds}, and the immutable
 * {@link dev.noether.core.runtime.NoetherReport reports} it publishes to
 * {@link dev.noether.core.runtime.NoetherReportListener listeners}.
 */
package dev.noether.core.runtime;
