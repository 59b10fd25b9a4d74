package dev.noether.core.physics;

import dev.noether.core.linalg.LinearAlgebra;
import dev.noether.core.linalg.ResidentMatrix;
import dev.noether.core.linalg.SymmetricEigen;
import java.util.Arrays;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;

/**
 * {@code layer.effective.rank} and {@code layer.stable.rank} (METRICS.md §4) of a W too large for its singular
 * values (METRICS.md §6, "Large layers"), by stochastic Lanczos quadrature (Ubaru, Chen &amp; Saad 2017, "Fast
 * estimation of tr f(A) via stochastic Lanczos quadrature") on the smaller Gram matrix Z (W Wᵀ when m ≤ n, else
 * WᵀW, order d = min(m, n)), applied as two products with W and never formed. Immutable.
 *
 * <p>The Roy–Vetterli entropy of the normalized singular values is H = ln S₁ − S₂/S₁ with S₁ = Σσ = tr Z^{1/2}
 * and S₂ = Σσ ln σ = tr(Z^{1/2} ln Z^{1/2}). For each of p Rademacher vectors v, ℓ Lanczos steps on Z from v
 * give a Gauss rule (nodes θ, weights τ²) with vᵀf(Z)v ≈ ‖v‖² Σ τ² f(θ); for f(λ) = λ the rule is exact
 * (vᵀZv). The traces are ratio estimates against the exactly known tr Z = ‖W‖_F²: Ŝᵢ = ‖W‖_F² Σ_v vᵀfᵢ(Z)v /
 * Σ_v vᵀZv, so that Ĥ = ln ‖W‖_F² + ln(Q₁/Q₀) − Q₂/Q₁ (Q the sums over v). The ratio removes the scale of
 * each v from the estimate: it is exact whatever v when the non-zero singular values are equal (rank 1
 * included), where plain Hutchinson estimates of S₁ would be off by their relative spread.
 *
 * <p>Error stated ({@link #logBound()}, estimated a posteriori, not rigorous): |ln erank − ln êrank| = |H − Ĥ|
 * ≤ 3 s + |Ĥ_ℓ − Ĥ_⌈ℓ/2⌉|, with s the jackknife standard error of Ĥ over the p vectors (the sampling error; three
 * standard errors, about 99.7 % under a normal approximation) and the second term the change from the Gauss rule
 * of half the steps (the quadrature error, over-estimated while it at least halves when the steps double; zero
 * for a vector whose Krylov space closed before ℓ steps, as for W of rank &lt; ℓ, where the rule is exact).
 *
 * <p>σ_max² is the largest Ritz value over the p runs, which lies below λ_max(Z), so {@link #stableRank()} is at
 * least the true stable rank. Cost: 2ℓ products of W with a d×p block (4mnpℓ flops) plus O(ℓ²dp) for the
 * reorthogonalisation, against O(d² max(m, n)) for the singular values.
 */
public final class RankQuadrature {
    /** Rademacher vectors p. */
    public static final int DEFAULT_PROBES = 16;
    /** Lanczos steps ℓ per vector. */
    public static final int DEFAULT_STEPS = 24;
    /** Standard errors in the stated bound. */
    private static final double STANDARD_ERRORS = 3;
    /** A Lanczos residual below this fraction of tr Z: the Krylov space is invariant, the rule exact. */
    private static final double BREAKDOWN = 1e-12;

    private final double effectiveRank;
    private final double logBound;
    private final double spectralNorm2;
    private final double frobenius2;

    private RankQuadrature(double effectiveRank, double logBound, double spectralNorm2, double frobenius2) {
        this.effectiveRank = effectiveRank;
        this.logBound = logBound;
        this.spectralNorm2 = spectralNorm2;
        this.frobenius2 = frobenius2;
    }

    /** With {@link #DEFAULT_PROBES} vectors of {@link #DEFAULT_STEPS} steps. */
    public static RankQuadrature of(DMatrixRMaj w, long seed, LinearAlgebra la) {
        return of(w, DEFAULT_PROBES, DEFAULT_STEPS, seed, la);
    }

