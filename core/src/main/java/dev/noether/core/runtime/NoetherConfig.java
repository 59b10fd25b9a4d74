package dev.noether.core.runtime;

import dev.noether.core.linalg.LinearAlgebra;

import java.time.Duration;
import java.util.Objects;

/**
 * Immutable settings of a {@link NoetherMonitor}. Defaults follow METRICS.md; every setter checks its
 * argument and says what is wrong, so a bad configuration fails at start-up, never during training.
 *
 * <pre>{@code
 * NoetherConfig config = NoetherConfig.builder().analysisEvery(100).build();
 * }</pre>
 */
public final class NoetherConfig {
    private final int analysisEvery;
    private final int observeEvery;
    private final Duration minAnalysisInterval;
    private final double maxAnalysisShare;
    private final double alignmentThreshold;
    private final double alignmentHysteresis;
    private final double deadAbsolute;
    private final double deadRelative;
    private final double distinctCosine;
    private final double blockCorrelation;
    private final int exactDimensionLimit;
    private final int sketchRank;
    private final long seed;
    private final LinearAlgebra.Backend linearAlgebra;

    private NoetherConfig(Builder b) {
        this.analysisEvery = b.analysisEvery;
        this.observeEvery = b.observeEvery;
        this.minAnalysisInterval = b.minAnalysisInterval;
        this.maxAnalysisShare = b.maxAnalysisShare;
        this.alignmentThreshold = b.alignmentThreshold;
        this.alignmentHysteresis = b.alignmentHysteresis;
        this.deadAbsolute = b.deadAbsolute;
        this.deadRelative = b.deadRelative;
        this.distinctCosine = b.distinctCosine;
        this.blockCorrelation = b.blockCorrelation;
        this.exactDimensionLimit = b.exactDimensionLimit;
        this.sketchRank = b.sketchRank;
        this.seed = b.seed;
        this.linearAlgebra = b.linearAlgebra;
    }

