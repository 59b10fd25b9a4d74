package dev.noether.core.physics;

import java.util.Arrays;

/**
 * Neuron census on the weights of one hidden layer (METRICS.md §4): how many neurons sit in the
 * rescaling-symmetric state u = w = 0 ({@code neurons.dead}) and how many distinct neurons remain once
 * permutation-symmetric copies are merged ({@code neurons.distinct}).
 *
 * <p>Layout: {@code wl} is W_l, row-major {@code float[m*n]} (m outputs × n inputs), so neuron i's incoming
 * weights are w_i = row i. {@code wNext} is W_{l+1}, row-major {@code float[k*m]} (k × m), so neuron i's
 * outgoing weights are u_i = column i. For the last hidden layer W_{l+1} is the output layer. With a channel
 * grouping of g columns per neuron (a convolution, METRICS.md §10) W_{l+1} is k×(m·g) and u_i is the columns
 * i·g … i·g+g−1, read as one vector of k·g weights.
 *
 * <p>Pure functions, no state.
 */
public final class NeuronCensus {

    static final double DEFAULT_ABS_TOL = 1e-6;
    static final double DEFAULT_REL_TOL = 1e-3;
    static final double DEFAULT_COS_THRESHOLD = 0.99;

    /** Bytes of rows one tile of {@link #distinct} keeps hot in cache (two tiles ≈ half an L2). */
    private static final int TILE_BYTES = 256 * 1024;

    private NeuronCensus() {
    }

    /**
     * Number of dead neurons; see {@link #deadMask}.
     */
    public static int dead(float[] wl, float[] bl, int m, int n, float[] wNext, int k, double absTol, double relTol) {
        int count = 0;
        for (boolean d : deadMask(wl, bl, m, n, wNext, k, absTol, relTol)) {
            if (d) {
                count++;
            }
        }
        return count;
    }

    /**
     * Neuron i is dead when {@code p_i = ‖w_i‖·‖u_i‖ ≤ absTol} or {@code p_i < relTol · median_j p_j}
     * (median over all m neurons; for even m the mean of the two middle values). The bias is deliberately
     * <em>not</em> part of ‖w_i‖: the spec's criterion is ‖w_i‖·‖u_i‖ as written, and a neuron with w_i = 0
     * but b_i ≠ 0 only feeds a constant forward. {@code bl} is accepted (nullable) so callers can pass the
     * layer as it is, and is only checked for its length. A product of 0 is dead even when one factor is
     * large. Non-finite products are never dead (non-finite weights are counted elsewhere).
     *
     * @param wl     W_l, row-major m×n
     * @param bl     b_l (length m) or null; not used in the criterion
     * @param wNext  W_{l+1}, row-major k×m
     * @return mask of length m, true for dead neurons
     */
    public static boolean[] deadMask(float[] wl, float[] bl, int m, int n, float[] wNext, int k,
                              double absTol, double relTol) {
        return deadMask(wl, bl, m, n, wNext, k, 1, absTol, relTol);
    }

    /**
     * {@link #deadMask(float[], float[], int, int, float[], int, double, double)} with u_i the {@code g}
     * contiguous columns of channel i in the k×(m·g) matrix {@code wNext}.
     */
    public static boolean[] deadMask(float[] wl, float[] bl, int m, int n, float[] wNext, int k, int g,
                              double absTol, double relTol) {
        checkWeights(wl, m, n, wNext, k, g);
        if (bl != null && bl.length != m) {
            throw new IllegalArgumentException("bias length " + bl.length + " != m = " + m);
        }
        double[] inSq = new double[m];
        for (int i = 0; i < m; i++) {
            double s = 0;
            for (int j = 0, o = i * n; j < n; j++) {
                double x = wl[o + j];
                s += x * x;
            }
            inSq[i] = s;
        }
        double[] outSq = new double[m];
        int cols = m * g;
        for (int r = 0; r < k; r++) { // walk W_{l+1} row by row: contiguous, accumulates column-group norms
            for (int j = 0, o = r * cols; j < cols; j++) {
                double x = wNext[o + j];
                outSq[j / g] += x * x;
            }
        }
        double[] product = new double[m];
        for (int i = 0; i < m; i++) {
            product[i] = Math.sqrt(inSq[i]) * Math.sqrt(outSq[i]);
        }
        double relativeFloor = relTol * median(product);
        boolean[] dead = new boolean[m];
        for (int i = 0; i < m; i++) {
            dead[i] = product[i] <= absTol || product[i] < relativeFloor;
        }
        return dead;
    }

    /**
     * Number of clusters among live neurons when i and j are joined (union-find, so transitively) if
     * {@code cos(w_i, w_j) > cosThreshold} and {@code cos(u_i, u_j) > cosThreshold}: the
     * permutation-symmetric state of [1]. A positively scaled copy (c·w_i, c'·u_i with c, c' > 0) is the
     * same neuron up to the rescaling symmetry and joins. A live neuron with a zero w_i or u_i has no
     * direction and joins nobody (cos taken as 0).
     *
     * <p>Cost O(L²(n + k)) for L live neurons, with the u-cosine only computed when the w-cosine passes
     * and pairs already in one cluster skipped. Rows of W_l and columns of W_{l+1} are normalized once into
     * contiguous double rows, and pairs are visited in cache-sized tiles.
     *
     * @param dead mask from {@link #deadMask} (length m), or null for "all live"
     */
    public static int distinct(float[] wl, int m, int n, float[] wNext, int k, boolean[] dead, double cosThreshold) {
        return distinct(wl, m, n, wNext, k, 1, dead, cosThreshold);
    }

