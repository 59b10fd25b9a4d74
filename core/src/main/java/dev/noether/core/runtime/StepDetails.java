package dev.noether.core.runtime;

import dev.noether.core.model.DenseLayer;
import dev.noether.core.model.LayerSnapshot;
import dev.noether.core.model.NetworkDescription;
import dev.noether.core.model.OptimizerSettings;
import dev.noether.core.model.StepSnapshot;
import dev.noether.core.model.SymmetryPair;
import dev.noether.core.model.UnsupportedLayer;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * What the step thread adds to the details of a step report for the event log and the page, on the heavy tier's
 * schedule (every {@code analysisEvery} observed steps and at most once per {@code minAnalysisInterval}, and per
 * 50 ms per layer), from the arrays the step tier already holds:
 * <ul>
 * <li>{@code histograms}: per layer, {@link Histogram}s of its weights, of the gradients of the batch-mean loss, of
 * the last update ΔW = W(t) − W(t−1) (when step t−1 was observed with its weights), of the neurons' incoming-weight
 * norms ‖w_i‖ and, for the first layer of a pair, of the pair's Noether charges C_i (METRICS.md §2). DL4J UI's model
 * tab and W&amp;B's {@code watch}, as distributions over time.</li>
 * <li>{@code model}: each layer's kind, activation, normalization and weight shape, and the optimizer: what the
 * report's values do not carry, so that an event log describes its model by itself.</li>
 * </ul>
 * Per-neuron and per-bin data never become meters (METRICS.md §7). When the schedule is due on a step whose
 * predecessor was not observed, it waits up to another {@code analysisEvery} steps for one that was, so that the
 * update histogram exists under sampled observation too. Not thread-safe: the step thread calls it.
 */
final class StepDetails {
    static final long PER_LAYER_INTERVAL_NANOS = 50_000_000L;
    private final NetworkDescription description;
    private final int every;
    private final long intervalNanos;
    private final Ticker ticker;
    private final Consumer<Throwable> errors;
    private final Map<String, Object> layerInfo;
    private final List<Map<String, Object>> unsupported;
    private boolean unsupportedSent;
    private long nextStep = Long.MIN_VALUE;
    private long lastNanos;
    private boolean taken;

    /** @param errors counts a failure (the monitor's {@code noether.errors{stage="step"}}) */
    StepDetails(NetworkDescription description, NoetherConfig config, Ticker ticker, Consumer<Throwable> errors) {
        this.description = description;
        this.errors = errors;
        this.every = config.analysisEvery();
        // a large model's histograms are long: at most one such record per 50 ms per layer keeps the event log
        // growing by some 25 KB/s at most, whatever the model (a 100-layer model: one every 5 s)
        this.intervalNanos = Math.max(config.minAnalysisInterval().toNanos(),
                description.layers().size() * PER_LAYER_INTERVAL_NANOS);
        this.ticker = ticker;
        this.layerInfo = layerInfo(description);
        this.unsupported = unsupported(description);
    }

    /**
     * {@code report} with the details added when they are due, else {@code report} itself.
     *
     * @param current  the snapshot the report was computed from
     * @param previous the snapshot observed before it (its arrays still held), or null
     * @param charges  the step tier's per-neuron charges of this step, by pair index
     */
    NoetherReport attach(NoetherReport report, StepSnapshot current, StepSnapshot previous,
                         Supplier<double[][]> charges) {
        long step = current.step();
        long now = ticker.read();
        if (taken && (step < nextStep || now - lastNanos < intervalNanos)) {
            return report;
        }
        boolean consecutive = previous != null && previous.step() == step - 1
                && previous.layers().size() == current.layers().size();
        if (taken && !consecutive && step < nextStep + every) {
            return report; // due, but wait a little for a step whose update is known
        }
        taken = true;
        nextStep = step + every;
        lastNanos = now;
        try {
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("histograms", histograms(report, current, consecutive ? previous : null, charges.get()));
            Map<String, Object> model = new LinkedHashMap<>();
            model.put("optimizer", describe(current.optimizer()));
            model.put("layers", layerInfo);
            if (!unsupported.isEmpty() && !unsupportedSent) {
                model.put("unsupported", unsupported); // once: the reasons do not change during a run
                unsupportedSent = true;
            }
            details.put("model", model);
            return report.withDetails(details);
        } catch (RuntimeException e) {
            errors.accept(e); // the step's values still go out, without the details
            return report;
        }
    }

