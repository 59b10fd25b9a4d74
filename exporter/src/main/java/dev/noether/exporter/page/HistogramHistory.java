package dev.noether.exporter.page;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The histograms of every layer over the run (the {@code histograms} details of step records: weights, gradients,
 * updates, neuron norms, charges), in bounded memory, for the page's distributions over time. Each series (layer ×
 * quantity) keeps at most {@value #MAX_SNAPSHOTS} histograms on an even stride through the run: the first, every
 * {@code stride}-th after it and always the latest; when a series is full its stride doubles and every other one
 * goes (TensorBoard keeps 500 histograms per series by reservoir sampling; an even stride keeps the time axis
 * regular). When all series together pass {@code maxBytes}, the longest is thinned the same way, down to
 * {@value #MIN_SNAPSHOTS}. Not thread-safe: the {@link RunHistory} calls it under its lock.
 */
final class HistogramHistory {
    static final int MAX_SNAPSHOTS = 256;
    static final int MIN_SNAPSHOTS = 16;
    /** The quantities in the order the page shows them. */
    static final List<String> QUANTITIES = List.of("weights", "gradients", "updates", "neuron.norms", "neuron.charges");

    /** One histogram: equal-width {@code bins} over [min, max] (all in bin 0 when min == max). */
    record Snapshot(long step, long index, int count, double min, double max, double mean, int[] bins) {
        long bytes() {
            return 72 + 16 + 4L * bins.length;
        }
    }

    private static final class Series {
        final List<Snapshot> kept = new ArrayList<>();
        long stride = 1;
        long offered;
        String pair; // charges: the pair they belong to
    }

    private final long maxBytes;
    private final Map<String, Map<String, Series>> byLayer = new LinkedHashMap<>();
    private long bytes;

    HistogramHistory(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    long bytes() {
        return bytes;
    }

    /** Adds the {@code histograms} details of the step record at {@code step}: layer → quantity → histogram. */
    void add(long step, Map<?, ?> histograms) {
        for (Map.Entry<?, ?> layer : histograms.entrySet()) {
            if (!(layer.getValue() instanceof Map<?, ?> quantities)) {
                continue;
            }
            for (Map.Entry<?, ?> q : quantities.entrySet()) {
                if (q.getValue() instanceof Map<?, ?> h) {
                    add(String.valueOf(layer.getKey()), String.valueOf(q.getKey()), step, h);
                }
            }
        }
        while (bytes > maxBytes && thinLongest()) {
            // thinned one series; check again
        }
    }

    private void add(String layer, String quantity, long step, Map<?, ?> h) {
        int[] bins = ints(h.get("bins"));
        double min = number(h.get("min"));
        double max = number(h.get("max"));
        double mean = number(h.get("mean"));
        double count = number(h.get("count"));
        if (bins == null || bins.length == 0 || Double.isNaN(min) || Double.isNaN(max) || !(count > 0)) {
            return; // not a histogram this version can read
        }
        Series s = byLayer.computeIfAbsent(layer, k -> new LinkedHashMap<>()).computeIfAbsent(quantity, k -> new Series());
        if (h.get("pair") instanceof String pair) {
            s.pair = pair;
        }
        long index = s.offered++;
        Snapshot snap = new Snapshot(step, index, (int) count, min, max, mean, bins);
        // the latest is kept even off the stride; it gives way to the next one
        if (!s.kept.isEmpty() && s.kept.size() > 1 && s.kept.get(s.kept.size() - 1).index() % s.stride != 0) {
            bytes -= s.kept.remove(s.kept.size() - 1).bytes();
        }
        s.kept.add(snap);
        bytes += snap.bytes();
        if (s.kept.size() > MAX_SNAPSHOTS) {
            thin(s);
        }
    }

    /** Doubles the series' stride and drops what is off it (the latest stays). */
    private void thin(Series s) {
        s.stride *= 2;
        List<Snapshot> next = new ArrayList<>(s.kept.size() / 2 + 1);
        for (int i = 0; i < s.kept.size(); i++) {
            Snapshot snap = s.kept.get(i);
            if (snap.index() % s.stride == 0 || i == s.kept.size() - 1) {
                next.add(snap);
            } else {
                bytes -= snap.bytes();
            }
        }
        s.kept.clear();
        s.kept.addAll(next);
    }

    private boolean thinLongest() {
        Series longest = null;
        for (Map<String, Series> quantities : byLayer.values()) {
            for (Series s : quantities.values()) {
                if (longest == null || s.kept.size() > longest.kept.size()) {
                    longest = s;
                }
            }
        }
        if (longest == null || longest.kept.size() <= MIN_SNAPSHOTS) {
            return false;
        }
        thin(longest);
        return true;
    }

    /** The kept histograms of one layer's quantity, oldest first (empty when none). */
    List<Snapshot> series(String layer, String quantity) {
        Series s = byLayer.getOrDefault(layer, Map.of()).get(quantity);
        return s == null ? List.of() : List.copyOf(s.kept);
    }

    /** The pair whose charges a layer's {@code neuron.charges} are, or null. */
    String pairOf(String layer) {
        Series s = byLayer.getOrDefault(layer, Map.of()).get("neuron.charges");
        return s == null ? null : s.pair;
    }

    /** Layers with at least one histogram, in the order they appeared. */
    List<String> layers() {
        return new ArrayList<>(byLayer.keySet());
    }

    /** The longest series, for the page's counters. */
    int longestSeries() {
        int n = 0;
        for (Map<String, Series> quantities : byLayer.values()) {
            for (Series s : quantities.values()) {
                n = Math.max(n, s.kept.size());
            }
        }
        return n;
    }

    private static double number(Object o) {
        return o instanceof Number n && Double.isFinite(n.doubleValue()) ? n.doubleValue() : Double.NaN;
    }

    /** The bins as handed over live ({@code int[]}) or read back from the event log (a list of numbers). */
    private static int[] ints(Object o) {
        if (o instanceof int[] a) {
            return a.clone();
        }
        if (o instanceof long[] a) {
            int[] out = new int[a.length];
            for (int i = 0; i < a.length; i++) {
                out[i] = (int) a[i];
            }
            return out;
        }
        if (o instanceof List<?> list) {
            int[] out = new int[list.size()];
            for (int i = 0; i < out.length; i++) {
                if (!(list.get(i) instanceof Number n)) {
                    return null;
                }
                out[i] = n.intValue();
            }
            return out;
        }
        return null;
    }
}
