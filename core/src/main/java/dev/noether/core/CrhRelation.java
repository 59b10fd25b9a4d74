package dev.noether.core;

/** The three proportionalities of the Canonical Representation Hypothesis (METRICS.md §5). */
enum CrhRelation {
    /** H ∝ G: representation aligned with gradient. */
    RGA,
    /** H ∝ Z: representation aligned with weight. */
    RWA,
    /** G ∝ Z: gradient aligned with weight. */
    GWA;

    /** Value of the {@code relation} tag. */
    String tag() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
