package dev.noether.core.physics;

import dev.noether.core.linalg.LinearAlgebra;
import java.util.Arrays;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.NormOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * Spectra of weight and moment matrices and the rank measures built on them (METRICS.md §4:
 * {@code layer.effective.rank}, {@code layer.stable.rank}, {@code representation.effective.rank}).
 *
 * <p>Non-finite input gives arrays of NaN (and NaN measures) rather than exceptions: the
 * non-finite check of the monitor reports the cause, and a NaN gauge shows the effect.
 */
public final class Spectrum {

    /** Above this min(m, n), singular values come from the smaller Gram matrix (see below). */
    static final int DEFAULT_GRAM_THRESHOLD = 1024;

    private static final int LANCZOS_MAX_STEPS = 300;
    private static final int LANCZOS_CHECK_EVERY = 10;
    /** Relative Ritz residual bound at which Lanczos stops (see stableRank). */
    private static final double LANCZOS_TOLERANCE = 1e-12;
    private static final long LANCZOS_START_SEED = 0x5EEDL;

    private Spectrum() {
    }

    /** {@link #singularValues(DMatrixRMaj, int)} with {@link #DEFAULT_GRAM_THRESHOLD}. */
    public static double[] singularValues(DMatrixRMaj w) {
        return singularValues(w, DEFAULT_GRAM_THRESHOLD);
    }

    /**
     * The min(m, n) singular values of W, descending.
     *
     * <p>Up to {@code gramThreshold}: an SVD (values only; LAPACK's dgesdd or EJML), backward stable, every σ to an
     * absolute error of about ε·σ_max (ε ≈ 2.2e-16). Above it: {@link #singularValuesFromGram}.
     */
    public static double[] singularValues(DMatrixRMaj w, int gramThreshold) {
        return singularValues(w, gramThreshold, LinearAlgebra.preferred());
    }

    /** {@link #singularValues(DMatrixRMaj, int)} on the given linear algebra (LAPACK's dgesdd when native). */
    public static double[] singularValues(DMatrixRMaj w, int gramThreshold, LinearAlgebra la) {
        int k = Math.min(w.numRows, w.numCols);
        if (k == 0) {
            return new double[0];
        }
        if (!allFinite(w)) {
            return nans(k);
        }
        if (k > gramThreshold) {
            return singularValuesFromGram(w, la);
        }
        return la.singularValues(w.data, w.numRows, w.numCols);
    }

    /**
     * Singular values of W as σ_k = sqrt(max(λ_k, 0)), λ_k the eigenvalues of the smaller Gram
     * matrix (W Wᵀ when m ≤ n, else WᵀW), descending. Mathematically exact; one symmetric product
     * plus a symmetric eigen solve of size min(m, n), never slower than the SVD. Accuracy:
     * λ_k carries an absolute error of about ε·σ_max², so σ_k has a relative error of about
     * ε·(σ_max/σ_k)² while σ_k ≫ sqrt(ε)·σ_max, and singular values below sqrt(ε)·σ_max
     * (≈ 1.5e-8·σ_max) are not resolved: they come out anywhere in [0, ~1.5e-8·σ_max].
     * Measured single-threaded (EJML 0.46, shared 2-core machine): 1024×4096 3.9 s against 10.8 s
     * for the SVD; 2048×2048 about 8 s for both routes (the saving is in rectangular layers).
     */
    public static double[] singularValuesFromGram(DMatrixRMaj w) {
        return singularValuesFromGram(w, LinearAlgebra.preferred());
    }

    /** {@link #singularValuesFromGram(DMatrixRMaj)} on the given linear algebra. */
    public static double[] singularValuesFromGram(DMatrixRMaj w, LinearAlgebra la) {
        int k = Math.min(w.numRows, w.numCols);
        if (!allFinite(w)) {
            return nans(k);
        }
        double[] lambda = la.symmetricEigenvalues(w.numRows <= w.numCols
                ? la.outerGram(w.data, w.numRows, w.numCols) : la.innerGram(w.data, w.numRows, w.numCols), k);
        double[] sigma = new double[lambda.length];
        for (int i = 0; i < lambda.length; i++) {
            sigma[i] = Math.sqrt(Math.max(lambda[i], 0.0));
        }
        return sigma; // sqrt keeps the descending order
    }

