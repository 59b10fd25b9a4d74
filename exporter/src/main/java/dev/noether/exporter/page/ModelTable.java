package dev.noether.exporter.page;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The model table derived from the records alone: layers in the order they first appear, their shapes
 * ({@code layer.neurons} × {@code layer.inputs}), what the {@code model} details of step records say about them
 * (kind, activation, normalization, the engine's weight shape) and the optimizer, any other string the records
 * carry about a layer, whether an analysis probed them, the symmetry pairs with their symmetry, and the nodes
 * Noether could not map with the reason ({@code model.unsupported}, METRICS.md §12).
 */
record ModelTable(List<String> models, List<Map<String, Object>> layers, List<Map<String, Object>> pairs,
                  boolean hasEffectiveLearningRate, String optimizer, List<Map<String, Object>> unsupported) {

    static ModelTable of(List<Map<String, Object>> records) {
        Accumulator a = new Accumulator();
        for (Map<String, Object> r : records) a.add(r);
        return a.table();
    }

    /**
     * Builds the table one record at a time (the history feeds it as records arrive, so {@code /api/run}
     * never walks the whole history for it). Not thread-safe: the history calls it under its lock.
     */
    static final class Accumulator {
        private final Set<String> models = new LinkedHashSet<>();
        private final Map<String, Map<String, Object>> layers = new LinkedHashMap<>();
        private final Map<String, Map<String, Object>> pairs = new LinkedHashMap<>();
        private boolean effectiveLr;
        private String optimizer;
        private final Map<String, Map<String, Object>> unsupported = new LinkedHashMap<>();

        void add(Map<String, Object> r) {
            add(RecordValues.of(r));
        }

        void add(RecordValues r) {
            boolean analysis = "analysis".equals(r.type());
            r.forEachValue(new RecordValues.Visitor() {
                @Override
                public void number(String section, String name, String key, double value) {
                    if (!"layers".equals(section) || key == null) return;
                    if (key.equals("layer.neurons")) row(name).putIfAbsent("neurons", (long) value);
                    else if (key.equals("layer.inputs")) row(name).putIfAbsent("inputs", (long) value);
                    else if (key.equals("layer.effective.learning.rate")) effectiveLr = true;
                }

                @Override
                public void other(String section, String name, String key, Object value) {
                    if (name == null) {
                        if (section.equals("model") && value instanceof String m) models.add(m);
                    } else if (section.equals("layers")) {
                        Map<String, Object> row = row(name);
                        if (analysis && value == RecordValues.NODE) row.put("probed", true);
                        if (key == null) return;
                        if (value instanceof String s && !key.equals("crh.phase")) row.put(key.replace("layer.", ""), s);
                        else if (value instanceof List<?> dims && key.endsWith("shape")) row.put("shape", join(dims));
                    } else if (section.equals("pairs")) {
                        Map<String, Object> row = pairs.computeIfAbsent(name, k -> {
                            Map<String, Object> m = new LinkedHashMap<>();
                            m.put("name", k);
                            return m;
                        });
                        if ("symmetry".equals(key) && value instanceof String s) row.put("symmetry", s);
                    }
                }
            });
        }

        /**
         * The {@code model} details of a step record: {@code optimizer}, and per layer {@code kind},
         * {@code activation}, {@code normalization}, {@code shape} ("16x6x5x5", shown as 16 × 6 × 5 × 5).
         */
        void addDescription(Map<?, ?> description) {
            if (description.get("optimizer") instanceof String o) optimizer = o;
            if (description.get("unsupported") instanceof List<?> nodes) {
                for (Object node : nodes) {
                    if (node instanceof Map<?, ?> u && u.get("name") instanceof String name) {
                        Map<String, Object> row = new LinkedHashMap<>();
                        row.put("name", name);
                        row.put("reason", String.valueOf(u.get("reason")));
                        unsupported.putIfAbsent(name, row);
                    }
                }
            }
            if (!(description.get("layers") instanceof Map<?, ?> byLayer)) return;
            for (Map.Entry<?, ?> e : byLayer.entrySet()) {
                if (!(e.getValue() instanceof Map<?, ?> info)) continue;
                Map<String, Object> row = row(String.valueOf(e.getKey()));
                for (String key : List.of("kind", "activation", "normalization")) {
                    if (info.get(key) instanceof String v) row.put(key, v);
                }
                if (info.get("shape") instanceof String shape) row.put("shape", shape.replace("x", " × "));
            }
        }

        private Map<String, Object> row(String name) {
            return layers.computeIfAbsent(name, k -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", k);
                m.put("probed", false);
                return m;
            });
        }

        /** A snapshot: later records do not change it. */
        ModelTable table() {
            Map<String, List<String>> pairsOfLayer = new LinkedHashMap<>();
            for (Map<String, Object> p : pairs.values()) {
                String name = String.valueOf(p.get("name"));
                for (String side : name.split(":")) {
                    pairsOfLayer.computeIfAbsent(side, k -> new ArrayList<>()).add(name + " (" + p.getOrDefault("symmetry", "?") + ")");
                }
            }
            List<Map<String, Object>> rows = new ArrayList<>();
            for (Map<String, Object> layer : layers.values()) {
                Map<String, Object> row = new LinkedHashMap<>(layer);
                if (row.get("neurons") instanceof Long m && row.get("inputs") instanceof Long n) row.put("weights", m * n);
                row.put("pairs", pairsOfLayer.getOrDefault(String.valueOf(row.get("name")), List.of()));
                rows.add(row);
            }
            List<Map<String, Object>> pairRows = new ArrayList<>();
            for (Map<String, Object> p : pairs.values()) pairRows.add(new LinkedHashMap<>(p));
            List<Map<String, Object>> skipped = new ArrayList<>();
            for (Map<String, Object> u : unsupported.values()) skipped.add(new LinkedHashMap<>(u));
            return new ModelTable(new ArrayList<>(models), rows, pairRows, effectiveLr, optimizer, skipped);
        }
    }

    private static String join(List<?> dims) {
        StringBuilder b = new StringBuilder();
        for (Object d : dims) {
            if (b.length() > 0) b.append(" × ");
            b.append(d instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) ? String.valueOf(n.longValue()) : d);
        }
        return b.toString();
    }
}
