package dev.noether.core.physics;

import dev.noether.core.linalg.LinearAlgebra;
import dev.noether.core.linalg.SymmetricEigen;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;

/**
 * A rank-r approximation Ŝ = U diag(λ) Uᵀ of a d×d positive semidefinite matrix S from a randomized
 * Nyström sketch (Tropp, Yurtsever, Udell &amp; Cevher 2017, "Fixed-rank approximation of a positive-semidefinite
 * matrix from streaming data", Algorithm 3, with the shift ν = ε·sqrt(d)·‖SΩ‖_F for stability), together
 * with the trace it misses, δ = tr S − tr Ŝ. Immutable.
 *
 * <p>Why δ bounds the error: the Nyström approximation satisfies Ŝ ⪯ S (to round-off), so S − Ŝ is PSD and
 * ‖S − Ŝ‖_F ≤ ‖S − Ŝ‖_* = tr(S − Ŝ) = δ, and λ_j(Ŝ) ≤ λ_j(S) for every j. δ is computed from the exact
 * trace of S, so the bound is a posteriori and rigorous; it is zero (to round-off) when rank S ≤ r, as for
 * probe moments of fewer samples than the sketch size. An S that is PSD only to rounding (float32 moments:
 * eigenvalues down to about −1e-7·‖S‖) carries the bound to that rounding. In expectation over the Gaussian test matrix Ω of k
 * columns, δ ≤ (1 + j/(k − j − 1))·Σ_{i&gt;j} λ_i(S) for every j &lt; k − 1 (ibid., Theorem 4.1).
 *
 * <p>Cost: one product S·Ω (d²k, or two with W for a Gram matrix), then O(dk²).
 */
public final class PsdSketch {
    private static final double EPS = 0x1p-52;
    /**
     * Eigen-directions of the small Gram matrices below this fraction of the largest are dropped: their
     * vectors, scaled by μ^{-1/2}, would carry an orthogonality error of about ε/fraction. The mass dropped is
     * counted in the missed trace.
     */
    private static final double RELATIVE_CUT = 1e-9;

    private final int d;
    private final int rank;
    private final double[] basis; // d×rank, orthonormal columns
    private final double[] values; // rank, descending, ≥ 0
    private final double missedTrace;

    private PsdSketch(int d, double[] basis, double[] values, double missedTrace) {
        this.d = d;
        this.rank = values.length;
        this.basis = basis;
        this.values = values;
        this.missedTrace = missedTrace;
    }

    /** S·Ω for a d×k row-major block Ω (S given implicitly). */
    @FunctionalInterface
    public interface Operator {
        double[] times(double[] omega, int k);
    }

    /** Sketch of a dense symmetric PSD matrix with k test vectors (k ≥ d gives the exact eigen-decomposition). */
    public static PsdSketch of(DMatrixRMaj s, int k, long seed, LinearAlgebra la) {
        int d = s.numRows;
        double trace = 0;
        for (int i = 0; i < d; i++) {
            trace += s.unsafe_get(i, i);
        }
        return nystrom((omega, cols) -> la.multiply(s.data, false, omega, false, d, Math.min(k, d), d), d, trace,
                k, seed, la);
    }

    /** Sketch of Z_a = WᵀW (n×n), applied as Wᵀ(WΩ); tr Z_a = ‖W‖_F² is exact. */
    public static PsdSketch ofInnerGram(DMatrixRMaj w, int k, long seed, LinearAlgebra la) {
        int m = w.numRows;
        int n = w.numCols;
        int kk = Math.min(k, n);
        return nystrom((omega, cols) -> la.multiply(w.data, true, la.multiply(w.data, false, omega, false, m, kk, n), false,
                n, kk, m), n, frobenius2(w.data), k, seed, la);
    }

    /** Sketch of Z_b = WWᵀ (m×m), applied as W(WᵀΩ); tr Z_b = ‖W‖_F² is exact. */
    public static PsdSketch ofOuterGram(DMatrixRMaj w, int k, long seed, LinearAlgebra la) {
        int m = w.numRows;
        int n = w.numCols;
        int kk = Math.min(k, m);
        return nystrom((omega, cols) -> la.multiply(w.data, false, la.multiply(w.data, true, omega, false, n, kk, m), false,
                m, kk, n), m, frobenius2(w.data), k, seed, la);
    }

