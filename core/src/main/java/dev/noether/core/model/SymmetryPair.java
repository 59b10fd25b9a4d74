package dev.noether.core.model;

/**
 * Two linear layers l, l+1 whose neurons (channels) in between carry a continuous symmetry, and so a
 * conserved Noether charge (METRICS.md §2, §10): l+1 reads only l's output, through positively homogeneous
 * element-wise and channel-preserving ops. u_i = the columns of W_{l+1} that {@link #grouping()} assigns to
 * channel i.
 */
public final class SymmetryPair {
    private final DenseLayer first;
    private final DenseLayer second;
    private final Symmetry symmetry;
    private final ChannelGrouping grouping;

    SymmetryPair(DenseLayer first, DenseLayer second, Symmetry symmetry, ChannelGrouping grouping) {
        this.first = first;
        this.second = second;
        this.symmetry = symmetry;
        this.grouping = grouping;
    }

    /** Which columns of W_{l+1} are each channel's u_i. */
    public ChannelGrouping grouping() {
        return grouping;
    }

    /** Layer l, whose rows w_i are the incoming weights of the shared neurons. */
    public DenseLayer first() {
        return first;
    }

    /** Layer l+1, whose column groups u_i are the outgoing weights of the shared neurons. */
    public DenseLayer second() {
        return second;
    }

    public Symmetry symmetry() {
        return symmetry;
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