    private Map<String, Object> histograms(NoetherReport report, StepSnapshot current, StepSnapshot previous,
                                           double[][] charges) {
        Map<String, Map<String, Object>> byLayer = new LinkedHashMap<>();
        for (DenseLayer layer : description.layers()) {
            // a layer the step tier skipped as non-finite has no norm in the report: no histograms either
            if (report.value("layer.weight.norm", "layer", layer.name()).isEmpty()) {
                continue;
            }
            LayerSnapshot s = current.layer(layer.index());
            Map<String, Object> h = new LinkedHashMap<>();
            float[] w = s.weight();
            if (w != null) {
                put(h, "weights", Histogram.of(w, 1));
            }
            if (s.weightGradient() != null) {
                put(h, "gradients", Histogram.of(s.weightGradient(), s.gradientScale()));
            }
            float[] before = previous == null ? null : previous.layer(layer.index()).weight();
            if (w != null && before != null && before.length == w.length) {
                put(h, "updates", Histogram.ofDifference(w, before));
            }
            double[] norms = rowNorms(s, layer);
            if (norms != null) {
                put(h, "neuron.norms", Histogram.of(norms));
            }
            byLayer.put(layer.name(), h);
        }
        List<SymmetryPair> pairs = description.pairs();
        for (int k = 0; k < pairs.size() && k < charges.length; k++) {
            Map<String, Object> h = byLayer.get(pairs.get(k).first().name());
            if (h != null && charges[k] != null) {
                Histogram c = Histogram.of(charges[k]);
                if (c != null) {
                    Map<String, Object> detail = c.toDetail();
                    detail.put("pair", pairs.get(k).tag());
                    h.put("neuron.charges", detail);
                }
            }
        }
        return new LinkedHashMap<>(byLayer);
    }

    /** "sgd(η=0.05, γ=0.003, γ_b=0.003)": the engines' float settings in their own short spelling, not as doubles. */
    static String describe(OptimizerSettings o) {
        String eta = "η=" + shortly(o.learningRate());
        return o.isPlainSgd() ? "sgd(" + eta + ", γ=" + shortly(o.weightDecay()) + ", γ_b=" + shortly(o.biasDecay()) + ")"
                : o.name() + "(" + eta + ")";
    }

    private static String shortly(double v) {
        return Double.isNaN(v) ? "?" : (double) (float) v == v ? Float.toString((float) v) : Double.toString(v);
    }

    private static void put(Map<String, Object> h, String name, Histogram histogram) {
        if (histogram != null) {
            h.put(name, histogram.toDetail());
        }
    }

    /** ‖w_i‖ of each output neuron (channel): from W when at hand, else from the engine's row sums; null without both. */
    private static double[] rowNorms(LayerSnapshot s, DenseLayer layer) {
        int m = layer.outputs();
        int n = layer.inputs();
        double[] norms = new double[m];
        float[] w = s.weight();
        if (w == null && s.reductions() == null) {
            return null;
        }
        if (w != null) {
            for (int i = 0; i < m; i++) {
                double sq = 0;
                for (int j = i * n, end = j + n; j < end; j++) {
                    sq += (double) w[j] * w[j];
                }
                norms[i] = Math.sqrt(sq);
            }
        } else {
            double[] rowSq = s.reductions().rowSq();
            for (int i = 0; i < m; i++) {
                norms[i] = Math.sqrt(rowSq[i]);
            }
        }
        return norms;
    }

    /** The nodes Noether could not map, with the reason (METRICS.md §12): for the event log and the page's model table. */
    private static List<Map<String, Object>> unsupported(NetworkDescription description) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (UnsupportedLayer u : description.unsupported()) {
            out.add(Map.of("name", u.name(), "reason", u.reason()));
        }
        return List.copyOf(out);
    }

    private static Map<String, Object> layerInfo(NetworkDescription description) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (DenseLayer layer : description.layers()) {
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("kind", layer.kind().tag());
            info.put("activation", layer.activation().name().toLowerCase(Locale.ROOT));
            layer.normalization().ifPresent(n -> info.put("normalization", n.name().toLowerCase(Locale.ROOT)));
            info.put("shape", layer.shape());
            info.put("bias", layer.hasBias());
            out.put(layer.name(), Collections.unmodifiableMap(info));
        }
        return Collections.unmodifiableMap(out); // shared by every report that carries it
    }
}
