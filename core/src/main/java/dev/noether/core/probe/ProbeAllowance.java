package dev.noether.core.probe;

import dev.noether.core.model.ProbePositions;

import java.time.Duration;

/**
 * The time one probe pass may hold the training thread, and the throughput it is expected to run at, as the
 * monitor gives it to an adapter's probe. {@link #plan} chooses the pass that fits: all samples and the usual
 * {@link ProbePositions#MAX_ROWS} rows per convolution when they fit; else fewer convolution positions (down to
 * one per sample), then fewer samples (down to {@link #MIN_SAMPLES}); else none. Positions go first because they
 * cost only the moments (r·n²), while samples also cost every layer's full pass (B·P·m·n).
 *
 * @param time       the time allowed: what the plan fits
 * @param throughput multiply-adds per second expected ({@link ProbeThroughput#estimate()})
 * @param startNanos {@link System#nanoTime()} when the allowance was given
 * @param stopAfter  when the pass stops, whatever is left ({@link #exhausted()}): the plan is an estimate
 */
public record ProbeAllowance(Duration time, double throughput, long startNanos, Duration stopAfter) {
    /** Fewer samples than this say too little about a dense layer's activations: the pass is skipped instead. */
    public static final int MIN_SAMPLES = 4;
    /**
     * A periodic pass stops past this many times its allowance, or its allowance and {@link #GRACE} if that is
     * later (a JVM's first pass also loads and compiles the engine's operations).
     */
    public static final int HARD_LIMIT_FACTOR = 2;
    /** See {@link #HARD_LIMIT_FACTOR}. */
    public static final Duration GRACE = Duration.ofMillis(500);

    public ProbeAllowance {
        if (time.isNegative() || stopAfter.isNegative()) {
            throw new IllegalArgumentException("a probe allowance cannot be negative: " + time + ", " + stopAfter);
        }
        if (!(throughput > 0)) {
            throw new IllegalArgumentException("throughput must be positive, got " + throughput);
        }
    }

    /**
     * An allowance of {@code time} starting now, that stops the pass after {@link #HARD_LIMIT_FACTOR} times it or
     * {@link #GRACE} more, whichever is later.
     */
    public static ProbeAllowance startingNow(Duration time, double throughput) {
        Duration doubled = time.multipliedBy(HARD_LIMIT_FACTOR);
        Duration graced = time.plus(GRACE);
        return startingNow(time, throughput, doubled.compareTo(graced) > 0 ? doubled : graced);
    }

    /** An allowance of {@code time} starting now that stops the pass after {@code stopAfter} (a final bound). */
    public static ProbeAllowance startingNow(Duration time, double throughput, Duration stopAfter) {
        return new ProbeAllowance(time, throughput, System.nanoTime(), stopAfter);
    }

    /** An allowance of a day: in practice it always plans the whole pass. */
    public static ProbeAllowance unlimited() {
        return startingNow(Duration.ofDays(1), ProbeThroughput.PRIOR);
    }

    /** The largest pass of {@code workload} whose estimated time fits this allowance. */
    public ProbePlan plan(ProbeWorkload workload) {
        double budget = seconds() * throughput;
        int all = workload.samples();
        int rows = ProbePositions.MAX_ROWS;
        double whole = workload.cost(all, rows);
        if (whole <= budget) {
            return plan(all, rows, whole, ProbePlan.Status.WHOLE);
        }
        // fewer positions: the largest row cap in [samples, MAX_ROWS] that fits (cost grows with the cap)
        if (workload.cost(all, all) <= budget) {
            int r = largest(all, rows, cap -> workload.cost(all, cap) <= budget);
            return plan(all, r, workload.cost(all, r), ProbePlan.Status.REDUCED);
        }
        // fewer samples, each with one position; then as many positions as fit for that many samples
        int min = Math.min(MIN_SAMPLES, all);
        if (workload.cost(min, min) > budget) {
            return new ProbePlan(0, 0, workload.cost(min, min), nanos(workload.cost(min, min)), ProbePlan.Status.SKIPPED);
        }
        int b = largest(min, all, s -> workload.cost(s, s) <= budget);
        int r = largest(b, Math.max(b, rows), cap -> workload.cost(b, cap) <= budget);
        return plan(b, r, workload.cost(b, r), ProbePlan.Status.REDUCED);
    }

    /**
     * True once {@link #stopAfter()} has passed: the plan was an estimate, and a probe that runs that far over it
     * stops between two layers, leaving the rest of its pass out.
     */
    public boolean exhausted() {
        return System.nanoTime() - startNanos > stopAfter.toNanos();
    }

    /**
     * {@link #exhausted()} for a pass of {@code plan}, which never stops a pass whose arithmetic fits the allowance
     * even at {@link ProbeThroughput#FLOOR}: such a pass is late only through the engine's per-operation overhead or
     * a busy machine, and stopping it would save little and lose the moments (and make what small models report
     * depend on the machine's load).
     */
    public boolean exhausted(ProbePlan plan) {
        return plan.multiplyAdds() > seconds() * ProbeThroughput.FLOOR && exhausted();
    }

    private ProbePlan plan(int samples, int rows, double multiplyAdds, ProbePlan.Status status) {
        return new ProbePlan(samples, rows, multiplyAdds, nanos(multiplyAdds), status);
    }

    private long nanos(double multiplyAdds) {
        return (long) Math.min(Long.MAX_VALUE, multiplyAdds / throughput * 1e9);
    }

    private double seconds() {
        return time.getSeconds() + time.getNano() / 1e9;
    }

    /** The largest v in [low, high] with fits(v), given fits(low) and fits non-increasing in v. */
    private static int largest(int low, int high, java.util.function.IntPredicate fits) {
        while (low < high) {
            int mid = low + (high - low + 1) / 2;
            if (fits.test(mid)) {
                low = mid;
            } else {
                high = mid - 1;
            }
        }
        return low;
    }
}
