package dev.noether.core.physics;

import dev.noether.core.linalg.LinearAlgebra;

/**
 * The unit census of a recurrent layer (METRICS.md §12 with §4's rules): W = [W_x W_h] of {@code gates·H} rows,
 * gate-major, and unit k is its row k of every gate block (incoming weights w_k = those rows side by side) and
 * the columns of W that read h_k (outgoing weights u_k: the recurrent column {@code hiddenStart + k}). A unit
 * with w_k or u_k ≈ 0 is dead; live units whose w and u both point the same way (cosine > threshold) are
 * copies. Pure functions on plain arrays.
 */
public final class RecurrentUnits {
    private RecurrentUnits() {}

    /**
     * Unit k's incoming weights: row k of every gate block, side by side (H × gates·n, row-major).
     *
     * @param w     W, row-major (gates·H) × n
     * @param units H
     * @param gates the number of gate blocks
     * @param n     the columns of W
     */
    public static float[] incoming(float[] w, int units, int gates, int n) {
        check(w, units, gates, n);
        float[] out = new float[w.length];
        for (int k = 0; k < units; k++) {
            for (int g = 0; g < gates; g++) {
                System.arraycopy(w, (g * units + k) * n, out, (k * gates + g) * n, n);
            }
        }
        return out;
    }

    /**
     * The columns of W that read h_{t−1}: a (gates·H) × H row-major matrix whose column k is u_k.
     *
     * @param hiddenStart the first column of W reading h_{t−1}
     */
    public static float[] outgoing(float[] w, int units, int gates, int n, int hiddenStart) {
        check(w, units, gates, n);
        if (hiddenStart < 0 || hiddenStart + units > n) {
            throw new IllegalArgumentException("h_{t-1} columns " + hiddenStart + ".." + (hiddenStart + units - 1)
                    + " outside the " + n + " columns of W");
        }
        int rows = gates * units;
        float[] out = new float[rows * units];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(w, r * n + hiddenStart, out, r * units, units);
        }
        return out;
    }

    /** The dead-unit mask by §4's absolute and relative rules on ‖w_k‖·‖u_k‖. */
    public static boolean[] deadMask(float[] w, int units, int gates, int n, int hiddenStart, double absTol,
                                     double relTol) {
        return NeuronCensus.deadMask(incoming(w, units, gates, n), null, units, gates * n,
                outgoing(w, units, gates, n, hiddenStart), gates * units, absTol, relTol);
    }

    /** The number of distinct live units (union-find on cos(w_j, w_k) and cos(u_j, u_k) above the threshold). */
    public static int distinct(float[] w, int units, int gates, int n, int hiddenStart, boolean[] dead,
                               double cosThreshold, LinearAlgebra la) {
        return DistinctNeurons.count(incoming(w, units, gates, n), units, gates * n,
                outgoing(w, units, gates, n, hiddenStart), gates * units, dead, cosThreshold, la);
    }

    private static void check(float[] w, int units, int gates, int n) {
        if (units <= 0 || gates <= 0 || n <= 0 || w.length != (long) gates * units * n) {
            throw new IllegalArgumentException("expected W of " + gates + "·" + units + "×" + n + ", got "
                    + w.length + " values");
        }
    }
}
