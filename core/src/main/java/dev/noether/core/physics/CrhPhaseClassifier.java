package dev.noether.core.physics;

/**
 * Classifies the CRH phase of one layer from its alignments (METRICS.md §5), with hysteresis so
 * that a phase does not flicker: a relation starts to hold at α ≥ τ and keeps holding while
 * α ≥ τ − hysteresis, tracked separately per side and relation. NaN alignments never hold.
 *
 * <p>One instance per layer; not thread-safe (the analysis thread owns it).
 */
public final class CrhPhaseClassifier {

    static final double DEFAULT_THRESHOLD = 0.7;
    static final double DEFAULT_HYSTERESIS = 0.05;

    private static final int RELATIONS = CrhRelation.values().length;

    private final double threshold;
    private final double hysteresis;
    private final boolean[] heldA = new boolean[RELATIONS];
    private final boolean[] heldB = new boolean[RELATIONS];

    public CrhPhaseClassifier() {
        this(DEFAULT_THRESHOLD, DEFAULT_HYSTERESIS);
    }

    /**
     * @param threshold  τ, the alignment at which a relation starts to hold
     * @param hysteresis how far below τ a relation that holds may fall before it stops holding
     */
    public CrhPhaseClassifier(double threshold, double hysteresis) {
        if (!Double.isFinite(threshold) || !(hysteresis >= 0) || Double.isInfinite(hysteresis)) {
            throw new IllegalArgumentException("threshold " + threshold + ", hysteresis " + hysteresis);
        }
        this.threshold = threshold;
        this.hysteresis = hysteresis;
    }

    /** Updates which relations hold and returns the phase they put the layer in. */
    public CrhPhase classify(CrhAlignments alignments) {
        double[] alphaA = alignments.alignments(CrhSide.A);
        double[] alphaB = alignments.alignments(CrhSide.B);
        update(heldA, alphaA);
        update(heldB, alphaB);
        return phaseOf(heldA.clone(), heldB.clone(), alphaA, alphaB);
    }

    private void update(boolean[] held, double[] alpha) {
        for (int r = 0; r < RELATIONS; r++) {
            double a = alpha[r]; // comparisons with NaN are false: NaN never holds
            held[r] = a >= threshold || (held[r] && a >= threshold - hysteresis);
        }
    }

    /**
     * The phase table of METRICS.md §5. Arrays are indexed by {@link CrhRelation#ordinal()}.
     * All three on both sides: CRH; all three on side a only: BACKWARD_CRH (whatever holds on b);
     * on side b only: FORWARD_CRH; else nothing on a or nothing on b: NONE; else the single-relation
     * phase of the holding pair (r_a, r_b) with the largest α_a + α_b. Ties go to the lower phase
     * number; a NaN sum ranks below every number.
     */
    public static CrhPhase phaseOf(boolean[] holdsA, boolean[] holdsB, double[] alphaA, double[] alphaB) {
        if (holdsA.length != RELATIONS || holdsB.length != RELATIONS
                || alphaA.length != RELATIONS || alphaB.length != RELATIONS) {
            throw new IllegalArgumentException("expected arrays of " + RELATIONS);
        }
        boolean allA = holdsA[0] && holdsA[1] && holdsA[2];
        boolean allB = holdsB[0] && holdsB[1] && holdsB[2];
        if (allA && allB) {
            return CrhPhase.CRH;
        }
        if (allA) {
            return CrhPhase.BACKWARD_CRH;
        }
        if (allB) {
            return CrhPhase.FORWARD_CRH;
        }
        CrhPhase best = CrhPhase.NONE;
        double bestScore = Double.NaN;
        for (CrhRelation ra : CrhRelation.values()) {
            for (CrhRelation rb : CrhRelation.values()) {
                if (!holdsA[ra.ordinal()] || !holdsB[rb.ordinal()]) {
                    continue;
                }
                CrhPhase phase = CrhPhase.ofPair(ra, rb);
                double score = alphaA[ra.ordinal()] + alphaB[rb.ordinal()];
                if (Double.isNaN(score)) {
                    score = Double.NEGATIVE_INFINITY;
                }
                boolean better = best == CrhPhase.NONE || score > bestScore
                        || (score == bestScore && phase.ordinal() < best.ordinal());
                if (better) {
                    best = phase;
                    bestScore = score;
                }
            }
        }
        return best; // NONE when no relation holds on side a or none on side b
    }
}
