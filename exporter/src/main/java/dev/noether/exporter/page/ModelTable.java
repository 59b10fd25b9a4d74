package dev.noether.exporter.page;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The model table derived from the records alone: layers in the order they first appear, their shapes
 * ({@code layer.neurons} × {@code layer.inputs}), any string the records carry about them ({@code kind},
 * {@code activation}, ...), whether an analysis probed them, and the symmetry pairs with their symmetry.
 */
record ModelTable(List<String> models, List<Map<String, Object>> layers, List<Map<String, Object>> pairs,
                  boolean hasEffectiveLearningRate) {

    static ModelTable of(List<Map<String, Object>> records) {
        Set<String> models = new LinkedHashSet<>();
        Map<String, Map<String, Object>> layers = new LinkedHashMap<>();
        Map<String, Map<String, Object>> pairs = new LinkedHashMap<>();
        boolean effectiveLr = false;
        for (Map<String, Object> r : records) {
            if (r.get("model") instanceof String m) models.add(m);
            boolean analysis = "analysis".equals(r.get("type"));
            for (Map.Entry<String, Object> e : PageJson.section(r, "layers").entrySet()) {
                if (!(e.getValue() instanceof Map<?, ?> values)) continue;
                Map<String, Object> row = layers.computeIfAbsent(e.getKey(), k -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("name", k);
                    m.put("probed", false);
                    return m;
                });
                for (Map.Entry<?, ?> v : values.entrySet()) {
                    String key = String.valueOf(v.getKey());
                    if (key.equals("layer.neurons") && v.getValue() instanceof Number n) row.put("neurons", n.longValue());
                    else if (key.equals("layer.inputs") && v.getValue() instanceof Number n) row.put("inputs", n.longValue());
                    else if (key.equals("layer.effective.learning.rate")) effectiveLr = true;
                    else if (v.getValue() instanceof String s && !key.equals("crh.phase")) row.put(key.replace("layer.", ""), s);
                    else if (v.getValue() instanceof List<?> dims && key.endsWith("shape")) row.put("shape", join(dims));
                }
                if (analysis) row.put("probed", true);
            }
            for (Map.Entry<String, Object> e : PageJson.section(r, "pairs").entrySet()) {
                if (!(e.getValue() instanceof Map<?, ?> values)) continue;
                Map<String, Object> row = pairs.computeIfAbsent(e.getKey(), k -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("name", k);
                    return m;
                });
                if (values.get("symmetry") instanceof String s) row.put("symmetry", s);
            }
        }
        for (Map<String, Object> row : layers.values()) {
            if (row.get("neurons") instanceof Long m && row.get("inputs") instanceof Long n) row.put("weights", m * n);
            List<String> symmetries = new ArrayList<>();
            for (Map<String, Object> p : pairs.values()) {
                String name = String.valueOf(p.get("name"));
                for (String side : name.split(":")) {
                    if (side.equals(row.get("name"))) symmetries.add(name + " (" + p.getOrDefault("symmetry", "?") + ")");
                }
            }
            row.put("pairs", symmetries);
        }
        return new ModelTable(new ArrayList<>(models), new ArrayList<>(layers.values()), new ArrayList<>(pairs.values()),
                effectiveLr);
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
