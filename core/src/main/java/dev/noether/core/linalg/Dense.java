package dev.noether.core.linalg;

import java.util.Arrays;

/** Array helpers shared by the two implementations. */
final class Dense {
    private Dense() {
    }

    /** Throws unless {@code a} holds exactly rows×cols values: the shape check of a row-major matrix argument. */
    static void requireShape(double[] a, int rows, int cols) {
        if (a.length != (long) rows * cols) {
            throw new IllegalArgumentException("expected " + rows + "×" + cols + " values, got " + a.length);
        }
    }

    static boolean allFinite(double[] a) {
        for (double v : a) {
            if (!Double.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    static double[] nans(int k) {
        double[] values = new double[k];
        Arrays.fill(values, Double.NaN);
        return values;
    }

    /** Reverses in place and returns the array (ascending solver output to descending). */
    static double[] reverse(double[] values) {
        for (int i = 0, j = values.length - 1; i < j; i++, j--) {
            double t = values[i];
            values[i] = values[j];
            values[j] = t;
        }
        return values;
    }

    /** Copies the upper triangle of the n×n row-major matrix onto the lower one. */
    static double[] mirrorUpper(double[] c, int n) {
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                c[j * n + i] = c[i * n + j];
            }
        }
        return c;
    }
}
