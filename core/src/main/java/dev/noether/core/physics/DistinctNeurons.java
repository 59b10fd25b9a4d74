package dev.noether.core.physics;

import dev.noether.core.linalg.LinearAlgebra;

/**
 * {@code neurons.distinct} (METRICS.md §4), the permutation-symmetric state of [1], with the pairwise
 * w-cosines as blocked matrix products on the given linear algebra (one syrk's worth of flops, L²n, at BLAS
 * speed): live i, j join (union-find, so transitively) when cos(w_i, w_j) &gt; τ and
 * cos(u_i, u_j) &gt; τ, so a positively scaled copy (c·w_i, c'·u_i) is the same neuron up to the rescaling
 * symmetry; a zero w_i or u_i has no direction and joins nobody. The count of clusters is returned.
 */
public final class DistinctNeurons {
    /** Rows of W_l per product block: a block of cosines takes BLOCK·L doubles. */
    private static final int BLOCK = 256;

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
        for (int a0 = 0; a0 < size; a0 += BLOCK) {
            int rows = Math.min(BLOCK, size - a0);
            int cols = size - a0;
            double[] block = new double[rows * n];
            System.arraycopy(w, a0 * n, block, 0, rows * n);
            double[] rest = new double[cols * n];
            System.arraycopy(w, a0 * n, rest, 0, cols * n);
            double[] cos = la.multiply(block, false, rest, true, rows, cols, n); // cos(w_{a0+i}, w_{a0+j})
            for (int i = 0; i < rows; i++) {
                for (int j = i + 1; j < cols; j++) {
                    if (cos[i * cols + j] > cosThreshold) {
                        int a = a0 + i;
                        int b = a0 + j;
                        int ra = find(parent, a);
                        int rb = find(parent, b);
                        if (ra != rb && dot(u, a, b, ku) > cosThreshold) {
                            parent[Math.max(ra, rb)] = Math.min(ra, rb);
                            clusters--;
                        }
                    }
                }
            }
        }
        return clusters;
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
