package dev.noether.core.model;

import java.util.Locale;

/** The continuous symmetry a pair of consecutive dense layers carries (METRICS.md §1). */
public enum Symmetry {
    /** Per-neuron rescaling w_i → λw_i, u_i → u_i/λ, through a positively homogeneous activation. */
    RESCALING,
    /** W_l → R W_l, W_{l+1} → W_{l+1} Rᵀ for any orthogonal R: identity activation and no bias on layer l. */
    ROTATION,
    /**
     * Per attention head, W̃_Q → M W̃_Q, W̃_K → M^{−T} W̃_K (and W̃_V → M W̃_V, W_O → W_O M^{−1}) for any invertible
     * d_h × d_h M (METRICS.md §12): the pairs of an {@link AttentionBlock}.
     */
    DOUBLE_ROTATION;

    /** The value of the {@code symmetry} tag. */
    public String tag() {
        return name().toLowerCase(Locale.ROOT);
    }
}