    /**
     * Roy–Vetterli effective rank exp(−Σ p_k ln p_k), p_k = v_k / Σ_j v_j, of singular values or
     * PSD eigenvalues. Zeros are skipped; negative entries (round-off of an eigen solver on a PSD
     * matrix) count as zero.
     *
     * @return 0 for empty or all-zero input, NaN when an entry is NaN or infinite
     */
    public static double effectiveRank(double[] nonNegativeValues) {
        double sum = 0;
        for (double v : nonNegativeValues) {
            if (!Double.isFinite(v)) {
                return Double.NaN;
            }
            sum += Math.max(v, 0.0);
        }
        if (sum == 0) {
            return 0.0;
        }
        double entropy = 0;
        for (double v : nonNegativeValues) {
            if (v > 0) {
                double p = v / sum;
                entropy -= p * Math.log(p);
            }
        }
        return Math.exp(entropy);
    }

    /**
     * Stable rank ‖W‖_F² / σ_max² without a full decomposition: σ_max² is the largest eigenvalue of
     * the smaller Gram matrix G, found by Lanczos iteration with full reorthogonalisation from a
     * fixed Gaussian start, applying G as products with W and Wᵀ (2mn flops per step; G is never
     * formed). It stops when the Ritz residual bound β_k|s_k| (a rigorous bound on the distance from
     * the top Ritz value to an eigenvalue of G) is below 1e-12 of it; Ritz values approach λ_max from
     * below and Lanczos finds the extreme eigenvalues first, so that eigenvalue is λ_max unless the
     * start is almost orthogonal to its eigenvector. Convergence takes a number of steps growing like
     * 1/sqrt(relative gap below λ_max); after 300 steps without it, the exact eigen solver on G
     * decides. Measured on 2048×2048 (shared 2-core machine): 0.9 s for a Gaussian matrix (no
     * dominant direction, the slow case), 0.1 s with one dominant direction; the SVD takes 8 s.
     *
     * @return NaN for a zero matrix or non-finite entries
     */
    public static double stableRank(DMatrixRMaj w) {
        if (!allFinite(w)) {
            return Double.NaN;
        }
        double frobenius2 = 0;
        for (int i = 0; i < w.getNumElements(); i++) {
            frobenius2 += w.data[i] * w.data[i];
        }
        if (frobenius2 == 0) {
            return Double.NaN;
        }
        return frobenius2 / largestGramEigenvalue(w);
    }

    /**
     * Stable rank Σσ²/σ_max² from singular values already at hand (any order): free when the
     * effective rank has just been computed.
     *
     * @return NaN for empty or all-zero input
     */
    public static double stableRank(double[] singularValues) {
        double sum2 = 0;
        double max = 0;
        for (double s : singularValues) {
            sum2 += s * s;
            max = Math.max(max, Math.abs(s));
        }
        return max == 0 ? Double.NaN : sum2 / (max * max);
    }

    /**
     * Eigenvalues of a symmetric matrix, descending (values only: LAPACK's dsyevd or EJML's symmetric QR;
     * absolute error about ε·‖S‖₂). Symmetry is assumed, not checked.
     */
    public static double[] symmetricEigenvalues(DMatrixRMaj s) {
        return symmetricEigenvalues(s, LinearAlgebra.preferred());
    }

    /** {@link #symmetricEigenvalues(DMatrixRMaj)} on the given linear algebra (LAPACK's dsyevd when native). */
    public static double[] symmetricEigenvalues(DMatrixRMaj s, LinearAlgebra la) {
        if (s.numRows != s.numCols) {
            throw new IllegalArgumentException("not square: " + s.numRows + "x" + s.numCols);
        }
        int n = s.numRows;
        if (n == 0) {
            return new double[0];
        }
        if (!allFinite(s)) {
            return nans(n);
        }
        return la.symmetricEigenvalues(s.data, n);
    }

