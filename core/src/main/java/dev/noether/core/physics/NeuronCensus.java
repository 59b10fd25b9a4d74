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
