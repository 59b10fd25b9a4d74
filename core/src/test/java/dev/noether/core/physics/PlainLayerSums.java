package dev.noether.core.physics;

/**
 * The per-neuron sums of {@link LayerMoments} written the plainest way: one loop per quantity, each value
 * widened to double and added in index order: the reference {@code LayerMomentsTest} checks the host sums against.
 */
final class PlainLayerSums {
    final double[] rowSq;
    final double[] rowGradSq;
    final double[] rowDot;
    final double[] colSq;
    final double[] colGradSq;
    final double[] colDot;
    final double weightSquared;
    final double gradientSquared;
    final double deltaSquared;

    /**
     * @param w     W, row-major m × n
     * @param g     ∂ℓ/∂W as handed, or null
     * @param scale the factor that makes {@code g} the batch-mean gradient
     * @param prev  W of the step before, or null
     */
    PlainLayerSums(float[] w, float[] g, double scale, float[] prev, int m, int n) {
        rowSq = new double[m];
        rowGradSq = g == null ? null : new double[m];
        rowDot = g == null ? null : new double[m];
        colSq = new double[n];
        colGradSq = g == null ? null : new double[n];
        colDot = g == null ? null : new double[n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double x = w[i * n + j];
                rowSq[i] += x * x;
                colSq[j] += x * x;
            }
        }
        double gradTotal = 0;
        if (g != null) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double x = w[i * n + j];
                    double y = g[i * n + j] * scale;
                    rowGradSq[i] += y * y;
                    rowDot[i] += x * y;
                    colGradSq[j] += y * y;
                    colDot[j] += x * y;
                }
                gradTotal += rowGradSq[i];
            }
        }
        double total = 0;
        for (int i = 0; i < m; i++) {
            total += rowSq[i];
        }
        double delta = Double.NaN;
        if (prev != null) {
            delta = 0;
            for (int k = 0; k < m * n; k++) {
                double d = (double) w[k] - prev[k];
                delta += d * d;
            }
        }
        weightSquared = total;
        gradientSquared = gradTotal;
        deltaSquared = delta;
    }
}
