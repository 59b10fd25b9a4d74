package dev.noether.core.runtime;

import java.util.List;
import java.util.Map;

/**
 * An immutable snapshot of a monitor's own counts and timings (not the physics: that is in its
 * {@link NoetherReport reports}), from {@link NoetherMonitor#stats()}. Every reason, stage and tier is present,
 * with zero when nothing happened.
 *
 * @param steps                 training steps seen, observed or not
 * @param observedSteps         steps the step tier observed
 * @param analyses              heavy analyses handed to the background thread
 * @param skipped               due analyses skipped, by reason
 * @param errors                failures inside Noether, by stage
 * @param nonFinite             non-finite skips by dense layer, in description order
 * @param tierTimes             the time each tier has taken
 * @param overhead              the monitor's measured cost as a share (0–1) of training wall time over the last
 *                              five to ten seconds (training-thread time plus interference times background
 *                              busy time); NaN until the first second has passed
 * @param observedFraction      share of the steps observed over the same window; NaN before the first step
 * @param interference          κ, training time lost per second of the monitor's background work (1 until measured)
 * @param lastStepEpochSeconds  wall-clock time of the last step in Unix epoch seconds, NaN before the first
 */
public record MonitorStats(long steps, long observedSteps, long analyses, Map<SkipReason, Long> skipped,
                           Map<Stage, Long> errors, List<Long> nonFinite, Map<Tier, TierTime> tierTimes,
                           double overhead, double observedFraction, double interference,
                           double lastStepEpochSeconds) {
    public MonitorStats {
        skipped = Map.copyOf(skipped);
        errors = Map.copyOf(errors);
        nonFinite = List.copyOf(nonFinite);
        tierTimes = Map.copyOf(tierTimes);
    }

    /** Skipped analyses for {@code reason}. */
    public long skipped(SkipReason reason) {
        return skipped.getOrDefault(reason, 0L);
    }

    /** Failures counted for {@code stage}. */
    public long errors(Stage stage) {
        return errors.getOrDefault(stage, 0L);
    }

    /** Non-finite skips of the dense layer at {@code index} of the description. */
    public long nonFinite(int index) {
        return nonFinite.get(index);
    }

    /** The time {@code tier} has taken. */
    public TierTime tierTime(Tier tier) {
        return tierTimes.getOrDefault(tier, TierTime.NONE);
    }
}
