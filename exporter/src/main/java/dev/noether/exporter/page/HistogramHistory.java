package dev.noether.exporter.page;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The histograms of every layer over the run (the {@code histograms} details of step records: weights, gradients,
 * updates, neuron norms, charges), in bounded memory, for the page's distributions over time. Each series (worker ×
 * layer × quantity: a data-parallel run's workers each have their own) keeps at most {@value #MAX_SNAPSHOTS}
 * histograms on an even stride through the run: the first, every {@code stride}-th after it and always the latest;
 * when a series is full its stride doubles and every other one goes (TensorBoard keeps 500 histograms per series by
 * reservoir sampling; an even stride keeps the time axis regular). When all series together pass {@code maxBytes},
 * the longest is thinned the same way, down to {@value #MIN_SNAPSHOTS}; when every series is down to that (many
 * workers of a large model), the series of the worker and layer updated least recently go, never those of the worker
 * that is adding. Not thread-safe: the {@link RunHistory} calls it under its lock.
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

    /** One layer of one worker (null: records that name no worker). */
    private record LayerOf(String worker, String layer) {}

    /** A layer's series by quantity, and when they last received a histogram. */
    private static final class Layer {
        final Map<String, Series> byQuantity = new LinkedHashMap<>();
        long touched;
    }

    private final long maxBytes;
    private final Map<LayerOf, Layer> layers = new LinkedHashMap<>();
    private long bytes;
    private long adds;

    HistogramHistory(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    long bytes() {
        return bytes;
    }

    /** Adds the {@code histograms} details of a step record of no named worker (see {@link #add(String, long, Map)}). */
    void add(long step, Map<?, ?> histograms) {
        add(null, step, histograms);
    }

    /** Adds the {@code histograms} details of {@code worker}'s step record at {@code step}: layer → quantity → histogram. */
    void add(String worker, long step, Map<?, ?> histograms) {
        adds++;
        for (Map.Entry<?, ?> layer : histograms.entrySet()) {
            if (!(layer.getValue() instanceof Map<?, ?> quantities)) {
                continue;
            }
            for (Map.Entry<?, ?> q : quantities.entrySet()) {
                if (q.getValue() instanceof Map<?, ?> h) {
                    add(new LayerOf(worker, String.valueOf(layer.getKey())), String.valueOf(q.getKey()), step, h);
                }
            }
        }
        while (bytes > maxBytes && (thinLongest() || dropStalestOtherThan(worker))) {
            // thinned or dropped series; check again
        }
    }

    private void add(LayerOf key, String quantity, long step, Map<?, ?> h) {
        int[] bins = ints(h.get("bins"));
        double min = number(h.get("min"));
        double max = number(h.get("max"));
        double mean = number(h.get("mean"));
        double count = number(h.get("count"));
        if (bins == null || bins.length == 0 || Double.isNaN(min) || Double.isNaN(max) || !(count > 0)) {
            return; // not a histogram this version can read
        }
        Layer layer = layers.computeIfAbsent(key, k -> new Layer());
        layer.touched = adds;
        Series s = layer.byQuantity.computeIfAbsent(quantity, k -> new Series());
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
        for (Layer layer : layers.values()) {
            for (Series s : layer.byQuantity.values()) {
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

    /** Drops the series of the layer updated least recently by a worker other than {@code worker}; false if none. */
    private boolean dropStalestOtherThan(String worker) {
        Map.Entry<LayerOf, Layer> stalest = null;
        for (Map.Entry<LayerOf, Layer> e : layers.entrySet()) {
            if (!Objects.equals(e.getKey().worker(), worker) && (stalest == null || e.getValue().touched < stalest.getValue().touched)) {
                stalest = e;
            }
        }
        if (stalest == null) {
            return false;
        }
        for (Series s : stalest.getValue().byQuantity.values()) {
            for (Snapshot snap : s.kept) {
                bytes -= snap.bytes();
            }
        }
        layers.remove(stalest.getKey());
        return true;
    }

    /** The kept histograms of one layer's quantity of the records that name no worker, oldest first. */
    List<Snapshot> series(String layer, String quantity) {
        return series(null, layer, quantity);
    }

    /** The kept histograms of {@code worker}'s layer's quantity, oldest first (empty when none). */
    List<Snapshot> series(String worker, String layer, String quantity) {
        Layer l = layers.get(new LayerOf(worker, layer));
        Series s = l == null ? null : l.byQuantity.get(quantity);
        return s == null ? List.of() : List.copyOf(s.kept);
    }

    /** The pair whose charges {@code worker}'s layer's {@code neuron.charges} are, or null. */
    String pairOf(String worker, String layer) {
        Layer l = layers.get(new LayerOf(worker, layer));
        Series s = l == null ? null : l.byQuantity.get("neuron.charges");
        return s == null ? null : s.pair;
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
