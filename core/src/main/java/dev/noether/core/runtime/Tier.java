package dev.noether.core.runtime;

import java.util.Locale;

/** The parts of the monitor whose time is measured, in {@code noether.analysis{tier}}. */
public enum Tier {
    /** The every-step tier's part on the training thread: the copy of the step from the engine. */
    STEP,
    /** The every-step tier's sums and report, on the monitor's step thread. */
    STEP_BACKGROUND,
    /** The probe batch's engine work, on the training thread. */
    PROBE,
    /** The heavy analysis, on the background thread. */
    HEAVY;

    /** The value of the {@code tier} tag ("step", "step_background", "probe", "heavy"). */
    public String tag() {
        return name().toLowerCase(Locale.ROOT);
    }
}
