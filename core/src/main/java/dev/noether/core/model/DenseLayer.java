package dev.noether.core.model;

import java.util.Objects;
import java.util.Optional;

/**
 * One dense layer of a {@link NetworkDescription}: {@code h_b = W h_a + b} with W of shape
 * outputs × inputs, followed by what the adapter saw before the next dense layer.
 */
public final class DenseLayer {
    private final int index;
    private final String name;
    private final int outputs;
    private final int inputs;
    private final boolean hasBias;
    private final Activation activation;
    private final Normalization normalization;

    DenseLayer(int index, String name, int outputs, int inputs, boolean hasBias,
               Activation activation, Normalization normalization) {
        this.index = index;
        this.name = Objects.requireNonNull(name, "name");
        this.outputs = outputs;
        this.inputs = inputs;
        this.hasBias = hasBias;
        this.activation = activation;
        this.normalization = normalization;
    }

    /** Position among the dense layers of the description, from 0. */
    public int index() {
        return index;
    }

    /** The name used in the {@code layer} tag. */
    public String name() {
        return name;
    }

    /** m, the number of output neurons (rows of W). */
    public int outputs() {
        return outputs;
    }

    /** n, the number of inputs (columns of W). */
    public int inputs() {
        return inputs;
    }

    public boolean hasBias() {
        return hasBias;
    }

    /** The activation applied to this layer's output; {@link Activation#IDENTITY} when there is none. */
    public Activation activation() {
        return activation;
    }

    /** The normalization applied to this layer's output, if any. */
    public Optional<Normalization> normalization() {
        return Optional.ofNullable(normalization);
    }

    /** True when a normalization follows, so the loss does not change when W is rescaled. */
    public boolean isScaleInvariant() {
        return normalization != null;
    }

    int weightCount() {
        return outputs * inputs;
    }

    @Override
    public String toString() {
        return name + "[" + outputs + "x" + inputs + (hasBias ? "+b" : "") + ", " + activation
                + (normalization == null ? "" : ", " + normalization) + "]";
    }
}
