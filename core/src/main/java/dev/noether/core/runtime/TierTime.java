package dev.noether.core.runtime;

import java.time.Duration;

/**
 * The time one {@link Tier} has taken since the monitor started: how many times it ran, in all, and the longest.
 *
 * @param count how many times the tier ran
 * @param total the sum of their durations
 * @param max   the longest of them ({@link Duration#ZERO} before the first)
 */
public record TierTime(long count, Duration total, Duration max) {
    /** A tier that has not run yet. */
    public static final TierTime NONE = new TierTime(0, Duration.ZERO, Duration.ZERO);
}