    /** The estimates from {@code probes} seeded Rademacher vectors, {@code steps} Lanczos steps each (at most d). */
    public static RankQuadrature of(DMatrixRMaj w, int probes, int steps, long seed, LinearAlgebra la) {
        int m = w.numRows;
        int n = w.numCols;
        int d = Math.min(m, n);
        if (d == 0) {
            return new RankQuadrature(0, 0, 0, 0);
        }
        double f2 = 0;
        for (double x : w.data) {
            f2 += x * x;
        }
        if (!Double.isFinite(f2)) {
            return new RankQuadrature(Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }
        if (f2 == 0) {
            return new RankQuadrature(0, 0, 0, 0);
        }
        int p = probes;
        int s = Math.min(steps, d);
        boolean outer = m <= n;
        double[][] basis = new double[s][];
        double[][] alpha = new double[p][s];
        double[][] beta = new double[p][s];
        int[] length = new int[p];
        Arrays.fill(length, s);
        boolean[] closed = new boolean[p];
        Random random = new Random(seed ^ ((long) d << 32));
        double[] q = new double[d * p];
        double unit = 1 / Math.sqrt(d);
        for (int i = 0; i < q.length; i++) {
            q[i] = random.nextBoolean() ? unit : -unit;
        }
        double[] overlap = new double[p];
        try (ResidentMatrix resident = la.resident(w.data, m, n)) { // 2ℓ products with one W: place it once
            for (int j = 0; j < s; j++) {
                basis[j] = q;
                double[] z = outer // Z q, as W(Wᵀq) or Wᵀ(Wq)
                        ? resident.times(resident.transposeTimes(q, p), p)
                        : resident.transposeTimes(resident.times(q, p), p);
                columnDots(q, z, d, p, overlap);
                for (int c = 0; c < p; c++) {
                    alpha[c][j] = overlap[c];
                }
                // full reorthogonalisation of every column against its own basis, twice ("twice is enough")
                for (int pass = 0; pass < 2; pass++) {
                    for (int i = 0; i <= j; i++) {
                        columnDots(basis[i], z, d, p, overlap);
                        for (int r = 0; r < d; r++) {
                            for (int c = 0; c < p; c++) {
                                z[r * p + c] -= overlap[c] * basis[i][r * p + c];
                            }
                        }
                    }
                }
                columnDots(z, z, d, p, overlap);
                for (int c = 0; c < p; c++) {
                    double b = Math.sqrt(overlap[c]);
                    if (!closed[c] && j + 1 < s && b <= BREAKDOWN * f2) {
                        closed[c] = true;
                        length[c] = j + 1;
                    }
                    beta[c][j] = b;
                    double scale = closed[c] ? 0 : 1 / b;
                    for (int r = 0; r < d; r++) {
                        z[r * p + c] *= scale;
                    }
                }
                q = z;
            }
        }
        double[][] full = new double[3][p];
        double[][] half = new double[3][p];
        double top = 0;
        for (int c = 0; c < p; c++) {
            top = Math.max(top, gauss(alpha[c], beta[c], length[c], full, c, la));
            int shorter = closed[c] ? length[c] : (length[c] + 1) / 2;
            gauss(alpha[c], beta[c], shorter, half, c, la);
        }
        double h = entropy(f2, full, -1);
        double jackknifeMean = 0;
        double[] leaveOut = new double[p];
        for (int c = 0; c < p; c++) {
            leaveOut[c] = entropy(f2, full, c);
            jackknifeMean += leaveOut[c] / p;
        }
        double variance = 0;
        for (int c = 0; c < p; c++) {
            variance += (leaveOut[c] - jackknifeMean) * (leaveOut[c] - jackknifeMean);
        }
        double standardError = p > 1 ? Math.sqrt(variance * (p - 1) / p) : Double.POSITIVE_INFINITY;
        double bound = STANDARD_ERRORS * standardError + Math.abs(h - entropy(f2, half, -1));
        return new RankQuadrature(Math.exp(h), bound, top, f2);
    }

    /** Roy–Vetterli effective rank exp(Ĥ) of the singular values of W. */
    public double effectiveRank() {
        return effectiveRank;
    }

    /** The stated (estimated) bound on |ln erank − ln êrank|, see the class comment. */
    public double logBound() {
        return logBound;
    }

    /** The largest Ritz value: ≤ σ_max(W)², close to it. */
    public double spectralNorm2() {
        return spectralNorm2;
    }

    /** ‖W‖_F² / {@link #spectralNorm2()}, at least the stable rank; NaN for a zero W. */
    public double stableRank() {
        return spectralNorm2 > 0 ? frobenius2 / spectralNorm2 : Double.NaN;
    }

    /**
     * The Gauss rule of the first {@code k} Lanczos steps of column c: adds Σ τ² f(θ) for f = λ, √λ, √λ ln √λ to
     * sums[0..2][c]; returns the largest node.
     */
    private static double gauss(double[] alpha, double[] beta, int k, double[][] sums, int c, LinearAlgebra la) {
        double[] t = new double[k * k];
        for (int i = 0; i < k; i++) {
            t[i * k + i] = alpha[i];
            if (i + 1 < k) {
                t[i * k + i + 1] = beta[i];
                t[(i + 1) * k + i] = beta[i];
            }
        }
        SymmetricEigen e = la.symmetricEigen(t, k);
        for (int i = 0; i < k; i++) {
            double theta = Math.max(e.values()[i], 0);
            double tau2 = e.vectors()[i] * e.vectors()[i]; // first component of the i-th eigenvector
            double sigma = Math.sqrt(theta);
            sums[0][c] += tau2 * theta;
            sums[1][c] += tau2 * sigma;
            sums[2][c] += sigma > 0 ? tau2 * sigma * Math.log(sigma) : 0;
        }
        return Math.max(e.values()[0], 0);
    }

    /** Ĥ = ln ‖W‖_F² + ln(Q₁/Q₀) − Q₂/Q₁ from the per-vector sums, leaving out column {@code skip} (or none). */
    private static double entropy(double f2, double[][] sums, int skip) {
        double q0 = 0;
        double q1 = 0;
        double q2 = 0;
        for (int c = 0; c < sums[0].length; c++) {
            if (c != skip) {
                q0 += sums[0][c];
                q1 += sums[1][c];
                q2 += sums[2][c];
            }
        }
        return Math.log(f2) + Math.log(q1 / q0) - q2 / q1;
    }

    /** out[c] = Σ_r x[r, c] y[r, c] for the d×p row-major blocks x and y. */
    private static void columnDots(double[] x, double[] y, int d, int p, double[] out) {
        Arrays.fill(out, 0);
        for (int r = 0; r < d; r++) {
            for (int c = 0; c < p; c++) {
                out[c] += x[r * p + c] * y[r * p + c];
            }
        }
    }
}
