package dev.noether.core.physics;

import dev.noether.core.linalg.LinearAlgebra;
import java.util.Arrays;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.QRDecomposition;

/**
 * {@code neurons.distinct} (METRICS.md §4), the permutation-symmetric state of [1], with the pairwise
 * w-cosines as blocked matrix products on the given linear algebra (one syrk's worth of flops, L²n, at BLAS
 * speed): live i, j join (union-find, so transitively) when cos(w_i, w_j) &gt; τ and
 * cos(u_i, u_j) &gt; τ, so a positively scaled copy (c·w_i, c'·u_i) is the same neuron up to the rescaling
 * symmetry; a zero w_i or u_i has no direction and joins nobody. The count of clusters is returned.
 *
 * <p>Wide inputs (n &gt; {@value #SCREEN_MIN_INPUTS}) are screened first, exactly: for unit rows,
 * cos(w_i, w_j) &gt; τ ⇔ ‖w_i − w_j‖² &lt; 2(1 − τ), and an orthonormal projection P (n×{@value #SCREEN_DIMENSION},
 * the Q of a seeded Gaussian) never lengthens a difference, ‖Pᵀ(w_i − w_j)‖ ≤ ‖w_i − w_j‖. So the pairs whose
 * projections are farther apart than √(2(1 − τ)) cannot join, and only the rest get their n-long cosine. The
 * screen costs mnK + m²K/2 against m²n/2 for all cosines, and the count is the exact one. A product block where
 * more than one pair in {@value #DENSE_BLOCK_FRACTION} (and more than {@value #BLOCK} pairs) passes the screen,
 * as when neurons are close to collapsing, takes all its cosines as one product instead.
 */
public final class DistinctNeurons {
    /** Rows of W_l per product block: a block of cosines takes BLOCK·L doubles. */
    static final int BLOCK = 256;
    /** Dimension K of the screen's projection. */
    static final int SCREEN_DIMENSION = 128;
    /** The screen pays from n = 4K: mnK + m²K/2 is then at most half of m²n/2 for m ≤ n. */
    static final int SCREEN_MIN_INPUTS = 4 * SCREEN_DIMENSION;
    /** One pair in this many passing the screen: the block's cosines as one product are cheaper. */
    static final int DENSE_BLOCK_FRACTION = 8;
    /** Round-off allowance of the screen on unit rows (its distances are off by ~1e-15). */
    private static final double SCREEN_SLACK = 1e-9;
    private static final long SCREEN_SEED = 0x5eed_d157_17c7L;

    private DistinctNeurons() {
    }

    /**
     * @param wl   W_l, m×n row-major (rows w_i)
     * @param wNext W_{l+1}, k×m row-major (columns u_i)
     * @param dead  mask from {@link NeuronCensus#deadMask} (length m), or null for "all live"
     */
    public static int count(float[] wl, int m, int n, float[] wNext, int k, boolean[] dead, double cosThreshold,
                            LinearAlgebra la) {
        return count(wl, m, n, wNext, k, 1, dead, cosThreshold, la);
    }

    /**
     * {@link #count(float[], int, int, float[], int, boolean[], double, LinearAlgebra)} with u_i the {@code g}
     * contiguous columns of channel i in the k×(m·g) matrix {@code wNext} (a {@code ChannelGrouping}).
     */
    public static int count(float[] wl, int m, int n, float[] wNext, int k, int g, boolean[] dead,
                            double cosThreshold, LinearAlgebra la) {
        return count(wl, m, n, wNext, k, g, dead, cosThreshold, la, n > SCREEN_MIN_INPUTS);
    }

