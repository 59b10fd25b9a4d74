package dev.noether.core.physics;

import org.ejml.data.DMatrixRMaj;

/**
 * Alignment of two matrices as the Pearson correlation of their entries (METRICS.md §5):
 * {@code α(A,B) = ⟨A − Ā, B − B̄⟩_F / (‖A − Ā‖_F ‖B − B̄‖_F)}, Ā the mean of all entries of A.
 */
public final class Alignment {

    private Alignment() {
    }

    /**
     * Pearson correlation of the entries of {@code a} and {@code b}, in [−1, 1].
     *
     * @return NaN when either matrix has zero variance (all its entries equal, including the empty
     *     matrix) or contains NaN
     * @throws IllegalArgumentException when the shapes differ
     */
    public static double pearson(DMatrixRMaj a, DMatrixRMaj b) {
        if (a.numRows != b.numRows || a.numCols != b.numCols) {
            throw new IllegalArgumentException("shape mismatch: " + a.numRows + "x" + a.numCols
                    + " vs " + b.numRows + "x" + b.numCols);
        }
        int size = a.getNumElements();
        double[] x = a.data;
        double[] y = b.data;
        // Zero variance decided exactly (all entries equal): a tolerance on the centred norm would
        // either miss the rounding error of the mean or silence genuinely tiny-variance matrices.
        if (allEqual(x, size) || allEqual(y, size)) {
            return Double.NaN;
        }
        double meanX = mean(x, size);
        double meanY = mean(y, size);
        double sxy = 0;
        double sxx = 0;
        double syy = 0;
        for (int i = 0; i < size; i++) {
            double dx = x[i] - meanX;
            double dy = y[i] - meanY;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }
        double r = sxy / Math.sqrt(sxx * syy);
        // Rounding can push |r| a few ulps past 1.
        return Double.isNaN(r) ? r : Math.max(-1.0, Math.min(1.0, r));
    }

    private static boolean allEqual(double[] v, int size) {
        for (int i = 1; i < size; i++) {
            if (v[i] != v[0]) {
                return false;
            }
        }
        return true;
    }

    private static double mean(double[] v, int size) {
        double sum = 0;
        for (int i = 0; i < size; i++) {
            sum += v[i];
        }
        return sum / size;
    }
}
