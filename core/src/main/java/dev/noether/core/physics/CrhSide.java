package dev.noether.core.physics;

/** Side of a dense layer for the CRH matrices (METRICS.md §5). */
public enum CrhSide {
    /** Input side: H_a, G_a = Wᵀ G_b W, Z_a = WᵀW (n×n); "backward" in the phase table. */
    A,
    /** Output side: H_b, G_b, Z_b = W Wᵀ (m×m); "forward" in the phase table. */
    B;

    /** Value of the {@code side} tag. */
    public String tag() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
