package dev.noether.core.runtime;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An equal-width histogram of one array's values, as the event log and the page carry it (DL4J UI's model tab,
 * TensorBoard's distributions): {@value #BINS} bins from {@code min} to {@code max} of the values (bin k covers
 * [min + k·w, min + (k+1)·w), the last one closed, w = (max − min) / BINS), the number of values binned and
 * their mean. When every value is the same ({@code min == max}) all of them are in bin 0. Non-finite values are
 * left out. Arrays longer than {@value #MAX_VALUES} values are histogrammed on an even stride through them
 * (every ⌈n / 2²⁰⌉-th value), so one histogram never reads more than a million values.
 *
 * @param count the values binned
 * @param bins  counts per bin, length {@value #BINS}
 */
record Histogram(int count, double min, double max, double mean, int[] bins) {
    static final int BINS = 32;
    static final int MAX_VALUES = 1 << 20;

    /** The values {@code a[i]·scale}; null when none is finite. */
    static Histogram of(float[] a, double scale) {
        return of(a, null, scale);
    }

    /** The element-wise differences {@code a[i] − b[i]} of two arrays of one length; null when none is finite. */
    static Histogram ofDifference(float[] a, float[] b) {
        return of(a, b, 1);
    }

    /** The values of {@code a} (short arrays: one per neuron); null when none is finite. */
    static Histogram of(double[] a) {
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        double sum = 0;
        int count = 0;
        for (double x : a) {
            if (Double.isFinite(x)) {
                min = Math.min(min, x);
                max = Math.max(max, x);
                sum += x;
                count++;
            }
        }
        if (count == 0) {
            return null;
        }
        int[] bins = new int[BINS];
        double scale = max > min ? BINS / (max - min) : 0;
        for (double x : a) {
            if (Double.isFinite(x)) {
                bins[Math.min(BINS - 1, (int) ((x - min) * scale))]++;
            }
        }
        return new Histogram(count, min, max, sum / count, bins);
    }

    /**
     * {@code (a[i] − b[i])·scale} (b null: {@code a[i]·scale}) on an even stride of at most {@value #MAX_VALUES}
     * values, in two plain loops over the floats: the step thread reads every weight of the model here.
     */
    private static Histogram of(float[] a, float[] b, double scale) {
        int n = a.length;
        int stride = (int) Math.max(1, (n + (long) MAX_VALUES - 1) / MAX_VALUES);
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        double sum = 0;
        int count = 0;
        for (int i = 0; i < n; i += stride) {
            double x = b == null ? a[i] * scale : ((double) a[i] - b[i]) * scale;
            if (Double.isFinite(x)) {
                min = Math.min(min, x);
                max = Math.max(max, x);
                sum += x;
                count++;
            }
        }
        if (count == 0) {
            return null;
        }
        int[] bins = new int[BINS];
        double toBin = max > min ? BINS / (max - min) : 0;
        for (int i = 0; i < n; i += stride) {
            double x = b == null ? a[i] * scale : ((double) a[i] - b[i]) * scale;
            if (Double.isFinite(x)) {
                bins[Math.min(BINS - 1, (int) ((x - min) * toBin))]++;
            }
        }
        return new Histogram(count, min, max, sum / count, bins);
    }

    /** The event log's form: {@code count}, {@code min}, {@code max}, {@code mean}, {@code bins}. */
    Map<String, Object> toDetail() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("count", count);
        out.put("min", min);
        out.put("max", max);
        out.put("mean", mean);
        out.put("bins", bins);
        return out;
    }
}