    /**
     * {@link #distinct(float[], int, int, float[], int, boolean[], double)} with u_i the {@code g} contiguous
     * columns of channel i in the k×(m·g) matrix {@code wNext}.
     */
    public static int distinct(float[] wl, int m, int n, float[] wNext, int k, int g, boolean[] dead,
                               double cosThreshold) {
        checkWeights(wl, m, n, wNext, k, g);
        if (dead != null && dead.length != m) {
            throw new IllegalArgumentException("dead mask length " + dead.length + " != m = " + m);
        }
        int[] live = new int[m];
        int count = 0;
        for (int i = 0; i < m; i++) {
            if (dead == null || !dead[i]) {
                live[count++] = i;
            }
        }
        final int size = count;
        double[] w = new double[size * n]; // live rows of W_l, unit length
        int ku = k * g; // length of one u_i
        double[] u = new double[size * ku]; // live column groups of W_{l+1} as rows, unit length
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
        int tile = Math.max(4, TILE_BYTES / (Double.BYTES * Math.max(1, n)));
        double[] cos4 = new double[4];
        for (int a0 = 0; a0 < size; a0 += tile) {
            int aEnd = Math.min(a0 + tile, size);
            for (int b0 = a0; b0 < size; b0 += tile) {
                int bEnd = Math.min(b0 + tile, size);
                for (int a = a0; a < aEnd; a++) {
                    int b = Math.max(b0, a + 1);
                    for (; b + 3 < bEnd; b += 4) {
                        dot4(w, a, b, n, cos4);
                        for (int q = 0; q < 4; q++) {
                            if (cos4[q] > cosThreshold && joinIfOutgoingAgrees(parent, a, b + q, u, ku, cosThreshold)) {
                                clusters--;
                            }
                        }
                    }
                    for (; b < bEnd; b++) {
                        if (dot(w, a, b, n) > cosThreshold && joinIfOutgoingAgrees(parent, a, b, u, ku, cosThreshold)) {
                            clusters--;
                        }
                    }
                }
            }
        }
        return clusters;
    }

    /** Joins a and b if their outgoing directions agree too; true when two clusters became one. */
    private static boolean joinIfOutgoingAgrees(int[] parent, int a, int b, double[] u, int k, double cosThreshold) {
        int ra = find(parent, a);
        int rb = find(parent, b);
        if (ra == rb || !(dot(u, a, b, k) > cosThreshold)) {
            return false;
        }
        parent[Math.max(ra, rb)] = Math.min(ra, rb);
        return true;
    }

    private static int find(int[] parent, int a) {
        int root = a;
        while (parent[root] != root) {
            root = parent[root];
        }
        while (parent[a] != root) { // path compression
            int next = parent[a];
            parent[a] = root;
            a = next;
        }
        return root;
    }

    private static void normalizeRows(double[] x, int rows, int cols) {
        for (int a = 0; a < rows; a++) {
            int o = a * cols;
            double s = 0;
            for (int j = 0; j < cols; j++) {
                s += x[o + j] * x[o + j];
            }
            double inv = s > 0 ? 1.0 / Math.sqrt(s) : 0.0; // zero row stays zero: cos 0 with everyone
            for (int j = 0; j < cols; j++) {
                x[o + j] *= inv;
            }
        }
    }

    /** Dot product of rows a and b of a row-major matrix with {@code len} columns. */
    private static double dot(double[] x, int a, int b, int len) {
        int oa = a * len;
        int ob = b * len;
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int j = 0;
        for (; j + 3 < len; j += 4) { // four accumulators for instruction-level parallelism
            s0 += x[oa + j] * x[ob + j];
            s1 += x[oa + j + 1] * x[ob + j + 1];
            s2 += x[oa + j + 2] * x[ob + j + 2];
            s3 += x[oa + j + 3] * x[ob + j + 3];
        }
        for (; j < len; j++) {
            s0 += x[oa + j] * x[ob + j];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** Row a against rows b..b+3 at once: each element of row a is loaded once for four products. */
    private static void dot4(double[] x, int a, int b, int len, double[] out) {
        int oa = a * len;
        int o0 = b * len;
        int o1 = o0 + len;
        int o2 = o1 + len;
        int o3 = o2 + len;
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        for (int j = 0; j < len; j++) {
            double xa = x[oa + j];
            s0 += xa * x[o0 + j];
            s1 += xa * x[o1 + j];
            s2 += xa * x[o2 + j];
            s3 += xa * x[o3 + j];
        }
        out[0] = s0;
        out[1] = s1;
        out[2] = s2;
        out[3] = s3;
    }

    private static double median(double[] values) {
        if (values.length == 0) {
            return 0.0;
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : 0.5 * (sorted[mid - 1] + sorted[mid]);
    }

    private static void checkWeights(float[] wl, int m, int n, float[] wNext, int k, int g) {
        if (m < 0 || n < 0 || k < 0 || g <= 0) {
            throw new IllegalArgumentException("bad dimension: m=" + m + " n=" + n + " k=" + k + " g=" + g);
        }
        if (wl.length != (long) m * n) {
            throw new IllegalArgumentException("W_l length " + wl.length + " != m*n = " + m + "*" + n);
        }
        if (wNext.length != (long) k * m * g) {
            throw new IllegalArgumentException("W_{l+1} length " + wNext.length + " != k*m*g = " + k + "*" + m + "*" + g);
        }
    }
}
