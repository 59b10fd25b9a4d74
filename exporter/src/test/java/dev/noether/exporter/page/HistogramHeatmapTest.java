package dev.noether.exporter.page;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The distributions over time: the heatmap against shares counted here from the raw values, and the bounded,
 * evenly thinned store of histograms.
 */
class HistogramHeatmapTest {

    /**
     * Histograms whose bins line up with the heatmap's rows (ranges [0, 8] and [0, 4] over 8 rows): every cell is
     * exactly the share of that histogram's raw values in the row, counted here.
     */
    @Test
    void cellsAreTheShareOfEachHistogramsValuesInTheirRow() {
        Random random = new Random(1);
        double[] wide = new double[1000];
        double[] narrow = new double[500];
        for (int i = 0; i < wide.length; i++) wide[i] = 8 * random.nextDouble();
        for (int i = 0; i < narrow.length; i++) narrow[i] = 4 * random.nextDouble();
        wide[0] = 0;
        wide[1] = 8;
        narrow[0] = 0;
        narrow[1] = 4;
        List<HistogramHistory.Snapshot> series = List.of(snapshot(10, wide, 8), snapshot(20, narrow, 8));
        Map<String, Object> heat = HistogramHeatmap.of(series, 8);
        assertThat(heat.get("rows")).isEqualTo(8);
        assertThat((long[]) heat.get("steps")).containsExactly(10, 20);
        double[] share = (double[]) heat.get("share");
        for (int row = 0; row < 8; row++) {
            assertThat(share[row]).as("wide, row " + row).isCloseTo(shareIn(wide, row, 8), within(1e-12));
            assertThat(share[8 + row]).as("narrow, row " + row).isCloseTo(shareIn(narrow, row, 4), within(1e-12));
        }
        // a bin straddling two rows is split by overlap: [0, 4] in 2 bins of 2 over rows of 1
        Map<String, Object> halves = HistogramHeatmap.of(List.of(snapshot(0, wide, 8), snapshot(1, new double[] {0, 1, 3, 4}, 2)), 8);
        double[] h = (double[]) halves.get("share");
        assertThat(h[8]).isCloseTo(0.25, within(1e-12));
        assertThat(h[9]).isCloseTo(0.25, within(1e-12));
        assertThat(h[12]).isZero();
    }

    @Test
    void oneValueIsOneRow() {
        Map<String, Object> heat = HistogramHeatmap.of(List.of(snapshot(0, new double[] {2, 2, 2}, 4),
                snapshot(1, new double[] {0, 4}, 4)), 4);
        double[] share = (double[]) heat.get("share");
        assertThat(share[2]).isEqualTo(1.0);
        assertThat(share[0] + share[1] + share[3]).isZero();
        Map<String, Object> flat = HistogramHeatmap.of(List.of(snapshot(0, new double[] {0, 0}, 4)), 32);
        assertThat(flat.get("rows")).isEqualTo(1);
        assertThat((double[]) flat.get("share")).containsExactly(1.0);
    }

    @Test
    void eachSeriesKeepsAnEvenStrideThroughTheRunAndTheLatestWithinItsBound() {
        HistogramHistory store = new HistogramHistory(Long.MAX_VALUE);
        for (int step = 0; step < 1000; step++) {
            store.add(step, Map.of("fc1", Map.of("weights", histogram(new int[] {1, 1}))));
        }
        List<HistogramHistory.Snapshot> kept = store.series("fc1", "weights");
        assertThat(kept.size()).isLessThanOrEqualTo(HistogramHistory.MAX_SNAPSHOTS).isGreaterThan(HistogramHistory.MAX_SNAPSHOTS / 2);
        assertThat(kept.get(0).step()).isZero();
        assertThat(kept.get(kept.size() - 1).step()).isEqualTo(999);
        long stride = kept.get(1).step() - kept.get(0).step();
        for (int i = 1; i < kept.size() - 1; i++) assertThat(kept.get(i).step() - kept.get(i - 1).step()).isEqualTo(stride);

        // all series together within the bytes: the longest thinned first
        long bound = 200_000;
        HistogramHistory small = new HistogramHistory(bound);
        for (int step = 0; step < 500; step++) {
            Map<String, Object> layers = new LinkedHashMap<>();
            for (int l = 0; l < 20; l++) layers.put("fc" + l, Map.of("weights", histogram(new int[32]), "updates", histogram(new int[32])));
            small.add(step, layers);
        }
        assertThat(small.bytes()).isLessThanOrEqualTo(bound);
        assertThat(small.series("fc19", "updates").size()).isGreaterThanOrEqualTo(HistogramHistory.MIN_SNAPSHOTS);
        assertThat(small.series("fc19", "updates").get(0).step()).isZero();
    }

    private static Map<String, Object> histogram(int[] bins) {
        bins[0] = 1;
        return Map.of("count", 2, "min", 0.0, "max", 1.0, "mean", 0.5, "bins", bins.clone());
    }

    /** The share of {@code values} in [row, row + 1); the maximum, in the closed last bin, counts in the row below it. */
    private static double shareIn(double[] values, int row, double max) {
        int n = 0;
        for (double v : values) {
            int r = v == max ? (int) max - 1 : (int) Math.floor(v);
            if (r == row) n++;
        }
        return (double) n / values.length;
    }

    /** A histogram of {@code values} with {@code bins} equal bins over [min, max], the last one closed. */
    private static HistogramHistory.Snapshot snapshot(long step, double[] values, int bins) {
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY, sum = 0;
        for (double v : values) {
            min = Math.min(min, v);
            max = Math.max(max, v);
            sum += v;
        }
        int[] counts = new int[bins];
        List<Double> sorted = new ArrayList<>();
        for (double v : values) sorted.add(v);
        for (double v : sorted) {
            int k = max > min ? (int) Math.min(bins - 1, Math.floor((v - min) / (max - min) * bins)) : 0;
            counts[k]++;
        }
        return new HistogramHistory.Snapshot(step, step, values.length, min, max, sum / values.length, counts);
    }
}