    /**
     * Nyström sketch of the operator with k Gaussian test vectors (seeded).
     *
     * @param trace tr S, exact (or an upper bound, which makes {@link #missedTrace()} an upper bound too)
     */
    public static PsdSketch nystrom(Operator s, int d, double trace, int k, long seed, LinearAlgebra la) {
        int kk = Math.min(k, d);
        double[] omega = new double[d * kk];
        Random random = new Random(seed ^ ((long) d << 32));
        for (int i = 0; i < omega.length; i++) {
            omega[i] = random.nextGaussian();
        }
        double[] y = s.times(omega, kk);
        double nu = EPS * Math.sqrt(d) * Math.sqrt(frobenius2(y));
        for (int i = 0; i < y.length; i++) {
            y[i] += nu * omega[i]; // Y_ν = (S + νI)Ω
        }
        double[] b = la.multiply(omega, true, y, false, kk, kk, d); // Ωᵀ Y_ν
        symmetrize(b, kk);
        // F = Y_ν B^{-1/2} on B's numerically positive eigen-directions, so that Ŝ_ν = F Fᵀ = Y_ν B⁺ Y_νᵀ
        SymmetricEigen eb = la.symmetricEigen(b, kk);
        double[] f = scaledColumns(la.multiply(y, false, eb.vectors(), false, d, kk, kk), d, kk, eb.values(),
                -0.5, RELATIVE_CUT * Math.max(eb.values()[0], 0));
        int r = f.length / Math.max(d, 1);
        // eigen-decomposition of F Fᵀ from the small FᵀF = P diag(μ) Pᵀ: U = F P diag(μ^{-1/2})
        double[] ftf = la.multiply(f, true, f, false, r, r, d);
        symmetrize(ftf, r);
        SymmetricEigen ef = la.symmetricEigen(ftf, r);
        double[] mu = ef.values();
        double[] u = scaledColumns(la.multiply(f, false, ef.vectors(), false, d, r, r), d, r, mu, -0.5,
                RELATIVE_CUT * Math.max(r > 0 ? mu[0] : 0, 0));
        int rank = u.length / Math.max(d, 1);
        double[] lambda = new double[rank];
        double captured = 0;
        for (int j = 0; j < rank; j++) {
            lambda[j] = Math.max(mu[j] - nu, 0); // remove the shift
            captured += lambda[j];
        }
        return new PsdSketch(d, u, lambda, Math.max(trace - captured, 0));
    }

    /**
     * Sketch of Wᵀ S W (n×n) from this sketch of S (m×m, W m×n): Wᵀ Ŝ W, whose missed trace
     * tr(Wᵀ(S − Ŝ)W) ≤ ‖W‖₂²·δ (plus the mass of directions dropped as numerically null);
     * {@code spectralNorm2} is ‖W‖₂² = σ_max(W)² (or an upper bound).
     */
    public PsdSketch congruence(DMatrixRMaj w, double spectralNorm2, LinearAlgebra la) {
        if (w.numRows != d) {
            throw new IllegalArgumentException("W must have " + d + " rows, got " + w.numRows);
        }
        int n = w.numCols;
        // P = Wᵀ U diag(sqrt λ) (n×r): Wᵀ Ŝ W = P Pᵀ; orthonormalise through the eigen-decomposition of PᵀP
        double[] p = scaledColumns(la.multiply(w.data, true, basis, false, n, rank, d), n, rank, values, 0.5, -1);
        double[] ptp = la.multiply(p, true, p, false, rank, rank, n);
        symmetrize(ptp, rank);
        SymmetricEigen e = la.symmetricEigen(ptp, rank);
        double[] mu = e.values();
        double[] u = scaledColumns(la.multiply(p, false, e.vectors(), false, n, rank, rank), n, rank, mu, -0.5,
                RELATIVE_CUT * Math.max(rank > 0 ? mu[0] : 0, 0));
        int r = u.length / Math.max(n, 1);
        double[] lambda = new double[r];
        System.arraycopy(mu, 0, lambda, 0, r);
        double dropped = 0;
        for (int j = r; j < rank; j++) {
            dropped += Math.max(mu[j], 0);
        }
        return new PsdSketch(n, u, lambda, spectralNorm2 * missedTrace + dropped);
    }

