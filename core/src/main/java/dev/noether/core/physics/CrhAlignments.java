package dev.noether.core.physics;

import dev.noether.core.linalg.LinearAlgebra;
import java.util.Arrays;
import org.ejml.data.DMatrixRMaj;

/**
 * The six CRH alignments of one dense layer and their random-rotation baselines (METRICS.md §5,
 * {@code crh.alignment} and {@code crh.alignment.baseline}). Immutable.
 *
 * <p>For each side, relation (X, Y) is α(X, Y) with rga = (H, G), rwa = (H, Z), gwa = (G, Z); its
 * baseline is the chance level of α(X, Q Y Qᵀ) over Haar-random rotations Q in closed form
 * ({@link RandomOrthogonal#expectedBaseline}: O(d²), where one sampled Q per relation cost two d³ products).
 */
public final class CrhAlignments {

    private static final int RELATIONS = CrhRelation.values().length;

    private final double[] alignmentA;
    private final double[] alignmentB;
    private final double[] baselineA;
    private final double[] baselineB;

    /** Arrays indexed by {@link CrhRelation#ordinal()}; copied. */
    public CrhAlignments(double[] alignmentA, double[] alignmentB, double[] baselineA, double[] baselineB) {
        this.alignmentA = checked(alignmentA);
        this.alignmentB = checked(alignmentB);
        this.baselineA = checked(baselineA);
        this.baselineB = checked(baselineB);
    }

    /**
     * All six alignments and baselines of a layer computing h_b = W h_a + b.
     *
     * @param w  weights, m×n (outputs × inputs)
     * @param ha E[h_a h_aᵀ], n×n
     * @param gb E[g_b g_bᵀ], m×m
     * @param hb E[h_b h_bᵀ], m×m
     * @throws IllegalArgumentException on inconsistent shapes
     */
    public static CrhAlignments compute(DMatrixRMaj w, DMatrixRMaj ha, DMatrixRMaj gb, DMatrixRMaj hb) {
        requireSquare("H_a", ha, w.numCols);
        requireSquare("G_b", gb, w.numRows);
        requireSquare("H_b", hb, w.numRows);
        LinearAlgebra la = LinearAlgebra.preferred();
        return fromMoments(ha, inputGradientMoment(w, gb, la), inputGram(w, la), hb, gb, outputGram(w, la));
    }

    /**
     * Same as {@link #compute} from the six matrices, for a caller that already holds Z_a, Z_b and
     * G_a (they are also the inputs of PAH and FDT).
     */
    public static CrhAlignments fromMoments(DMatrixRMaj ha, DMatrixRMaj ga, DMatrixRMaj za,
            DMatrixRMaj hb, DMatrixRMaj gb, DMatrixRMaj zb) {
        double[][] a = side(ha, ga, za);
        double[][] b = side(hb, gb, zb);
        return new CrhAlignments(a[0], b[0], a[1], b[1]);
    }

    /** Z_a = WᵀW (n×n). */
    public static DMatrixRMaj inputGram(DMatrixRMaj w) {
        return inputGram(w, LinearAlgebra.preferred());
    }

    /** Z_b = W Wᵀ (m×m). */
    public static DMatrixRMaj outputGram(DMatrixRMaj w) {
        return outputGram(w, LinearAlgebra.preferred());
    }

    /** G_a = Wᵀ G_b W (n×n), exact for a dense layer since g_a = Wᵀ g_b. */
    public static DMatrixRMaj inputGradientMoment(DMatrixRMaj w, DMatrixRMaj gb) {
        return inputGradientMoment(w, gb, LinearAlgebra.preferred());
    }

    /** Z_a = WᵀW (n×n). */
    public static DMatrixRMaj inputGram(DMatrixRMaj w, LinearAlgebra la) {
        return DMatrixRMaj.wrap(w.numCols, w.numCols, la.innerGram(w.data, w.numRows, w.numCols));
    }

    /** Z_b = W Wᵀ (m×m). */
    public static DMatrixRMaj outputGram(DMatrixRMaj w, LinearAlgebra la) {
        return DMatrixRMaj.wrap(w.numRows, w.numRows, la.outerGram(w.data, w.numRows, w.numCols));
    }

    /** G_a = Wᵀ G_b W (n×n), exact for a dense layer since g_a = Wᵀ g_b. */
    public static DMatrixRMaj inputGradientMoment(DMatrixRMaj w, DMatrixRMaj gb, LinearAlgebra la) {
        requireSquare("G_b", gb, w.numRows);
        int m = w.numRows;
        int n = w.numCols;
        double[] gw = la.multiply(gb.data, false, w.data, false, m, n, m);
        return DMatrixRMaj.wrap(n, n, la.multiply(w.data, true, gw, false, n, n, m));
    }

    /** α on the given side for the given relation; NaN when a matrix has zero variance. */
    public double alignment(CrhSide side, CrhRelation relation) {
        return (side == CrhSide.A ? alignmentA : alignmentB)[relation.ordinal()];
    }

    /** Random-rotation baseline (Haar chance level of α(X, Q Y Qᵀ)) on the given side for the given relation. */
    public double baseline(CrhSide side, CrhRelation relation) {
        return (side == CrhSide.A ? baselineA : baselineB)[relation.ordinal()];
    }

    /** Copy of the three alignments of a side, indexed by {@link CrhRelation#ordinal()}. */
    public double[] alignments(CrhSide side) {
        return (side == CrhSide.A ? alignmentA : alignmentB).clone();
    }

    @Override
    public String toString() {
        return "CrhAlignments{a=" + Arrays.toString(alignmentA) + ", b=" + Arrays.toString(alignmentB)
                + ", baselineA=" + Arrays.toString(baselineA) + ", baselineB="
                + Arrays.toString(baselineB) + "}";
    }

    /** {alignments, baselines} of one side, indexed by relation. */
    private static double[][] side(DMatrixRMaj h, DMatrixRMaj g, DMatrixRMaj z) {
        DMatrixRMaj[][] pairs = new DMatrixRMaj[RELATIONS][];
        pairs[CrhRelation.RGA.ordinal()] = new DMatrixRMaj[] {h, g};
        pairs[CrhRelation.RWA.ordinal()] = new DMatrixRMaj[] {h, z};
        pairs[CrhRelation.GWA.ordinal()] = new DMatrixRMaj[] {g, z};
        double[] alignment = new double[RELATIONS];
        double[] baseline = new double[RELATIONS];
        for (int r = 0; r < RELATIONS; r++) {
            alignment[r] = Alignment.pearson(pairs[r][0], pairs[r][1]);
            baseline[r] = RandomOrthogonal.expectedBaseline(pairs[r][0], pairs[r][1]);
        }
        return new double[][] {alignment, baseline};
    }

    private static void requireSquare(String name, DMatrixRMaj m, int d) {
        if (m.numRows != d || m.numCols != d) {
            throw new IllegalArgumentException(name + " must be " + d + "x" + d + ", got "
                    + m.numRows + "x" + m.numCols);
        }
    }

    private static double[] checked(double[] values) {
        if (values.length != RELATIONS) {
            throw new IllegalArgumentException("expected " + RELATIONS + " values, got " + values.length);
        }
        return values.clone();
    }
}
