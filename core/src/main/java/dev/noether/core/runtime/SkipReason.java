package dev.noether.core.runtime;

import java.util.Locale;

/** Why a due heavy analysis was skipped (never queued); counted in {@code noether.analysis.skipped{reason}}. */
public enum SkipReason {
    /** The analysis thread was still running the previous analysis. */
    BUSY,
    /** The time floor ({@link NoetherConfig#minAnalysisInterval()}) or the CPU share ({@link NoetherConfig#maxAnalysisShare()}) had not passed. */
    RATE_LIMITED,
    /** The analyses' half of the overhead budget ({@link NoetherConfig#overheadBudget()}) was in debt. */
    BUDGET,
    /** The final analysis at training end ran past its time bound. */
    TIMEOUT;

    /** The value of the {@code reason} tag ("busy", "rate_limited", "budget", "timeout"). */
    public String tag() {
        return name().toLowerCase(Locale.ROOT);
    }
}
