package dev.noether.core.model;

/**
 * Two consecutive dense layers l, l+1 whose neurons in between carry a continuous symmetry, and so a
 * conserved Noether charge (METRICS.md §2).
 */
public final class SymmetryPair {
    private final DenseLayer first;
    private final DenseLayer second;
    private final Symmetry symmetry;

    SymmetryPair(DenseLayer first, DenseLayer second, Symmetry symmetry) {
        this.first = first;
        this.second = second;
        this.symmetry = symmetry;
    }

    /** Layer l, whose rows w_i are the incoming weights of the shared neurons. */
    public DenseLayer first() {
        return first;
    }

    /** Layer l+1, whose columns u_i are the outgoing weights of the shared neurons. */
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
