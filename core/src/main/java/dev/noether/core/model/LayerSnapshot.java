package dev.noether.core.model;

import java.util.Objects;

/**
 * One dense layer's parameters and loss gradients at one step, as plain row-major arrays oriented
 * outputs × inputs. Gradients are of the minibatch-mean loss, before any weight-decay term
 * (METRICS.md §2): an adapter whose framework sums over the batch divides by the batch size.
 *
 * <p>The snapshot takes ownership of the arrays: the adapter hands over fresh copies and never touches
 * them again, so no defensive copy is made on the training thread. Null gradients mean "not available"
 * (the charge identity and the symmetry violation are then skipped for the pairs that need them).
 */
public final class LayerSnapshot {
    private final float[] weight;
    private final float[] bias;
    private final float[] weightGradient;
    private final float[] biasGradient;

    private LayerSnapshot(float[] weight, float[] bias, float[] weightGradient, float[] biasGradient) {
        this.weight = Objects.requireNonNull(weight, "weight");
        this.bias = bias;
        this.weightGradient = weightGradient;
        this.biasGradient = biasGradient;
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
        return new LayerSnapshot(weight, bias, weightGradient, biasGradient);
    }

    /** Parameters only, for engines or moments where gradients are not at hand. */
    public static LayerSnapshot ofWeights(float[] weight, float[] bias) {
        return new LayerSnapshot(weight, bias, null, null);
    }

    /** W, row-major outputs × inputs: the array handed over, not a copy (read it, never write it). */
    public float[] weight() {
        return weight;
    }

    /** b, or null when the layer has none (not a copy). */
    public float[] bias() {
        return bias;
    }

    /** ∂ℓ/∂W of the batch-mean loss, or null (not a copy). */
    public float[] weightGradient() {
        return weightGradient;
    }

    /** ∂ℓ/∂b, or null (not a copy). */
    public float[] biasGradient() {
        return biasGradient;
    }

    /** True when every gradient the layer's parameters need is present. */
    public boolean hasGradients() {
        return weightGradient != null && (bias == null || biasGradient != null);
    }

    /** Throws when the arrays do not fit the layer's shape; the message names the layer and the shapes. */
    public void checkShape(DenseLayer layer) {
        int m = layer.outputs();
        int n = layer.inputs();
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