    /** The defaults of METRICS.md. */
    public static NoetherConfig defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this configuration. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.analysisEvery = analysisEvery;
        b.observeEvery = observeEvery;
        b.minAnalysisInterval = minAnalysisInterval;
        b.maxAnalysisShare = maxAnalysisShare;
        b.alignmentThreshold = alignmentThreshold;
        b.alignmentHysteresis = alignmentHysteresis;
        b.deadAbsolute = deadAbsolute;
        b.deadRelative = deadRelative;
        b.distinctCosine = distinctCosine;
        b.blockCorrelation = blockCorrelation;
        b.exactDimensionLimit = exactDimensionLimit;
        b.sketchRank = sketchRank;
        b.seed = seed;
        b.linearAlgebra = linearAlgebra;
        return b;
    }

    /** N: the heavy analysis runs at most every N steps (default 50). */
    public int analysisEvery() {
        return analysisEvery;
    }

    /**
     * K: the every-step tier observes the two consecutive steps t, t+1 with t a multiple of K (default 25), so
     * that the exact one-step charge identity is still checked while the training thread pays for 2 steps in K.
     * 1 observes every step. The step counter and the last-step timestamp move on every step; the loss and the
     * other every-step metrics on observed steps.
     */
    public int observeEvery() {
        return observeEvery;
    }

    /** True when step {@code step} is one of the pair of steps the every-step tier observes. */
    public boolean observes(long step) {
        return observeEvery == 1 || Math.floorMod(step, observeEvery) <= 1;
    }

    /** The time floor between two heavy analyses (default 2 s). */
    public Duration minAnalysisInterval() {
        return minAnalysisInterval;
    }

    /**
     * The largest share of wall time the background analysis may take (default 0.25): after an analysis of d
     * seconds the next waits d(1/share − 1) seconds, so on a machine with few cores it never competes with
     * training for more than this. Skips for this reason are counted as "rate_limited".
     */
    public double maxAnalysisShare() {
        return maxAnalysisShare;
    }

    /** τ: a CRH relation holds when its alignment is at least τ (default 0.7). */
    public double alignmentThreshold() {
        return alignmentThreshold;
    }

    /** A holding relation lets go only below τ minus this (default 0.05), so phases do not flicker. */
    public double alignmentHysteresis() {
        return alignmentHysteresis;
    }

    /** A neuron is dead when ‖w_i‖·‖u_i‖ is at most this (default 1e-6). */
    public double deadAbsolute() {
        return deadAbsolute;
    }

    /** ... or below this fraction of the median ‖w_j‖·‖u_j‖ (default 1e-3). */
    public double deadRelative() {
        return deadRelative;
    }

    /** Two neurons are the same when both cosines exceed this (default 0.99). */
    public double distinctCosine() {
        return distinctCosine;
    }

    /** Pre-activations with |Pearson r| at least this form a block (default 0.9). */
    public double blockCorrelation() {
        return blockCorrelation;
    }

    /**
     * Above this width (a layer's larger dimension) CRH alignments, PAH, FDT and the representation rank use
     * Nyström sketches with the error bounds stated in the metric help, and the layer's singular values come
     * from the smaller Gram matrix (default 1024).
     */
    public int exactDimensionLimit() {
        return exactDimensionLimit;
    }

    /** Seed of the random orthogonal matrices of the CRH baseline. */
    public long seed() {
        return seed;
    }

    /**
     * Test vectors of the Nyström sketches of layers wider than {@link #exactDimensionLimit()} (default 256;
     * at least the probe batch size plus 8 is used, so that probe moments are sketched exactly).
     */
    public int sketchRank() {
        return sketchRank;
    }

    /**
     * Linear algebra of the heavy analysis: {@code AUTO} (default) takes native OpenBLAS/LAPACKE when
     * {@code org.bytedeco:openblas} is on the class path, else EJML; the system property
     * {@code noether.linalg} decides what {@code AUTO} means process-wide.
     */
    public LinearAlgebra.Backend linearAlgebra() {
        return linearAlgebra;
    }

    /** Builds a {@link NoetherConfig}. */
    public static final class Builder {
        private int analysisEvery = 50;
        private int observeEvery = 25;
        private Duration minAnalysisInterval = Duration.ofSeconds(2);
        private double maxAnalysisShare = 0.25;
        private double alignmentThreshold = 0.7;
        private double alignmentHysteresis = 0.05;
        private double deadAbsolute = 1e-6;
        private double deadRelative = 1e-3;
        private double distinctCosine = 0.99;
        private double blockCorrelation = 0.9;
        private int exactDimensionLimit = 1024;
        private int sketchRank = 256;
        private long seed = 20240217L;
        private LinearAlgebra.Backend linearAlgebra = LinearAlgebra.Backend.AUTO;

        private Builder() {}

        public Builder analysisEvery(int steps) {
            if (steps < 1) {
                throw new IllegalArgumentException("analysisEvery must be at least 1 step, got " + steps);
            }
            this.analysisEvery = steps;
            return this;
        }

        public Builder observeEvery(int steps) {
            if (steps < 1) {
                throw new IllegalArgumentException("observeEvery must be at least 1 step, got " + steps);
            }
            this.observeEvery = steps;
            return this;
        }

        public Builder minAnalysisInterval(Duration interval) {
            Objects.requireNonNull(interval, "minAnalysisInterval");
            if (interval.isNegative()) {
                throw new IllegalArgumentException("minAnalysisInterval must not be negative, got " + interval);
            }
            this.minAnalysisInterval = interval;
            return this;
        }

        public Builder maxAnalysisShare(double share) {
            if (!(share > 0 && share <= 1)) {
                throw new IllegalArgumentException("maxAnalysisShare must be in (0, 1], got " + share);
            }
            this.maxAnalysisShare = share;
            return this;
        }

        public Builder alignmentThreshold(double tau) {
            this.alignmentThreshold = inRange("alignmentThreshold", tau, -1, 1);
            return this;
        }

        public Builder alignmentHysteresis(double margin) {
            this.alignmentHysteresis = inRange("alignmentHysteresis", margin, 0, 1);
            return this;
        }

        public Builder deadAbsolute(double tolerance) {
            this.deadAbsolute = inRange("deadAbsolute", tolerance, 0, Double.MAX_VALUE);
            return this;
        }

        public Builder deadRelative(double fraction) {
            this.deadRelative = inRange("deadRelative", fraction, 0, 1);
            return this;
        }

        public Builder distinctCosine(double cosine) {
            this.distinctCosine = inRange("distinctCosine", cosine, -1, 1);
            return this;
        }

        public Builder blockCorrelation(double r) {
            this.blockCorrelation = inRange("blockCorrelation", r, 0, 1);
            return this;
        }

        public Builder exactDimensionLimit(int width) {
            if (width < 2) {
                throw new IllegalArgumentException("exactDimensionLimit must be at least 2, got " + width);
            }
            this.exactDimensionLimit = width;
            return this;
        }

        public Builder sketchRank(int vectors) {
            if (vectors < 1) {
                throw new IllegalArgumentException("sketchRank must be at least 1, got " + vectors);
            }
            this.sketchRank = vectors;
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Forces the heavy analysis onto native LAPACK or EJML (see {@link NoetherConfig#linearAlgebra()}).
         *
         * @throws IllegalStateException for {@code NATIVE} when the library is absent or does not load
         */
        public Builder linearAlgebra(LinearAlgebra.Backend backend) {
            Objects.requireNonNull(backend, "linearAlgebra");
            LinearAlgebra.of(backend); // fail at start-up, not in the analysis
            this.linearAlgebra = backend;
            return this;
        }

        public NoetherConfig build() {
            return new NoetherConfig(this);
        }

        private static double inRange(String name, double v, double lo, double hi) {
            if (!(v >= lo && v <= hi)) {
                throw new IllegalArgumentException(name + " must be in [" + lo + ", " + hi + "], got " + v);
            }
            return v;
        }
    }
}
