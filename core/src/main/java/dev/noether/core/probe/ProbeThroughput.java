package dev.noether.core.probe;

/**
 * The multiply-adds per second a model's probe passes run at on this machine, measured on every pass (its
 * {@link ProbeWorkload#cost estimated} multiply-adds over its measured time) and smoothed geometrically
 * (each pass moves the logarithm half way), so that one pass slowed by a busy machine halves no plan.
 * Before the first pass it is {@link #PRIOR}; it never goes below {@link #FLOOR}, so that the passes of small
 * models, whose time is the engine's per-operation overhead rather than arithmetic, never make a plan smaller
 * than what a slow CPU does in the allowance. Thread-safe.
 */
public final class ProbeThroughput {
    /** What a probe is expected to run at before its first pass: a CPU's float32 matrix products (10 GMAC/s). */
    public static final double PRIOR = 1e10;
    /** The lowest estimate: 1 GMAC/s, slower than any CPU's matrix products. */
    public static final double FLOOR = 1e9;

    private double logEstimate = Math.log(PRIOR);
    private long passes;

    /** The current estimate, in multiply-adds per second. */
    public synchronized double estimate() {
        return Math.max(FLOOR, Math.exp(logEstimate));
    }

    /** Passes measured so far. */
    public synchronized long passes() {
        return passes;
    }

    /** Records a pass of {@code multiplyAdds} (estimated) that took {@code nanos}; ignored when either is not positive. */
    public synchronized void record(double multiplyAdds, long nanos) {
        if (!(multiplyAdds > 0) || nanos <= 0) {
            return;
        }
        double measured = Math.log(Math.max(FLOOR, multiplyAdds / (nanos / 1e9)));
        logEstimate = passes == 0 ? measured : 0.5 * (logEstimate + measured);
        passes++;
    }
}