    /** With the projection screen on or off (package-private so tests can compare the two). */
    static int count(float[] wl, int m, int n, float[] wNext, int k, int g, boolean[] dead, double cosThreshold,
                     LinearAlgebra la, boolean screen) {
        if (wl.length != (long) m * n || wNext.length != (long) k * m * g) {
            throw new IllegalArgumentException("expected W_l of " + m + "×" + n + " and W_{l+1} of " + k + "×" + m * g);
        }
        if (dead != null && dead.length != m) {
            throw new IllegalArgumentException("dead mask length " + dead.length + " != m = " + m);
        }
        int[] live = new int[m];
        int size = 0;
        for (int i = 0; i < m; i++) {
            if (dead == null || !dead[i]) {
                live[size++] = i;
            }
        }
        double[] w = new double[size * n];
        int ku = k * g; // length of one u_i
        double[] u = new double[size * ku];
        for (int a = 0; a < size; a++) {
            int i = live[a];
            for (int j = 0; j < n; j++) {
                w[a * n + j] = wl[i * n + j];
            }
            for (int r = 0; r < k; r++) {
                for (int p = 0; p < g; p++) {
                    u[a * ku + r * g + p] = wNext[r * m * g + i * g + p];
                }
            }
        }
        normalizeRows(w, size, n);
        normalizeRows(u, size, ku);
        int[] parent = new int[size];
        for (int a = 0; a < size; a++) {
            parent[a] = a;
        }
        int clusters = size;
        double[] projected = screen ? la.multiply(w, false, projection(n), false, size, SCREEN_DIMENSION, n) : null;
        double[] projectedNorm2 = screen ? rowNorms2(projected, size, SCREEN_DIMENSION) : null;
        double reach2 = 2 * (1 - cosThreshold) + SCREEN_SLACK; // ‖w_i − w_j‖² below it ⇔ cos above τ
        for (int a0 = 0; a0 < size; a0 += BLOCK) {
            int rows = Math.min(BLOCK, size - a0);
            int cols = size - a0;
            boolean[] near = null;
            double[] cos = null;
            if (screen) {
                near = screen(projected, projectedNorm2, a0, rows, cols, reach2, la);
                int passed = 0;
                for (boolean b : near) {
                    passed += b ? 1 : 0;
                }
                if (passed > Math.max(BLOCK, (long) rows * cols / DENSE_BLOCK_FRACTION)) {
                    near = null; // close to collapse: all cosines of the block at once
                }
            }
            if (near == null) {
                cos = la.multiply(Arrays.copyOfRange(w, a0 * n, (a0 + rows) * n), false,
                        Arrays.copyOfRange(w, a0 * n, size * n), true, rows, cols, n); // cos(w_{a0+i}, w_{a0+j})
            }
            for (int i = 0; i < rows; i++) {
                for (int j = i + 1; j < cols; j++) {
                    if (near != null ? !near[i * cols + j] : cos[i * cols + j] <= cosThreshold) {
                        continue;
                    }
                    int a = a0 + i;
                    int b = a0 + j;
                    int ra = find(parent, a);
                    int rb = find(parent, b);
                    if (ra != rb && (near == null || dot(w, a, b, n) > cosThreshold) && dot(u, a, b, ku) > cosThreshold) {
                        parent[Math.max(ra, rb)] = Math.min(ra, rb);
                        clusters--;
                    }
                }
            }
        }
        return clusters;
    }

    /**
     * Which pairs (a0 + i, a0 + j) of the block may have cosine above τ: those whose projections lie within
     * reach, ‖y_a‖² + ‖y_b‖² − 2 y_a·y_b &lt; reach².
     */
    private static boolean[] screen(double[] y, double[] norm2, int a0, int rows, int cols, double reach2,
                                    LinearAlgebra la) {
        int kk = SCREEN_DIMENSION;
        double[] dots = la.multiply(Arrays.copyOfRange(y, a0 * kk, (a0 + rows) * kk), false,
                Arrays.copyOfRange(y, a0 * kk, y.length), true, rows, cols, kk);
        boolean[] near = new boolean[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int j = i + 1; j < cols; j++) {
                near[i * cols + j] = norm2[a0 + i] + norm2[a0 + j] - 2 * dots[i * cols + j] < reach2;
            }
        }
        return near;
    }

    /** n×K with orthonormal columns: the thin Q of a seeded Gaussian matrix (any orthonormal P would do). */
    static double[] projection(int n) {
        Random random = new Random(SCREEN_SEED ^ n);
        DMatrixRMaj gaussian = new DMatrixRMaj(n, SCREEN_DIMENSION);
        for (int i = 0; i < gaussian.data.length; i++) {
            gaussian.data[i] = random.nextGaussian();
        }
        QRDecomposition<DMatrixRMaj> qr = DecompositionFactory_DDRM.qr(n, SCREEN_DIMENSION);
        if (!qr.decompose(gaussian)) {
            throw new IllegalStateException("QR of a Gaussian " + n + "×" + SCREEN_DIMENSION + " failed");
        }
        return qr.getQ(null, true).data;
    }

    private static double[] rowNorms2(double[] x, int rows, int cols) {
        double[] out = new double[rows];
        for (int a = 0; a < rows; a++) {
            out[a] = dot(x, a, a, cols);
        }
        return out;
    }

    private static int find(int[] parent, int a) {
        int root = a;
        while (parent[root] != root) {
            root = parent[root];
        }
        while (parent[a] != root) {
            int next = parent[a];
            parent[a] = root;
            a = next;
        }
        return root;
    }

    private static void normalizeRows(double[] x, int rows, int cols) {
        for (int a = 0; a < rows; a++) {
            double s = 0;
            for (int j = 0; j < cols; j++) {
                s += x[a * cols + j] * x[a * cols + j];
            }
            double inv = s > 0 ? 1.0 / Math.sqrt(s) : 0.0; // a zero row stays zero: cos 0 with everyone
            for (int j = 0; j < cols; j++) {
                x[a * cols + j] *= inv;
            }
        }
    }

    private static double dot(double[] x, int a, int b, int len) {
        double s = 0;
        for (int j = 0; j < len; j++) {
            s += x[a * len + j] * x[b * len + j];
        }
        return s;
    }
}
