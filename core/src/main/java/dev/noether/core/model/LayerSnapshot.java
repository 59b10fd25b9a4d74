package dev.noether.core.model;

import java.util.Objects;

/**
 * One dense layer's parameters and loss gradients at one step, as plain row-major arrays oriented
 * outputs × inputs. Gradients are of the minibatch-mean loss, before any weight-decay term
 * (METRICS.md §2): an adapter whose framework sums over the batch hands the sums with the factor that
 * makes them means ({@link #of(float[], float[], float[], float[], double)}), so that the division happens
 * off the training thread.
 *
 * <p>The snapshot takes ownership of the arrays: the adapter hands over fresh copies and never touches
 * them again, so no defensive copy is made on the training thread. Null gradients mean "not available"
 * (the charge identity and the symmetry violation are then skipped for the pairs that need them).
 *
 * <p>Instead of the arrays, an adapter may hand the engine's {@link LayerReductions} ({@link #reduced}): the
 * every-step tier then works from them alone, and W and b are needed only on the steps whose weights the
 * heavy analysis reads ({@link dev.noether.core.runtime.NoetherMonitor#wantsWeights}).
 */
public final class LayerSnapshot {
    private final float[] weight;
    private final float[] bias;
    private final float[] weightGradient;
    private final float[] biasGradient;
    private final LayerReductions reductions;
    private final double gradientScale;

    private LayerSnapshot(float[] weight, float[] bias, float[] weightGradient, float[] biasGradient,
                          LayerReductions reductions, double gradientScale) {
        this.weight = weight;
        this.bias = bias;
        this.weightGradient = weightGradient;
        this.biasGradient = biasGradient;
        this.reductions = reductions;
        this.gradientScale = gradientScale;
    }

    /**
     * Wraps (does not copy) the arrays of one layer.
     *
     * @param weight         W, row-major, length outputs × inputs
     * @param bias           b, length outputs, or null when the layer has none
     * @param weightGradient ∂ℓ/∂W of the batch-mean loss, same layout as W, or null
     * @param biasGradient   ∂ℓ/∂b, or null
     */
    public static LayerSnapshot of(float[] weight, float[] bias, float[] weightGradient, float[] biasGradient) {
        return of(weight, bias, weightGradient, biasGradient, 1);
    }

    /**
     * Like {@link #of(float[], float[], float[], float[])} for gradients that become those of the batch-mean
     * loss only when multiplied by {@code gradientScale} (e.g. 1/B for a framework that sums over the batch).
     */
    public static LayerSnapshot of(float[] weight, float[] bias, float[] weightGradient, float[] biasGradient,
                                   double gradientScale) {
        if (!(gradientScale > 0) || Double.isInfinite(gradientScale)) {
            throw new IllegalArgumentException("gradientScale must be positive and finite, got " + gradientScale);
        }
        return new LayerSnapshot(Objects.requireNonNull(weight, "weight"), bias, weightGradient, biasGradient, null,
                gradientScale);
    }

    /** Parameters only, for engines or moments where gradients are not at hand. */
    public static LayerSnapshot ofWeights(float[] weight, float[] bias) {
        return new LayerSnapshot(Objects.requireNonNull(weight, "weight"), bias, null, null, null, 1);
    }

    /**
     * The engine's per-neuron sums of one layer, with W and b only when the heavy analysis will read them.
     *
     * @param reductions the sums the every-step tier needs
     * @param weight     W, row-major outputs × inputs, or null on a step the heavy analysis does not read
     * @param bias       b, or null (always null when {@code weight} is)
     */
    public static LayerSnapshot reduced(LayerReductions reductions, float[] weight, float[] bias) {
        Objects.requireNonNull(reductions, "reductions");
        if (weight == null && bias != null) {
            throw new IllegalArgumentException("a bias without its weight");
        }
        if (weight != null && (bias != null) != reductions.hasBias()) {
            throw new IllegalArgumentException("the bias and the bias sums come together");
        }
        return new LayerSnapshot(weight, bias, null, null, reductions, 1);
    }

    /** The engine's sums, or null when the snapshot holds the arrays. */
    public LayerReductions reductions() {
        return reductions;
    }

    /** True when W (and b, if any) are at hand, as the heavy analysis needs. */
    public boolean hasWeights() {
        return weight != null;
    }

    /** This layer without gradients (or gradient sums): for a state the last backward pass does not belong to. */
    public LayerSnapshot withoutGradients() {
        return reductions == null ? ofWeights(weight, bias)
                : new LayerSnapshot(weight, bias, null, null, reductions.withoutGradients(), 1);
    }

    /**
     * W, row-major outputs × inputs: the array handed over, not a copy (read it, never write it); null only in
     * a {@link #reduced} snapshot of a step the heavy analysis does not read.
     */
    public float[] weight() {
        return weight;
    }

    /** b, or null when the layer has none (not a copy). */
    public float[] bias() {
        return bias;
    }

    /** ∂ℓ/∂W as handed over (times {@link #gradientScale()} it is that of the batch-mean loss), or null (not a copy). */
    public float[] weightGradient() {
        return weightGradient;
    }

    /** ∂ℓ/∂b as handed over (times {@link #gradientScale()}), or null (not a copy). */
    public float[] biasGradient() {
        return biasGradient;
    }

    /** The factor that turns the handed gradients into those of the batch-mean loss (1 unless the adapter sums). */
    public double gradientScale() {
        return gradientScale;
    }

    /** True when every gradient the layer's parameters need is present. */
    public boolean hasGradients() {
        if (reductions != null) {
            return reductions.hasGradients();
        }
        return weightGradient != null && (bias == null || biasGradient != null);
    }

    /** Throws when the arrays do not fit the layer's shape; the message names the layer and the shapes. */
    public void checkShape(DenseLayer layer) {
        int m = layer.outputs();
        int n = layer.inputs();
        if (reductions != null) {
            reductions.checkShape(layer);
        }
        if (weight == null) {
            return;
        }
        check(layer, "weight", weight, m * n, m + "x" + n);
        if (bias != null) {
            check(layer, "bias", bias, m, String.valueOf(m));
        }
        if (weightGradient != null) {
            check(layer, "weight gradient", weightGradient, m * n, m + "x" + n);
        }
        if (biasGradient != null) {
            check(layer, "bias gradient", biasGradient, m, String.valueOf(m));
        }
    }

    private static void check(DenseLayer layer, String what, float[] a, int expected, String shape) {
        if (a.length != expected) {
            throw new IllegalArgumentException("Layer '" + layer.name() + "': " + what + " has " + a.length
                    + " values but the description says " + shape + " (" + expected + ")");
        }
    }
}