    /**
     * λ_max of the smaller Gram matrix G of a finite, non-zero W by Lanczos with full
     * reorthogonalisation (G is applied as W(Wᵀv) or Wᵀ(Wv) and never formed).
     */
    public static double largestGramEigenvalue(DMatrixRMaj w) {
        boolean outer = w.numRows <= w.numCols; // G = W Wᵀ acting on R^m, else WᵀW on R^n
        int d = outer ? w.numRows : w.numCols;
        int maxSteps = Math.min(d, LANCZOS_MAX_STEPS);
        DMatrixRMaj[] basis = new DMatrixRMaj[maxSteps];
        double[] alpha = new double[maxSteps];
        double[] beta = new double[maxSteps];
        DMatrixRMaj q = new DMatrixRMaj(d, 1);
        Random random = new Random(LANCZOS_START_SEED);
        for (int i = 0; i < d; i++) {
            q.data[i] = random.nextGaussian();
        }
        CommonOps_DDRM.divide(q, Math.sqrt(CommonOps_DDRM.dot(q, q)));
        DMatrixRMaj half = new DMatrixRMaj(outer ? w.numCols : w.numRows, 1);
        for (int j = 0; j < maxSteps; j++) {
            basis[j] = q;
            DMatrixRMaj next = new DMatrixRMaj(d, 1);
            if (outer) {
                CommonOps_DDRM.multTransA(w, q, half);
                CommonOps_DDRM.mult(w, half, next);
            } else {
                CommonOps_DDRM.mult(w, q, half);
                CommonOps_DDRM.multTransA(w, half, next);
            }
            alpha[j] = CommonOps_DDRM.dot(q, next);
            // Full reorthogonalisation, twice ("twice is enough"): keeps the Ritz values clean
            // without the ghost copies of plain Lanczos.
            for (int pass = 0; pass < 2; pass++) {
                for (int i = 0; i <= j; i++) {
                    double overlap = CommonOps_DDRM.dot(basis[i], next);
                    CommonOps_DDRM.addEquals(next, -overlap, basis[i]);
                }
            }
            beta[j] = Math.sqrt(CommonOps_DDRM.dot(next, next));
            boolean last = j == maxSteps - 1;
            if (last || j % LANCZOS_CHECK_EVERY == LANCZOS_CHECK_EVERY - 1 || beta[j] == 0) {
                double[] ritz = topRitzPair(alpha, beta, j + 1);
                double theta = ritz[0];
                double bound = beta[j] * Math.abs(ritz[1]); // |θ − λ| ≤ β_j |s_j| for some λ
                if (bound <= LANCZOS_TOLERANCE * theta || (last && maxSteps == d)) {
                    return theta; // maxSteps == d: the Krylov space is all of R^d, θ is exact
                }
            }
            if (beta[j] == 0) {
                break; // only reached if T could not be decomposed: let the solver decide
            }
            CommonOps_DDRM.divide(next, beta[j]);
            q = next;
        }
        return symmetricEigenvalues(smallerGram(w))[0];
    }

    /** {largest eigenvalue, last component of its unit eigenvector} of the k×k Lanczos matrix. */
    private static double[] topRitzPair(double[] alpha, double[] beta, int k) {
        DMatrixRMaj t = new DMatrixRMaj(k, k);
        for (int i = 0; i < k; i++) {
            t.set(i, i, alpha[i]);
            if (i + 1 < k) {
                t.set(i, i + 1, beta[i]);
                t.set(i + 1, i, beta[i]);
            }
        }
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(k, true, true);
        if (!eig.decompose(t)) {
            return new double[] {Double.NaN, Double.POSITIVE_INFINITY};
        }
        int top = 0;
        for (int i = 1; i < k; i++) {
            if (eig.getEigenvalue(i).real > eig.getEigenvalue(top).real) {
                top = i;
            }
        }
        DMatrixRMaj s = eig.getEigenVector(top);
        return new double[] {eig.getEigenvalue(top).real, s.get(k - 1) / NormOps_DDRM.normF(s)};
    }

    private static DMatrixRMaj smallerGram(DMatrixRMaj w) {
        if (w.numRows <= w.numCols) {
            DMatrixRMaj g = new DMatrixRMaj(w.numRows, w.numRows);
            CommonOps_DDRM.multOuter(w, g);
            return g;
        }
        DMatrixRMaj g = new DMatrixRMaj(w.numCols, w.numCols);
        CommonOps_DDRM.multInner(w, g);
        return g;
    }

    private static void normalize(DMatrixRMaj v) {
        double norm = Math.sqrt(CommonOps_DDRM.dot(v, v));
        CommonOps_DDRM.divide(v, norm);
    }

    public static boolean allFinite(DMatrixRMaj m) {
        for (int i = 0; i < m.getNumElements(); i++) {
            if (!Double.isFinite(m.data[i])) {
                return false;
            }
        }
        return true;
    }

    private static double[] nans(int k) {
        double[] values = new double[k];
        Arrays.fill(values, Double.NaN);
        return values;
    }
}
