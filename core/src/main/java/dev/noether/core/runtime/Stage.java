package dev.noether.core.runtime;

import java.util.Locale;

/** Where a failure inside Noether happened; counted in {@code noether.errors{stage}}. Training continues. */
public enum Stage {
    /** The every-step tier (a snapshot that does not fit the description, a bug). */
    STEP,
    /** The probe batch's engine work on the training thread. */
    PROBE,
    /** The heavy analysis, or handing it to its thread. */
    ANALYSIS,
    /** A {@link NoetherReportListener} that threw. */
    LISTENER,
    /** The engine adapter: capturing a step, reading the network or the optimizer. */
    ADAPTER;

    /** The value of the {@code stage} tag ("step", "probe", ...). */
    public String tag() {
        return name().toLowerCase(Locale.ROOT);
    }
}
