package dev.noether.core.physics;

/**
 * How far one update breaks the double-rotation identity of a rotation pair (METRICS.md §11): for plain SGD and
 * momentum with coupled L2 (momentum starting at 0) Skew(ΔW_l W_lᵀ − W_{l+1}ᵀ ΔW_{l+1}) = 0 exactly, because the
 * symmetry makes G_l W_lᵀ − W_{l+1}ᵀ G_{l+1} symmetric and every update is a combination of such terms. The
 * violation is ‖Skew(A − B)‖_F / (‖A‖_F + ‖B‖_F) with A = ΔW_l W_lᵀ and B = W_{l+1}ᵀ ΔW_{l+1} (m × m), W at step
 * t and Δ = W(t+1) − W(t): float round-off under SGD and momentum, clearly above 0 under Adam, whose
 * per-coordinate preconditioner does not commute with rotations. O(m²(n + k)) in double on the heap.
 */
public final class RotationViolation {
    /** Pairs costing more multiply-adds than this are not computed (absent), to bound the step thread's time. */
    public static final long MAX_WORK = 1L << 26;

    private RotationViolation() {}

    /** True when the violation of an m × n layer followed by a k × m one is within {@link #MAX_WORK}. */
    public static boolean affordable(int m, int n, int k) {
        return (long) m * m * ((long) n + k) <= MAX_WORK;
    }

    /**
     * @param first      W_l(t), row-major m × n
     * @param firstNext  W_l(t+1)
     * @param second     W_{l+1}(t), row-major k × m
     * @param secondNext W_{l+1}(t+1)
     * @return the violation in [0, 1], NaN when both A and B are 0 (no update)
     */
    public static double of(float[] first, float[] firstNext, float[] second, float[] secondNext, int m, int n, int k) {
        if (first.length != m * n || firstNext.length != m * n || second.length != k * m || secondNext.length != k * m) {
            throw new IllegalArgumentException("shapes do not fit " + m + "x" + n + " and " + k + "x" + m);
        }
        double[] dFirst = new double[m * n];
        for (int x = 0; x < dFirst.length; x++) {
            dFirst[x] = (double) firstNext[x] - first[x];
        }
        double[] dSecond = new double[k * m];
        for (int x = 0; x < dSecond.length; x++) {
            dSecond[x] = (double) secondNext[x] - second[x];
        }
        double[] a = new double[m * m]; // A_ij = Σ_c ΔW_l[i,c] W_l[j,c]
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
                double s = 0;
                for (int c = 0; c < n; c++) {
                    s += dFirst[i * n + c] * first[j * n + c];
                }
                a[i * m + j] = s;
            }
        }
        double[] b = new double[m * m]; // B_ij = Σ_r W_{l+1}[r,i] ΔW_{l+1}[r,j]
        for (int r = 0; r < k; r++) {
            int row = r * m;
            for (int i = 0; i < m; i++) {
                double w = second[row + i];
                if (w == 0) {
                    continue;
                }
                for (int j = 0; j < m; j++) {
                    b[i * m + j] += w * dSecond[row + j];
                }
            }
        }
        double skew = 0;
        double normA = 0;
        double normB = 0;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
                double x = a[i * m + j] - b[i * m + j];
                double xt = a[j * m + i] - b[j * m + i];
                double sk = (x - xt) / 2;
                skew += sk * sk;
                normA += a[i * m + j] * a[i * m + j];
                normB += b[i * m + j] * b[i * m + j];
            }
        }
        double den = Math.sqrt(normA) + Math.sqrt(normB);
        return den > 0 ? Math.sqrt(skew) / den : Double.NaN;
    }
}
