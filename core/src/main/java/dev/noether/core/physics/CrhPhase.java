package dev.noether.core.physics;

import java.util.OptionalDouble;

/**
 * Phases of the Canonical Representation Hypothesis (METRICS.md §5, talk Table 1): which of the
 * relations rga, rwa, gwa hold on side a (backward) and side b (forward).
 *
 * <p>{@link #predictedExponent()} is κ_b in λ_{H_b} ∝ λ_{G_b}^κ, as METRICS.md §5's table gives it: phases 3
 * and 9 (H flat) predict 0, phase 7 predicts 1, and phases 1 (H and G flat) and 2 (G flat) predict nothing,
 * because a flat G leaves λ_H without a λ_G to follow; nor do the one-sided CRH phases and none.
 */
public enum CrhPhase {
    /** All three relations on both sides. */
    CRH("crh", 1.0),
    /** All three on side a, not all on side b. */
    BACKWARD_CRH("backward_crh", Double.NaN),
    /** All three on side b, not all on side a. */
    FORWARD_CRH("forward_crh", Double.NaN),
    /** rga on a, rga on b. */
    P1("1", Double.NaN),
    /** rwa on a, rwa on b. */
    P2("2", Double.NaN),
    /** gwa on a, gwa on b. */
    P3("3", 0.0),
    /** rga on a, rwa on b. */
    P4("4", -1.0),
    /** rwa on a, rga on b. */
    P5("5", 1.0),
    /** rga on a, gwa on b. */
    P6("6", 3.0),
    /** gwa on a, rga on b. */
    P7("7", 1.0),
    /** rwa on a, gwa on b. */
    P8("8", 2.0),
    /** gwa on a, rwa on b. */
    P9("9", 0.0),
    /** No relation holds on side a, or none on side b. */
    NONE("none", Double.NaN);

    private final String tag;
    private final double exponent;

    CrhPhase(String tag, double exponent) {
        this.tag = tag;
        this.exponent = exponent;
    }

    /** Value of the {@code phase} tag. */
    public String tag() {
        return tag;
    }

    /** Predicted PAH exponent κ_b; empty where the table has none ("—"). */
    public OptionalDouble predictedExponent() {
        return Double.isNaN(exponent) ? OptionalDouble.empty() : OptionalDouble.of(exponent);
    }

    /** The single-relation phase where {@code a} holds on side a and {@code b} on side b. */
    public static CrhPhase ofPair(CrhRelation a, CrhRelation b) {
        return PAIRS[a.ordinal()][b.ordinal()];
    }

    // Rows: relation on side a; columns: relation on side b (order rga, rwa, gwa).
    private static final CrhPhase[][] PAIRS = {
        {P1, P4, P6},
        {P5, P2, P8},
        {P7, P9, P3},
    };
}
