package dev.noether.core.physics;

import dev.noether.core.model.LayerReductions;
import dev.noether.core.model.LayerSnapshot;

/**
 * The per-neuron sums one step needs from a layer, in one pass over W and ∂ℓ/∂W ({@link RowBlockSums}, four rows
 * at a time), accumulated in double:
 * for every row (an output neuron's incoming weights w_i) and, when the layer is the second of a pair,
 * every column (an input neuron's outgoing weights u_j): ‖·‖², ‖ĝ‖² and θ·ĝ (METRICS.md §2). The squared
 * norm of a float fits a double without overflow, so a non-finite sum means a non-finite input. Built either
 * on the heap from full arrays ({@link #of(LayerSnapshot, int, int, boolean, boolean, float[])}, the host
 * reference) or from the engine's {@link LayerReductions} ({@link #of(LayerReductions, boolean, boolean, boolean)}).
 */
public final class LayerMoments {
    public final int rows;
    public final int cols;
    public final double weightSquared;
    /** ‖W(t) − W(t−1)‖², NaN without a previous step. */
    public final double deltaSquared;
    /** ‖ĝ_W‖², the squared norm of the weight matrix's gradient of the batch-mean loss; NaN without gradients. */
    public final double weightGradientSquared;
    public final boolean finite;
    public final boolean hasGradients;

    // rows: w_i (and b_i)
    public final double[] rowSq;
    public final double[] rowGradSq;
    public final double[] rowDot;
    public final double[] biasSq;
    public final double[] biasGradSq;
    public final double[] biasDot;
    // columns: u_j
    public final double[] colSq;
    public final double[] colGradSq;
    public final double[] colDot;

    private LayerMoments(int rows, int cols, boolean needRows, boolean needCols, boolean grads, boolean bias) {
        this.rows = rows;
        this.cols = cols;
        this.hasGradients = grads;
        rowSq = needRows ? new double[rows] : null;
        rowGradSq = needRows && grads ? new double[rows] : null;
        rowDot = needRows && grads ? new double[rows] : null;
        biasSq = needRows && bias ? new double[rows] : null;
        biasGradSq = needRows && bias && grads ? new double[rows] : null;
        biasDot = needRows && bias && grads ? new double[rows] : null;
        colSq = needCols ? new double[cols] : null;
        colGradSq = needCols && grads ? new double[cols] : null;
        colDot = needCols && grads ? new double[cols] : null;
        weightSquared = 0;
        deltaSquared = Double.NaN;
        weightGradientSquared = Double.NaN;
        finite = true;
    }

    private LayerMoments(LayerMoments sums, double weightSquared, double deltaSquared, double weightGradientSquared,
                         boolean finite) {
        this.rows = sums.rows;
        this.cols = sums.cols;
        this.hasGradients = sums.hasGradients;
        this.rowSq = sums.rowSq;
        this.rowGradSq = sums.rowGradSq;
        this.rowDot = sums.rowDot;
        this.biasSq = sums.biasSq;
        this.biasGradSq = sums.biasGradSq;
        this.biasDot = sums.biasDot;
        this.colSq = sums.colSq;
        this.colGradSq = sums.colGradSq;
        this.colDot = sums.colDot;
        this.weightSquared = weightSquared;
        this.deltaSquared = deltaSquared;
        this.weightGradientSquared = weightGradientSquared;
        this.finite = finite;
    }

