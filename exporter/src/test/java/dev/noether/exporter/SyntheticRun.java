package dev.noether.exporter;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The event-log records of a long run of a 32-64-64-64-8 ReLU MLP (4 layers, 3 rescaling pairs), generated, not
 * trained: one step record per step with every value the step tier reports (loss 1/(1 + step/1000), so that any
 * point's mean is known), an analysis record every 50 steps with its per-layer values, and every 50th step record
 * carrying histograms and the model description as the step thread adds them. For the page's long-run test and the
 * replay benchmark.
 */
final class SyntheticRun {
    static final List<String> LAYERS = List.of("01Linear", "03Linear", "05Linear", "07Linear");
    static final List<String> PAIRS = List.of("01Linear:03Linear", "03Linear:05Linear", "05Linear:07Linear");
    static final int EVERY = 50;
    private static final int[] NEURONS = {64, 64, 64, 8};
    private static final int[] INPUTS = {32, 64, 64, 64};
    private static final String[] PHASES = {"none", "forward_crh", "crh"};

    private SyntheticRun() {}

    static double loss(long step) {
        return 1.0 / (1 + step / 1000.0);
    }

    /** Hands every record of a run of {@code steps} steps, in order, to {@code sink}. */
    static void records(long steps, Consumer<Map<String, Object>> sink) {
        for (long step = 0; step < steps; step++) {
            sink.accept(step(step));
            if (step % EVERY == 0) {
                sink.accept(analysis(step));
            }
        }
    }

    /** Writes the run's event log to {@code file}; returns its size in bytes. */
    static long write(Path file, long steps) throws IOException {
        ObjectMapper json = new ObjectMapper();
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            IOException[] failed = {null};
            records(steps, r -> {
                try {
                    out.write(json.writeValueAsString(r));
                    out.write('\n');
                } catch (IOException e) {
                    failed[0] = e;
                }
            });
            if (failed[0] != null) throw failed[0];
        }
        return Files.size(file);
    }

    static Map<String, Object> step(long step) {
        Map<String, Object> r = head("step", step);
        Map<String, Object> metrics = new LinkedHashMap<>();
        metrics.put("loss", loss(step));
        metrics.put("learning.rate", 0.05);
        metrics.put("norm.imbalance", 0.1 + 0.05 * Math.sin(step * 1e-4));
        metrics.put("norm.spread", 2.0 / (1 + step * 1e-5));
        r.put("metrics", metrics);
        Map<String, Object> layers = new LinkedHashMap<>();
        for (int l = 0; l < LAYERS.size(); l++) {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("layer.neurons", (double) NEURONS[l]);
            v.put("layer.inputs", (double) INPUTS[l]);
            v.put("layer.weight.norm", 5.0 + l + 1e-6 * step);
            v.put("layer.update.ratio", 1e-3 / (1 + step * 1e-5));
            v.put("layer.gradient.norm", 0.5 / (1 + step * 1e-5));
            if (l == 2) v.put("layer.effective.learning.rate", 0.05 / 49.0);
            layers.put(LAYERS.get(l), v);
        }
        r.put("layers", layers);
        Map<String, Object> pairs = new LinkedHashMap<>();
        for (String pair : PAIRS) {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("symmetry", "rescaling");
            v.put("charge", 3.2 - 1e-7 * step);
            v.put("charge.relative", 0.08);
            v.put("charge.drift", 1e-6 * step);
            v.put("charge.drift.rate", -1e-5);
            v.put("charge.drift.rate.predicted", -1e-5);
            v.put("charge.residual", 1e-9);
            v.put("symmetry.violation", 1e-8);
            v.put("pair.norm.ratio", 1.1);
            pairs.put(pair, v);
        }
        r.put("pairs", pairs);
        if (step % EVERY == 1) {
            Map<String, Object> histograms = new LinkedHashMap<>();
            Map<String, Object> info = new LinkedHashMap<>();
            for (int l = 0; l < LAYERS.size(); l++) {
                Map<String, Object> h = new LinkedHashMap<>();
                double spread = 0.3 + step * 1e-7;
                h.put("weights", histogram(-spread, spread));
                h.put("gradients", histogram(-0.01, 0.01));
                h.put("updates", histogram(-1e-4, 1e-4));
                h.put("neuron.norms", histogram(0.5, 1.5 + step * 1e-7));
                if (l < PAIRS.size()) {
                    Map<String, Object> c = histogram(-0.2, 0.3);
                    c.put("pair", PAIRS.get(l));
                    h.put("neuron.charges", c);
                }
                histograms.put(LAYERS.get(l), h);
                info.put(LAYERS.get(l), Map.of("kind", "dense", "activation", l < 3 ? "relu" : "identity",
                        "shape", NEURONS[l] + "x" + INPUTS[l]));
            }
            r.put("details", Map.of("histograms", histograms,
                    "model", Map.of("optimizer", "sgd(η=0.05, γ=0.003, γ_b=0.003)", "layers", info)));
        }
        return r;
    }

    static Map<String, Object> analysis(long step) {
        Map<String, Object> r = head("analysis", step);
        r.put("metrics", Map.of());
        Map<String, Object> layers = new LinkedHashMap<>();
        for (int l = 0; l < LAYERS.size(); l++) {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("layer.effective.rank", 30.0 - l);
            v.put("layer.stable.rank", 4.0);
            v.put("representation.effective.rank", 12.0);
            if (l < 3) {
                v.put("neurons.dead", 0.0);
                v.put("neurons.distinct", 64.0);
                v.put("neurons.inactive", 1.0);
                v.put("neuron.blocks", 0.0);
                v.put("neuron.block.max.size", 0.0);
                v.put("neuron.correlation.mean.abs", 0.2);
            }
            for (String side : List.of("a", "b")) {
                for (String rel : List.of("rga", "rwa", "gwa")) {
                    v.put("crh.alignment." + rel + "." + side, 0.5);
                    v.put("crh.alignment.baseline." + rel + "." + side, 0.1);
                }
                v.put("pah.exponent." + side, 1.0);
                v.put("pah.fit.r2." + side, 0.9);
            }
            v.put("fdt.residual.b", 0.3);
            v.put("crh.phase", PHASES[(int) Math.min(2, step / 300_000)]);
            layers.put(LAYERS.get(l), v);
        }
        r.put("layers", layers);
        r.put("pairs", Map.of());
        return r;
    }

    private static Map<String, Object> head(String type, long step) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("type", type);
        r.put("model", "djl-mlp");
        r.put("step", step);
        r.put("time", 1.7e9 + step * 1e-3);
        return r;
    }

    private static Map<String, Object> histogram(double min, double max) {
        Map<String, Object> h = new LinkedHashMap<>();
        int[] bins = new int[32];
        for (int k = 0; k < 32; k++) bins[k] = (int) (1000 * Math.exp(-Math.pow((k - 15.5) / 6, 2)));
        int count = 0;
        for (int b : bins) count += b;
        h.put("count", count);
        h.put("min", min);
        h.put("max", max);
        h.put("mean", (min + max) / 2);
        h.put("bins", bins);
        return h;
    }
}
