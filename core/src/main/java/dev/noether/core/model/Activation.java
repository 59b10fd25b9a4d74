package dev.noether.core.model;

/**
 * Element-wise activations an adapter can name. What matters to the physics is whether σ is positively
 * homogeneous (σ(λz) = λσ(z) for λ &gt; 0): only then does a neuron carry a rescaling symmetry and a
 * conserved Noether charge (METRICS.md §1).
 */
public enum Activation {
    IDENTITY(true),
    RELU(true),
    LEAKY_RELU(true),
    PRELU(true),
    TANH(false),
    SIGMOID(false),
    GELU(false),
    SOFTMAX(false),
    /** An element-wise activation the adapter recognised but Noether does not model. */
    OTHER(false);

    private final boolean positivelyHomogeneous;

    Activation(boolean positivelyHomogeneous) {
        this.positivelyHomogeneous = positivelyHomogeneous;
    }

    /** True when σ(λz) = λσ(z) for every λ &gt; 0, which is what makes a rescaling symmetry. */
    public boolean isPositivelyHomogeneous() {
        return positivelyHomogeneous;
    }
}