    /** The order d of S. */
    public int size() {
        return d;
    }

    /** Number of kept eigen-directions r. */
    public int rank() {
        return rank;
    }

    /** λ of Ŝ, descending (a copy); λ_j(Ŝ) ≤ λ_j(S). */
    public double[] values() {
        return values.clone();
    }

    /** δ = tr S − tr Ŝ ≥ ‖S − Ŝ‖_F: the rigorous a-posteriori error bound. */
    public double missedTrace() {
        return missedTrace;
    }

    /** tr Ŝ. */
    public double trace() {
        double t = 0;
        for (double v : values) {
            t += v;
        }
        return t;
    }

    /** ‖Ŝ‖_F² = Σλ². */
    public double frobenius2() {
        double f = 0;
        for (double v : values) {
            f += v * v;
        }
        return f;
    }

    /** 1ᵀŜ1, the sum of the entries of Ŝ. */
    public double entrySum() {
        double s = 0;
        for (int j = 0; j < rank; j++) {
            double c = 0;
            for (int i = 0; i < d; i++) {
                c += basis[i * rank + j];
            }
            s += values[j] * c * c;
        }
        return s;
    }

    /** ⟨Ŝ, T̂⟩_F = Σ_ab λ_a μ_b (u_aᵀ v_b)². */
    public double inner(PsdSketch other, LinearAlgebra la) {
        double[] m = overlaps(other, la);
        double sum = 0;
        for (int a = 0; a < rank; a++) {
            for (int b = 0; b < other.rank; b++) {
                double x = m[a * other.rank + b];
                sum += values[a] * other.values[b] * x * x;
            }
        }
        return sum;
    }

    /** u_kᵀ Ĥ u_k for each of this sketch's eigenvectors u_k: H's quadratic forms in this eigenbasis. */
    public double[] quadraticForms(PsdSketch h, LinearAlgebra la) {
        double[] m = overlaps(h, la);
        double[] y = new double[rank];
        for (int a = 0; a < rank; a++) {
            for (int b = 0; b < h.rank; b++) {
                double x = m[a * h.rank + b];
                y[a] += h.values[b] * x * x;
            }
        }
        return y;
    }

    /** Uᵀ V (r × s). */
    private double[] overlaps(PsdSketch other, LinearAlgebra la) {
        if (other.d != d) {
            throw new IllegalArgumentException("sketches of " + d + " and " + other.d + " dimensions");
        }
        return la.multiply(basis, true, other.basis, false, rank, other.rank, d);
    }

    /**
     * Columns j of the rows×cols matrix x with s_j &gt; cut, each scaled by s_j^power, in order (a negative cut
     * keeps all); the columns of the input are sorted by descending s, so the kept ones come first.
     */
    private static double[] scaledColumns(double[] x, int rows, int cols, double[] s, double power, double cut) {
        int kept = 0;
        while (kept < cols && (cut < 0 || s[kept] > cut) && s[kept] > 0) {
            kept++;
        }
        double[] out = new double[rows * kept];
        for (int j = 0; j < kept; j++) {
            double scale = Math.pow(s[j], power);
            for (int i = 0; i < rows; i++) {
                out[i * kept + j] = x[i * cols + j] * scale;
            }
        }
        return out;
    }

    private static void symmetrize(double[] a, int n) {
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                double v = 0.5 * (a[i * n + j] + a[j * n + i]);
                a[i * n + j] = v;
                a[j * n + i] = v;
            }
        }
    }

    private static double frobenius2(double[] a) {
        double s = 0;
        for (double v : a) {
            s += v * v;
        }
        return s;
    }
}