    /**
     * @param needRows   the layer is the first of a pair (its rows are the w_i)
     * @param needCols   the layer is the second of a pair (its columns are the u_i)
     * @param previousW  W at the previous step for the update ratio, or null
     */
    public static LayerMoments of(LayerSnapshot s, int m, int n, boolean needRows, boolean needCols, float[] previousW) {
        boolean grads = s.hasGradients();
        float[] w = s.weight();
        double scale = s.gradientScale(); // to the batch-mean loss's gradient, exact for the usual 1/2^k
        LayerMoments t = new LayerMoments(m, n, needRows, needCols, grads, s.bias() != null);
        // the totals need every row's sums: rows nobody asked for go to scratch arrays, and so do the gradient
        // sums of a step without gradients and ‖ΔW‖² without a previous W, for which the sums read W instead
        double[] rowSq = needRows ? t.rowSq : new double[m];
        double[] rowGradSq = t.rowGradSq != null ? t.rowGradSq : new double[m];
        double[] rowDot = t.rowDot != null ? t.rowDot : new double[m];
        double delta = RowBlockSums.accumulate(w, grads ? s.weightGradient() : w, previousW == null ? w : previousW,
                m, n, rowSq, rowGradSq, rowDot, t.colSq,
                needCols ? (grads ? t.colGradSq : new double[n]) : null, needCols ? (grads ? t.colDot : new double[n]) : null);
        double total = 0;
        double gradTotal = 0;
        for (int i = 0; i < m; i++) {
            total += rowSq[i];
            gradTotal += rowGradSq[i];
        }
        // the gradient sums were of ĝ as handed: scaled once here instead of every element
        gradTotal = grads ? gradTotal * (scale * scale) : 0;
        if (grads && scale != 1) {
            scale(t.rowGradSq, scale * scale);
            scale(t.rowDot, scale);
            scale(t.colGradSq, scale * scale);
            scale(t.colDot, scale);
        }
        double weightGradTotal = gradTotal; // the weight matrix's part, before the bias adds its own
        double biasTotal = 0;
        float[] b = s.bias();
        if (b != null) {
            float[] gb = grads ? s.biasGradient() : null;
            for (int i = 0; i < m; i++) {
                double x = b[i];
                biasTotal += x * x;
                if (needRows) {
                    t.biasSq[i] = x * x;
                }
                if (gb != null) {
                    double y = gb[i] * scale;
                    gradTotal += y * y;
                    if (needRows) {
                        t.biasGradSq[i] = y * y;
                        t.biasDot[i] = x * y;
                    }
                }
            }
        }
        boolean finite = Double.isFinite(total) && Double.isFinite(biasTotal) && Double.isFinite(gradTotal)
                && (previousW == null || Double.isFinite(delta));
        return new LayerMoments(t, total, previousW == null ? Double.NaN : delta, grads ? weightGradTotal : Double.NaN,
                finite);
    }

    /** Multiplies {@code a} (null: nothing) by {@code factor} in place. */
    private static void scale(double[] a, double factor) {
        if (a == null) {
            return;
        }
        for (int i = 0; i < a.length; i++) {
            a[i] *= factor;
        }
    }

    /**
     * The moments from the engine's sums: the layer totals are summed here, row by row as the host path
     * does, so both paths agree to the last bit given the same per-row sums.
     *
     * @param withDelta the adapter's ‖ΔW‖² is against the step just before the one observed here
     */
    public static LayerMoments of(LayerReductions r, boolean needRows, boolean needCols, boolean withDelta) {
        boolean grads = r.hasGradients();
        int m = r.rows();
        LayerMoments t = new LayerMoments(m, r.cols(), false, false, grads, false);
        double total = 0;
        double gradTotal = 0;
        for (int i = 0; i < m; i++) {
            total += r.rowSq()[i];
            if (grads) {
                gradTotal += r.rowGradSq()[i];
            }
        }
        double weightGradTotal = gradTotal;
        double biasTotal = 0;
        if (r.hasBias()) {
            for (int i = 0; i < m; i++) {
                biasTotal += r.biasSq()[i];
                if (grads) {
                    gradTotal += r.biasGradSq()[i];
                }
            }
        }
        double delta = withDelta ? r.deltaSquared() : Double.NaN;
        boolean finite = Double.isFinite(total) && Double.isFinite(biasTotal) && Double.isFinite(gradTotal)
                && (!withDelta || Double.isFinite(delta));
        return new LayerMoments(t, total, delta, grads ? weightGradTotal : Double.NaN, finite,
                needRows ? r.rowSq() : null, needRows ? r.rowGradSq() : null, needRows ? r.rowDot() : null,
                needRows ? r.biasSq() : null, needRows ? r.biasGradSq() : null, needRows ? r.biasDot() : null,
                needCols ? r.colSq() : null, needCols ? r.colGradSq() : null, needCols ? r.colDot() : null);
    }

    private LayerMoments(LayerMoments shape, double weightSquared, double deltaSquared, double weightGradientSquared,
                         boolean finite,
                         double[] rowSq, double[] rowGradSq, double[] rowDot,
                         double[] biasSq, double[] biasGradSq, double[] biasDot,
                         double[] colSq, double[] colGradSq, double[] colDot) {
        this.rows = shape.rows;
        this.cols = shape.cols;
        this.hasGradients = shape.hasGradients;
        this.rowSq = rowSq;
        this.rowGradSq = rowGradSq;
        this.rowDot = rowDot;
        this.biasSq = biasSq;
        this.biasGradSq = biasGradSq;
        this.biasDot = biasDot;
        this.colSq = colSq;
        this.colGradSq = colGradSq;
        this.colDot = colDot;
        this.weightSquared = weightSquared;
        this.deltaSquared = deltaSquared;
        this.weightGradientSquared = weightGradientSquared;
        this.finite = finite;
    }
}
