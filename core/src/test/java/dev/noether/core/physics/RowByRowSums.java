package dev.noether.core.physics;

/**
 * The host sums as {@link LayerMoments} computed them before {@link RowBlockSums}: one row at a time, one chain of
 * dependent adds per sum, the column sums loaded and stored for every element. Kept only so that
 * {@link LayerMomentsBenchmark} compares both in one run.
 */
final class RowByRowSums {
    private RowByRowSums() {}

    /** The same sums as {@link LayerMoments#of}'s W pass; returns ‖W‖² + ‖ΔW‖² so nothing is optimized away. */
    static double of(float[] w, float[] g, double scale, float[] previousW, int m, int n, boolean needRows,
                     boolean needCols) {
        double[] rowSq = needRows ? new double[m] : null;
        double[] rowGradSq = needRows && g != null ? new double[m] : null;
        double[] rowDot = needRows && g != null ? new double[m] : null;
        double[] colSq = needCols ? new double[n] : null;
        double[] colGradSq = needCols && g != null ? new double[n] : null;
        double[] colDot = needCols && g != null ? new double[n] : null;
        double total = 0;
        double gradTotal = 0;
        double delta = 0;
        for (int i = 0; i < m; i++) {
            int base = i * n;
            double sq = 0;
            double gsq = 0;
            double dot = 0;
            for (int j = 0; j < n; j++) {
                double x = w[base + j];
                sq += x * x;
                if (g != null) {
                    double y = g[base + j] * scale;
                    gsq += y * y;
                    dot += x * y;
                    if (needCols) {
                        colGradSq[j] += y * y;
                        colDot[j] += x * y;
                    }
                }
                if (needCols) {
                    colSq[j] += x * x;
                }
                if (previousW != null) {
                    double d = x - previousW[base + j];
                    delta += d * d;
                }
            }
            total += sq;
            gradTotal += gsq;
            if (needRows) {
                rowSq[i] = sq;
                if (g != null) {
                    rowGradSq[i] = gsq;
                    rowDot[i] = dot;
                }
            }
        }
        return total + delta + gradTotal;
    }
}
