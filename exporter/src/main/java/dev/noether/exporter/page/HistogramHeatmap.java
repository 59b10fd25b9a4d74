package dev.noether.exporter.page;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A series of histograms as a heatmap over time (TensorBoard's distributions, DL4J UI's model tab): one column per
 * histogram, {@code rows} equal rows spanning the smallest minimum to the largest maximum of the series, each cell
 * the share of that histogram's values in the row. A histogram's own bins are spread over the rows they overlap in
 * proportion to the overlap (values taken as even within a bin); a histogram of one value ({@code min == max})
 * puts it all in its row.
 */
final class HistogramHeatmap {
    private HistogramHeatmap() {}

    /** The heatmap of {@code series}, or null when it is empty. */
    static Map<String, Object> of(List<HistogramHistory.Snapshot> series, int rows) {
        if (series.isEmpty()) {
            return null;
        }
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (HistogramHistory.Snapshot s : series) {
            lo = Math.min(lo, s.min());
            hi = Math.max(hi, s.max());
        }
        int r = hi > lo ? rows : 1;
        double rowWidth = hi > lo ? (hi - lo) / r : 1;
        int t = series.size();
        double[] share = new double[t * r];
        long[] steps = new long[t];
        double[] min = new double[t];
        double[] max = new double[t];
        double[] mean = new double[t];
        int[] count = new int[t];
        for (int c = 0; c < t; c++) {
            HistogramHistory.Snapshot s = series.get(c);
            steps[c] = s.step();
            min[c] = s.min();
            max[c] = s.max();
            mean[c] = s.mean();
            count[c] = s.count();
            int[] bins = s.bins();
            double total = 0;
            for (int b : bins) {
                total += b;
            }
            if (total == 0) {
                continue;
            }
            double binWidth = (s.max() - s.min()) / bins.length;
            for (int b = 0; b < bins.length; b++) {
                if (bins[b] == 0) {
                    continue;
                }
                if (binWidth == 0 || r == 1) {
                    share[c * r + row(s.min(), lo, rowWidth, r)] += bins[b] / total;
                    continue;
                }
                double a = s.min() + b * binWidth;
                double z = a + binWidth;
                for (int k = row(a, lo, rowWidth, r); k <= row(z, lo, rowWidth, r); k++) {
                    double overlap = Math.min(z, lo + (k + 1) * rowWidth) - Math.max(a, lo + k * rowWidth);
                    if (overlap > 0) {
                        share[c * r + k] += bins[b] / total * overlap / binWidth;
                    }
                }
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("steps", steps);
        out.put("rows", r);
        out.put("lo", lo);
        out.put("hi", hi);
        out.put("share", share); // column c, row k (from lo up) at c * rows + k
        out.put("min", min);
        out.put("max", max);
        out.put("mean", mean);
        out.put("count", count);
        return out;
    }

    private static int row(double x, double lo, double rowWidth, int rows) {
        return (int) Math.max(0, Math.min(rows - 1, Math.floor((x - lo) / rowWidth)));
    }
}
