package dev.noether.core.model;

import java.util.Objects;

/**
 * Probe-batch moments of one dense layer, computed by the adapter with the engine's own tensor ops so
 * that only these small matrices reach the heap (METRICS.md §5, §6). All matrices are row-major and
 * uncentred second moments over the B probe samples:
 * <ul>
 *   <li>{@code inputMoment} H_a = E[h_a h_aᵀ], n × n;</li>
 *   <li>{@code outputMoment} H_b = E[h_b h_bᵀ], m × m, h_b the pre-activation W h_a + b;</li>
 *   <li>{@code outputGradientMoment} G_b = E[g_b g_bᵀ], m × m, g_b = ∂ℓ/∂h_b per sample of the
 *       per-sample loss (a mean-reduced gradient multiplied by B);</li>
 *   <li>{@code outputMean} E[h_b], length m; {@code activeFraction} the share of samples whose
 *       post-activation is non-zero, length m.</li>
 * </ul>
 * Any of them may be missing; the metrics that need it are then absent for this layer.
 *
 * <p>An adapter may hand a moment of scaled vectors, h/s with s a power of two, when the vectors are so large or
 * small that their float32 moment would overflow or vanish ({@link dev.noether.core.probe.MomentScale}): the
 * true moment is s² times the one given ({@link #inputScale()}, {@link #outputScale()} for H_b and E[h_b] (times
 * s), {@link #gradientScale()}). Every metric read from the moments is invariant to these scales.
 */
public final class LayerProbe {
    private final int layer;
    private final int samples;
    private final float[] inputMoment;
    private final float[] outputMoment;
    private final float[] outputGradientMoment;
    private final float[] outputMean;
    private final float[] activeFraction;
    private final double inputScale;
    private final double outputScale;
    private final double gradientScale;

    private LayerProbe(Builder b) {
        this.layer = b.layer;
        this.samples = b.samples;
        this.inputMoment = b.inputMoment;
        this.outputMoment = b.outputMoment;
        this.outputGradientMoment = b.outputGradientMoment;
        this.outputMean = b.outputMean;
        this.activeFraction = b.activeFraction;
        this.inputScale = b.inputScale;
        this.outputScale = b.outputScale;
        this.gradientScale = b.gradientScale;
    }

    /** Starts the moments of the dense layer at {@code layerIndex} in the description. */
    public static Builder builder(int layerIndex) {
        return new Builder(layerIndex);
    }

    public int layer() {
        return layer;
    }

    public int samples() {
        return samples;
    }

    /** H_a, n × n, or null when missing (the array handed over, not a copy). */
    public float[] inputMoment() {
        return inputMoment;
    }

    /** H_b, m × m, or null (not a copy). */
    public float[] outputMoment() {
        return outputMoment;
    }

    /** G_b, m × m, or null (not a copy). */
    public float[] outputGradientMoment() {
        return outputGradientMoment;
    }

    /** E[h_b], length m, or null (not a copy). */
    public float[] outputMean() {
        return outputMean;
    }

    /** Share of samples with a non-zero post-activation, length m, or null (not a copy). */
    public float[] activeFraction() {
        return activeFraction;
    }

    /** s of H_a: the true H_a is s² times {@link #inputMoment()} (1 unless scaled). */
    public double inputScale() {
        return inputScale;
    }

    /** s of H_b and E[h_b]: the true H_b is s² times {@link #outputMoment()}, E[h_b] s times {@link #outputMean()}. */
    public double outputScale() {
        return outputScale;
    }

    /** s of G_b: the true G_b is s² times {@link #outputGradientMoment()}. */
    public double gradientScale() {
        return gradientScale;
    }

    /** Throws when a matrix does not fit the layer's shape; the message names the layer and the shapes. */
    public void checkShape(DenseLayer l) {
        int m = l.outputs();
        int n = l.inputs();
        check(l, "H_a", inputMoment, n * n);
        check(l, "H_b", outputMoment, m * m);
        check(l, "G_b", outputGradientMoment, m * m);
        check(l, "E[h_b]", outputMean, m);
        check(l, "active fraction", activeFraction, m);
    }

    private static void check(DenseLayer l, String what, float[] a, int expected) {
        if (a != null && a.length != expected) {
            throw new IllegalArgumentException("Layer '" + l.name() + "': probe " + what + " has " + a.length
                    + " values, expected " + expected + " for shape " + l.outputs() + "x" + l.inputs());
        }
    }

    /** Builds a {@link LayerProbe}; arrays are wrapped, not copied. */
    public static final class Builder {
        private final int layer;
        private int samples;
        private float[] inputMoment;
        private float[] outputMoment;
        private float[] outputGradientMoment;
        private float[] outputMean;
        private float[] activeFraction;
        private double inputScale = 1;
        private double outputScale = 1;
        private double gradientScale = 1;

        private Builder(int layer) {
            this.layer = layer;
        }

        public Builder samples(int samples) {
            this.samples = samples;
            return this;
        }

        public Builder inputMoment(float[] ha) {
            this.inputMoment = Objects.requireNonNull(ha);
            return this;
        }

        public Builder outputMoment(float[] hb) {
            this.outputMoment = Objects.requireNonNull(hb);
            return this;
        }

        public Builder outputGradientMoment(float[] gb) {
            this.outputGradientMoment = Objects.requireNonNull(gb);
            return this;
        }

        public Builder outputMean(float[] mean) {
            this.outputMean = Objects.requireNonNull(mean);
            return this;
        }

        public Builder activeFraction(float[] fraction) {
            this.activeFraction = Objects.requireNonNull(fraction);
            return this;
        }

        /** The scales of H_a, of H_b with E[h_b], and of G_b (each 1 unless the adapter scaled those vectors). */
        public Builder scales(double input, double output, double gradient) {
            this.inputScale = positive("input scale", input);
            this.outputScale = positive("output scale", output);
            this.gradientScale = positive("gradient scale", gradient);
            return this;
        }

        /** The scale of G_b alone (set where the gradients are known, after the forward moments). */
        public Builder gradientScale(double gradient) {
            this.gradientScale = positive("gradient scale", gradient);
            return this;
        }

        private static double positive(String what, double s) {
            if (!(s > 0) || Double.isInfinite(s)) {
                throw new IllegalArgumentException(what + " must be positive and finite, got " + s);
            }
            return s;
        }

        public LayerProbe build() {
            return new LayerProbe(this);
        }
    }
}
