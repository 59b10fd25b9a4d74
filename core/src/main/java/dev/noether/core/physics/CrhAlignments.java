package dev.noether.core.physics;

import java.util.Arrays;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

/**
 * The six CRH alignments of one dense layer and their random-rotation baselines (METRICS.md §5,
 * {@code crh.alignment} and {@code crh.alignment.baseline}). Immutable.
 *
 * <p>For each side, relation (X, Y) is α(X, Y) with rga = (H, G), rwa = (H, Z), gwa = (G, Z); its
 * baseline is α(X, Q Y Qᵀ) with Q = {@link RandomOrthogonal#of}(d, seed), one Q per side.
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
     * @param seed seed of the baseline rotations
     * @throws IllegalArgumentException on inconsistent shapes
     */
    public static CrhAlignments compute(DMatrixRMaj w, DMatrixRMaj ha, DMatrixRMaj gb, DMatrixRMaj hb,
            long seed) {
        requireSquare("H_a", ha, w.numCols);
        requireSquare("G_b", gb, w.numRows);
        requireSquare("H_b", hb, w.numRows);
        return fromMoments(ha, inputGradientMoment(w, gb), inputGram(w),
                hb, gb, outputGram(w), seed);
    }

    /**
     * Same as {@link #compute} from the six matrices, for a caller that already holds Z_a, Z_b and
     * G_a (they are also the inputs of PAH and FDT).
     */
    public static CrhAlignments fromMoments(DMatrixRMaj ha, DMatrixRMaj ga, DMatrixRMaj za,
            DMatrixRMaj hb, DMatrixRMaj gb, DMatrixRMaj zb, long seed) {
        double[][] a = side(ha, ga, za, seed);
        double[][] b = side(hb, gb, zb, seed);
        return new CrhAlignments(a[0], b[0], a[1], b[1]);
    }

    /** Z_a = WᵀW (n×n). */
    public static DMatrixRMaj inputGram(DMatrixRMaj w) {
        DMatrixRMaj z = new DMatrixRMaj(w.numCols, w.numCols);
        CommonOps_DDRM.multInner(w, z);
        return z;
    }

    /** Z_b = W Wᵀ (m×m). */
    public static DMatrixRMaj outputGram(DMatrixRMaj w) {
        DMatrixRMaj z = new DMatrixRMaj(w.numRows, w.numRows);
        CommonOps_DDRM.multOuter(w, z);
        return z;
    }

    /** G_a = Wᵀ G_b W (n×n), exact for a dense layer since g_a = Wᵀ g_b. */
    public static DMatrixRMaj inputGradientMoment(DMatrixRMaj w, DMatrixRMaj gb) {
        requireSquare("G_b", gb, w.numRows);
        DMatrixRMaj gw = new DMatrixRMaj(w.numRows, w.numCols);
        CommonOps_DDRM.mult(gb, w, gw);
        DMatrixRMaj ga = new DMatrixRMaj(w.numCols, w.numCols);
        CommonOps_DDRM.multTransA(w, gw, ga);
        return ga;
    }

    /** α on the given side for the given relation; NaN when a matrix has zero variance. */
    public double alignment(CrhSide side, CrhRelation relation) {
        return (side == CrhSide.A ? alignmentA : alignmentB)[relation.ordinal()];
    }

    /** Random-rotation baseline α(X, Q Y Qᵀ) on the given side for the given relation. */
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
    private static double[][] side(DMatrixRMaj h, DMatrixRMaj g, DMatrixRMaj z, long seed) {
        DMatrixRMaj[][] pairs = new DMatrixRMaj[RELATIONS][];
        pairs[CrhRelation.RGA.ordinal()] = new DMatrixRMaj[] {h, g};
        pairs[CrhRelation.RWA.ordinal()] = new DMatrixRMaj[] {h, z};
        pairs[CrhRelation.GWA.ordinal()] = new DMatrixRMaj[] {g, z};
        double[] alignment = new double[RELATIONS];
        double[] baseline = new double[RELATIONS];
        for (int r = 0; r < RELATIONS; r++) {
            alignment[r] = Alignment.pearson(pairs[r][0], pairs[r][1]);
            baseline[r] = RandomOrthogonal.baseline(pairs[r][0], pairs[r][1], seed);
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
