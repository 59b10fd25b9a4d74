package dev.noether.core.runtime;

import dev.noether.core.catalogue.MetricFamily;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * An immutable set of measured values from one step (the every-step tier) or one heavy analysis.
 * Values that could not be measured (no probe, a non-finite layer, an optimizer other than plain SGD for
 * the prediction) are absent, never NaN.
 */
public final class NoetherReport {
    /** Which tier produced a report. */
    public enum Kind {
        STEP,
        ANALYSIS
    }

    private final Kind kind;
    private final String model;
    private final long step;
    private final Instant time;
    private final Map<MetricKey, Double> values;
    private final Map<String, Object> details;

    private NoetherReport(Kind kind, String model, long step, Instant time, Map<MetricKey, Double> values,
                          Map<String, Object> details) {
        this.kind = kind;
        this.model = model;
        this.step = step;
        this.time = time;
        this.values = Collections.unmodifiableMap(values);
        this.details = Collections.unmodifiableMap(details);
    }

    static Builder builder(Kind kind, String model, long step, Instant time) {
        return new Builder(kind, model, step, time);
    }

    public Kind kind() {
        return kind;
    }

    public String model() {
        return model;
    }

    /** The training step the values describe. */
    public long step() {
        return step;
    }

    public Instant time() {
        return time;
    }

    /**
     * The value of a metric, by its dotted name without prefix and its tags other than {@code model}, e.g.
     * {@code value("charge.drift", "pair", "fc1:fc2", "symmetry", "rescaling")}.
     */
    public OptionalDouble value(String metric, String... tagKeyValues) {
        Double v = values.get(MetricKey.of(MetricFamily.byShortName(metric), tagKeyValues));
        return v == null ? OptionalDouble.empty() : OptionalDouble.of(v);
    }

    public Map<MetricKey, Double> values() {
        return values;
    }

    /** Per-neuron data that never goes to Prometheus (charges per neuron, correlation order, eigenvalues). */
    Map<String, Object> details() {
        return details;
    }

    /** This report with {@code more} added to its details (a new report; the values are shared). */
    NoetherReport withDetails(Map<String, Object> more) {
        Map<String, Object> all = new LinkedHashMap<>(details);
        all.putAll(more);
        return new NoetherReport(kind, model, step, time, values, all);
    }

    /**
     * The report as one event-log record: {@code type}, {@code model}, {@code step}, {@code time} (epoch
     * seconds), {@code metrics} (model-level), {@code layers} and {@code pairs} (by tag value, each a map
     * from metric name to value; extra tags such as side and relation are appended to the name with dots),
     * and {@code details} with the per-neuron data.
     */
    public Map<String, Object> toRecord() {
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("type", kind == Kind.STEP ? "step" : "analysis");
        record.put("model", model);
        record.put("step", step);
        record.put("time", time.toEpochMilli() / 1000.0);
        Map<String, Object> modelLevel = new LinkedHashMap<>();
        Map<String, Map<String, Object>> layers = new LinkedHashMap<>();
        Map<String, Map<String, Object>> pairs = new LinkedHashMap<>();
        for (Map.Entry<MetricKey, Double> e : values.entrySet()) {
            MetricKey key = e.getKey();
            String layer = key.tag("layer");
            String pair = key.tag("pair");
            Map<String, Object> target = layer != null ? layers.computeIfAbsent(layer, k -> new LinkedHashMap<>())
                    : pair != null ? pairs.computeIfAbsent(pair, k -> new LinkedHashMap<>()) : modelLevel;
            if (key.metric() == MetricFamily.CRH_PHASE) {
                if (e.getValue() == 1.0) {
                    target.put("crh.phase", key.tag("phase"));
                }
                continue;
            }
            StringBuilder name = new StringBuilder(key.metric().shortName());
            for (MetricKey.Tag t : key.tags()) {
                switch (t.key()) {
                    case "layer", "pair" -> { }
                    case "symmetry" -> target.put("symmetry", t.value());
                    default -> name.append('.').append(t.value());
                }
            }
            target.put(name.toString(), e.getValue());
        }
        record.put("metrics", modelLevel);
        record.put("layers", layers);
        record.put("pairs", pairs);
        if (!details.isEmpty()) {
            record.put("details", details);
        }
        return record;
    }

    @Override
    public String toString() {
        return kind + " report of " + model + " at step " + step + ": " + values;
    }

    /** Collects values; NaN and infinite values are dropped so that absent means "not measured". */
    static final class Builder {
        private final Kind kind;
        private final String model;
        private final long step;
        private final Instant time;
        private final Map<MetricKey, Double> values = new LinkedHashMap<>();
        private final Map<String, Object> details = new LinkedHashMap<>();

        private Builder(Kind kind, String model, long step, Instant time) {
            this.kind = kind;
            this.model = model;
            this.step = step;
            this.time = time;
        }

        Builder put(MetricFamily metric, double value, String... tagKeyValues) {
            if (Double.isFinite(value)) {
                values.put(MetricKey.of(metric, tagKeyValues), value);
            }
            return this;
        }

        Builder detail(String key, Object value) {
            details.put(key, value);
            return this;
        }

        NoetherReport build() {
            return new NoetherReport(kind, model, step, time, values, details);
        }
    }
}
