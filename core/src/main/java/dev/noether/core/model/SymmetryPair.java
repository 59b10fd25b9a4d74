package dev.noether.core.model;

import java.util.Objects;

/**
 * Two linear layers l, l+1 whose neurons (channels) in between carry a continuous symmetry, and so a
 * conserved Noether charge (METRICS.md §2, §10): l+1 reads only l's output, through positively homogeneous
 * element-wise and channel-preserving ops.
 *
 * @param first    layer l, whose rows w_i are the incoming weights of the shared neurons
 * @param second   layer l+1, whose column groups u_i are the outgoing weights of the shared neurons
 * @param symmetry the symmetry of the neurons in between
 * @param grouping which columns of W_{l+1} are each channel's u_i
 */
public record SymmetryPair(DenseLayer first, DenseLayer second, Symmetry symmetry, ChannelGrouping grouping) {
    public SymmetryPair {
        Objects.requireNonNull(first, "first");
        Objects.requireNonNull(second, "second");
        Objects.requireNonNull(symmetry, "symmetry");
        Objects.requireNonNull(grouping, "grouping");
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
