package dev.noether.core.model;

import java.util.Locale;

/** The continuous symmetry a pair of consecutive dense layers carries (METRICS.md §1). */
public enum Symmetry {
    /** Per-neuron rescaling w_i → λw_i, u_i → u_i/λ, through a positively homogeneous activation. */
    RESCALING,
    /** W_l → R W_l, W_{l+1} → W_{l+1} Rᵀ for any orthogonal R: identity activation and no bias on layer l. */
    ROTATION;

    /** The value of the {@code symmetry} tag. */
    public String tag() {
        return name().toLowerCase(Locale.ROOT);
    }
}
