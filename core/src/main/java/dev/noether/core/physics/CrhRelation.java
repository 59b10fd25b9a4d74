package dev.noether.core.physics;

/** The three proportionalities of the Canonical Representation Hypothesis (METRICS.md §5). */
public enum CrhRelation {
    /** H ∝ G: representation aligned with gradient. */
    RGA,
    /** H ∝ Z: representation aligned with weight. */
    RWA,
    /** G ∝ Z: gradient aligned with weight. */
    GWA;

    /** Value of the {@code relation} tag. */
    public String tag() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
