package dev.noether.core.runtime;

import java.util.Locale;

/** The parts of the monitor whose time is measured, in {@code noether.analysis{tier}}. */
public enum Tier {
    /** The every-step tier, on the training thread. */
    STEP,
    /** The probe batch's engine work, on the training thread. */
    PROBE,
    /** The heavy analysis, on the background thread. */
    HEAVY;

    /** The value of the {@code tier} tag ("step", "probe", "heavy"). */
    public String tag() {
        return name().toLowerCase(Locale.ROOT);
    }
}
