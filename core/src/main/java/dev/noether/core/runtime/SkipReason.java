package dev.noether.core.runtime;

import java.util.Locale;

/**
 * Why a due heavy analysis, or a part of it, was skipped (never queued); counted in
 * {@code noether.analysis.skipped{reason}}.
 */
public enum SkipReason {
    /** The analysis thread was still running the previous analysis. */
    BUSY,
    /** The time floor ({@link NoetherConfig#minAnalysisInterval()}) or the CPU share ({@link NoetherConfig#maxAnalysisShare()}) had not passed. */
    RATE_LIMITED,
    /** The analyses' half of the overhead budget ({@link NoetherConfig#overheadBudget()}) was in debt. */
    BUDGET,
    /** The final analysis at training end ran past its time bound. */
    TIMEOUT,
    /**
     * The probe pass would have taken longer than its allowance ({@link NoetherConfig#maxProbeTime()}) even with
     * the fewest samples: no pass; the analysis read the weights alone.
     */
    PROBE_COST,
    /**
     * A part of the network the probe pass left out ({@link dev.noether.core.probe.ProbeGap}): a node the engine
     * could not run on the probe batch or pass a per-sample gradient back through, an output without labels, or
     * the rest of a pass out of time; one count per part and pass, named once in the log.
     */
    PROBE_PART;

    /** The value of the {@code reason} tag ("busy", "rate_limited", "budget", "timeout", "probe_cost", "probe_part"). */
    public String tag() {
        return name().toLowerCase(Locale.ROOT);
    }
}
