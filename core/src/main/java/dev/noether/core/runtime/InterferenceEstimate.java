package dev.noether.core.runtime;

import java.util.Arrays;

/**
 * κ: how much training wall time one second of the monitor's own background work (the step tier's sums, the
 * heavy analysis) costs, measured online by comparing the training's step times while those threads work and
 * while they are idle. On a machine with a spare core κ is near 0; where training already uses every core (or
 * the two threads share one physical core) near 1; with OpenMP-style training threads that wait for each other
 * it can exceed 1, so it is capped at {@link #MAX}, not 1.
 *
 * <p>Each step interval gives the training's own time τ (the interval less the monitor's time on the training
 * thread) and the background busy time b inside it. Intervals with b = 0 set the baseline τ₀: the mean of the
 * last 64 without their largest and smallest eighths (a GC pause or a data-loading stall is not the baseline;
 * where such stalls are frequent, τ₀ stays below the mean and κ errs upwards, the safe side). Intervals with
 * b > 0 give the excess τ − τ₀,
 * clipped to ±{@link #MAX}·b so that one stalled step cannot swing the estimate, and κ = Σ excess / Σ b over
 * exponentially forgotten sums (about the last 256 such intervals). Until 16 intervals of each kind have been
 * seen κ is {@link #PRIOR}, as if no core were spare. Not thread-safe: the training thread feeds and reads it.
 */
final class InterferenceEstimate {
    /** κ before there is evidence: every background second costs training a second. */
    static final double PRIOR = 1.0;
    /** The largest κ reported. */
    static final double MAX = 2.0;
    private static final int MIN_SAMPLES = 16;
    private static final double FORGET = 1 - 1.0 / 256;

    private final long[] clean = new long[64];
    private int cleanCount;
    private int cleanNext;
    private double baseline = Double.NaN;
    private int sinceBaseline;

    private double busySum;
    private double excessSum;
    private int contended;

    /** One step interval: the training's own nanoseconds in it and the background's busy nanoseconds. */
    void add(long training, long busy) {
        if (training < 0) {
            return;
        }
        if (busy <= 0) {
            clean[cleanNext] = training;
            cleanNext = (cleanNext + 1) % clean.length;
            cleanCount = Math.min(cleanCount + 1, clean.length);
            if (Double.isNaN(baseline) ? cleanCount >= MIN_SAMPLES : ++sinceBaseline >= 8) {
                baseline = trimmedMean();
                sinceBaseline = 0;
            }
            return;
        }
        if (Double.isNaN(baseline)) {
            return; // no baseline to compare with yet
        }
        double excess = Math.max(-MAX * busy, Math.min(MAX * busy, training - baseline));
        busySum = busySum * FORGET + busy;
        excessSum = excessSum * FORGET + excess;
        contended++;
    }

    /** κ, in [0, {@link #MAX}]; {@link #PRIOR} until there is evidence. */
    double value() {
        if (contended < MIN_SAMPLES || !(busySum > 0)) {
            return PRIOR;
        }
        return Math.max(0, Math.min(MAX, excessSum / busySum));
    }

    /** τ₀ in nanoseconds, NaN before 16 clean intervals. */
    double baseline() {
        return baseline;
    }

    private double trimmedMean() {
        long[] sorted = Arrays.copyOf(clean, cleanCount);
        Arrays.sort(sorted);
        int cut = sorted.length / 8;
        double sum = 0;
        for (int i = cut; i < sorted.length - cut; i++) {
            sum += sorted[i];
        }
        return sum / (sorted.length - 2 * cut);
    }
}
