package dev.noether.core.physics;

import dev.noether.core.linalg.LinearAlgebra;
import dev.noether.core.linalg.SymmetricEigen;
import org.ejml.data.DMatrixRMaj;

/**
 * Polynomial Alignment Hypothesis fit (METRICS.md §5): the slope κ of log λ_H against log λ_G,
 * pairing the spectra through the eigenbasis of G.
 */
public final class PolynomialAlignment {

    /** Directions with x or y at or below this fraction of its maximum are dropped. */
    static final double RELATIVE_CUT = 1e-6;

    private PolynomialAlignment() {
    }

    /**
     * Fits log y_k = κ log x_k + c by least squares over the eigenvectors v_k of G, with
     * x_k = v_kᵀ G v_k (the eigenvalues) and y_k = v_kᵀ H v_k, keeping k with
     * x_k &gt; 1e-6·max x and y_k &gt; 1e-6·max y.
     *
     * @param h symmetric d×d (H of the side)
     * @param g symmetric d×d (G of the same side)
     * @return exponent and R² NaN when fewer than 3 points survive, when all kept x coincide, or
     *     when an input is not finite
     * @throws IllegalArgumentException when the shapes differ or are not square
     */
    public static PahFit fit(DMatrixRMaj h, DMatrixRMaj g) {
        return fit(h, g, LinearAlgebra.preferred());
    }

    /** {@link #fit(DMatrixRMaj, DMatrixRMaj)} on the given linear algebra: one eigen-decomposition, one product. */
    public static PahFit fit(DMatrixRMaj h, DMatrixRMaj g, LinearAlgebra la) {
        int d = g.numRows;
        if (g.numCols != d || h.numRows != d || h.numCols != d) {
            throw new IllegalArgumentException("need two square matrices of one size, got "
                    + h.numRows + "x" + h.numCols + " and " + g.numRows + "x" + g.numCols);
        }
        if (d == 0 || !Spectrum.allFinite(h) || !Spectrum.allFinite(g)) {
            return new PahFit(Double.NaN, Double.NaN, new double[0], new double[0]);
        }
        SymmetricEigen eig = la.symmetricEigen(g.data, d);
        if (Double.isNaN(eig.values()[0])) {
            return new PahFit(Double.NaN, Double.NaN, new double[0], new double[0]);
        }
        // V holds the eigenvectors as columns; y_k = (Vᵀ H V)_kk = Σ_i V_ik (H V)_ik.
        double[] v = eig.vectors();
        double[] hv = la.multiply(h.data, false, v, false, d, d, d);
        double[] rayleighH = new double[d];
        for (int i = 0; i < d; i++) {
            for (int k = 0; k < d; k++) {
                rayleighH[k] += v[i * d + k] * hv[i * d + k];
            }
        }
        return fitLogLog(eig.values(), rayleighH);
    }

    /** The cut and the least-squares line of log y on log x. */
    public static PahFit fitLogLog(double[] xs, double[] ys) {
        double maxX = Double.NEGATIVE_INFINITY;
        double maxY = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < xs.length; k++) {
            maxX = Math.max(maxX, xs[k]);
            maxY = Math.max(maxY, ys[k]);
        }
        int kept = 0;
        double[] logX = new double[xs.length];
        double[] logY = new double[xs.length];
        for (int k = 0; k < xs.length; k++) {
            // max ≤ 0 means nothing positive: the cut then rejects everything, as it should.
            if (xs[k] > RELATIVE_CUT * maxX && ys[k] > RELATIVE_CUT * maxY && xs[k] > 0 && ys[k] > 0) {
                logX[kept] = Math.log(xs[k]);
                logY[kept] = Math.log(ys[k]);
                kept++;
            }
        }
        logX = java.util.Arrays.copyOf(logX, kept);
        logY = java.util.Arrays.copyOf(logY, kept);
        if (kept < 3) {
            return new PahFit(Double.NaN, Double.NaN, logX, logY);
        }
        double meanX = 0;
        double meanY = 0;
        for (int k = 0; k < kept; k++) {
            meanX += logX[k];
            meanY += logY[k];
        }
        meanX /= kept;
        meanY /= kept;
        double sxx = 0;
        double sxy = 0;
        double syy = 0;
        for (int k = 0; k < kept; k++) {
            double dx = logX[k] - meanX;
            double dy = logY[k] - meanY;
            sxx += dx * dx;
            sxy += dx * dy;
            syy += dy * dy;
        }
        if (sxx == 0) {
            return new PahFit(Double.NaN, Double.NaN, logX, logY);
        }
        double slope = sxy / sxx;
        // R² = 1 − SS_res/SS_tot; SS_res = syy − slope·sxy for the least-squares line. A constant y
        // (SS_tot = 0) is fitted exactly by slope 0: R² = 1.
        double r2 = syy == 0 ? 1.0 : 1.0 - Math.max(syy - slope * sxy, 0.0) / syy;
        return new PahFit(slope, r2, logX, logY);
    }
}
