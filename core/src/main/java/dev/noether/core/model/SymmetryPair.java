package dev.noether.core.model;

import java.util.Objects;

/**
 * Two consecutive dense layers l, l+1 whose neurons in between carry a continuous symmetry, and so a
 * conserved Noether charge (METRICS.md §2).
 *
 * @param first    layer l, whose rows w_i are the incoming weights of the shared neurons
 * @param second   layer l+1, whose columns u_i are the outgoing weights of the shared neurons
 * @param symmetry the symmetry of the neurons in between
 */
public record SymmetryPair(DenseLayer first, DenseLayer second, Symmetry symmetry) {
    public SymmetryPair {
        Objects.requireNonNull(first, "first");
        Objects.requireNonNull(second, "second");
        Objects.requireNonNull(symmetry, "symmetry");
    }

    /** The value of the {@code pair} tag: {@code "<layer l>:<layer l+1>"}. */
    public String tag() {
        return first.name() + ":" + second.name();
    }

    @Override
    public String toString() {
        return tag() + "(" + symmetry.tag() + ")";
    }
}
