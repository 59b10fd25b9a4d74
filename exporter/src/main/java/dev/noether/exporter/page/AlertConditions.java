package dev.noether.exporter.page;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which conditions of the alert rules in {@code dashboards/prometheus/noether-alerts.yml} hold now, evaluated
 * on the page's history with the same thresholds and windows (record times stand in for Prometheus' clock),
 * without the rules' {@code for:} durations. A rule whose inputs are not in the history (or the registry) is
 * {@code no-data}, never quiet.
 */
final class AlertConditions {
    /** The alert names, exactly as in noether-alerts.yml. */
    static final List<String> RULES = List.of(
            "NoetherNeuronCollapse", "NoetherDeadNeurons", "NoetherRankCollapse", "NoetherRankHalved",
            "NoetherChargeResidualHigh", "NoetherChargeDriftRateHigh", "NoetherNormImbalanceRising",
            "NoetherCrhPhaseChange", "NoetherNonFiniteValues", "NoetherTrainingStalled",
            "NoetherMonitorOverheadHigh", "NoetherGpuIdleWhileTraining");

    enum State { HOLDS, QUIET, NO_DATA }

    /** One rule's state and, when it holds, the layers or pairs where it does. */
    record Condition(String rule, State state, List<String> where) {}

    private AlertConditions() {}

    /**
     * @param records the history, oldest first (maps without details)
     * @param now     epoch seconds of "now": the wall clock live, the last record's time in a replay
     * @param meters  readings of the live registry, or null in a replay
     */
    static List<Condition> evaluate(List<Map<String, Object>> records, double now, MeterReadings meters) {
        List<Condition> out = new ArrayList<>();
        Map<String, double[]> shapes = shapes(records);
        out.add(windowed(records, now, "layers", "neurons.distinct", 15 * 60,
                (v, max, min) -> max > 0 && 1 - v / max >= 0.25, "NoetherNeuronCollapse"));
        out.add(latest(records, "layers", "neurons.dead", l -> {
            double dead = PageJson.number(l, "neurons.dead"), n = shape(shapes, l)[0];
            return Double.isNaN(dead) || Double.isNaN(n) || n <= 0 ? null : dead / n > 0.5;
        }, "NoetherDeadNeurons"));
        out.add(latest(records, "layers", "layer.effective.rank", l -> {
            double rank = PageJson.number(l, "layer.effective.rank");
            double m = shape(shapes, l)[0], n = shape(shapes, l)[1];
            double limit = Double.isNaN(m) ? n : Double.isNaN(n) ? m : Math.min(m, n);
            return Double.isNaN(rank) || Double.isNaN(limit) || limit <= 0 ? null : rank / limit < 0.1;
        }, "NoetherRankCollapse"));
        out.add(windowed(records, now, "layers", "layer.effective.rank", 30 * 60,
                (v, max, min) -> v <= 0.5 * max, "NoetherRankHalved"));
        out.add(latest(records, "pairs", "charge.residual",
                p -> present(p, "charge.residual") ? PageJson.number(p, "charge.residual") > 1e-4 : null,
                "NoetherChargeResidualHigh"));
        out.add(latest(records, "pairs", "charge.drift.rate",
                p -> present(p, "charge.drift.rate") ? Math.abs(PageJson.number(p, "charge.drift.rate")) > 0.01 : null,
                "NoetherChargeDriftRateHigh"));
        out.add(windowed(records, now, "metrics", "norm.imbalance", 30 * 60,
                (v, max, min) -> v - min > 0.2, "NoetherNormImbalanceRising"));
        out.add(phaseChange(records, now));
        out.add(meters == null || meters.nonFinite() == null ? new Condition("NoetherNonFiniteValues", State.NO_DATA, List.of())
                : meterCondition("NoetherNonFiniteValues", meters.nonFinite() > 0));
        out.add(stalled(records, now, meters != null));
        out.add(meters == null || meters.monitorOverhead() == null ? new Condition("NoetherMonitorOverheadHigh", State.NO_DATA, List.of())
                : meterCondition("NoetherMonitorOverheadHigh", meters.monitorOverhead() > 0.05));
        out.add(gpuIdle(records, now, meters));
        return out;
    }

    @FunctionalInterface
    private interface WindowTest {
        boolean holds(double value, double max, double min);
    }

    @FunctionalInterface
    private interface LatestTest {
        /** null: no data for this series. */
        Boolean holds(Map<String, Object> series);
    }

    /** A rule on the latest value of each layer or pair (or the model) against its max/min over a window. */
    private static Condition windowed(List<Map<String, Object>> records, double now, String section, String metric,
                                      double windowSeconds, WindowTest test, String rule) {
        Map<String, double[]> latestMaxMin = new LinkedHashMap<>();
        for (Map<String, Object> r : records) {
            double t = PageJson.time(r);
            if (!Double.isNaN(t) && t < now - windowSeconds) continue;
            for (Map.Entry<String, Map<String, Object>> s : series(r, section).entrySet()) {
                double v = PageJson.number(s.getValue(), metric);
                if (Double.isNaN(v)) continue;
                double[] a = latestMaxMin.computeIfAbsent(s.getKey(), k -> new double[] {v, v, v});
                a[0] = v;
                a[1] = Math.max(a[1], v);
                a[2] = Math.min(a[2], v);
            }
        }
        if (latestMaxMin.isEmpty()) return new Condition(rule, State.NO_DATA, List.of());
        List<String> where = new ArrayList<>();
        latestMaxMin.forEach((name, a) -> {
            if (test.holds(a[0], a[1], a[2])) where.add(name);
        });
        return new Condition(rule, where.isEmpty() ? State.QUIET : State.HOLDS, where);
    }

    private static Condition latest(List<Map<String, Object>> records, String section, String metric, LatestTest test,
                                    String rule) {
        Map<String, Map<String, Object>> last = new LinkedHashMap<>();
        for (Map<String, Object> r : records) {
            series(r, section).forEach((name, s) -> {
                if (present(s, metric)) last.put(name, s);
            });
        }
        List<String> where = new ArrayList<>();
        boolean any = false;
        for (Map.Entry<String, Map<String, Object>> e : last.entrySet()) {
            Boolean holds = test.holds(withName(e.getValue(), e.getKey()));
            if (holds == null) continue;
            any = true;
            if (holds) where.add(e.getKey());
        }
        return new Condition(rule, !any ? State.NO_DATA : where.isEmpty() ? State.QUIET : State.HOLDS, where);
    }

    /** CRH phase: the current phase of a layer differs from one it had within the last 5 minutes. */
    private static Condition phaseChange(List<Map<String, Object>> records, double now) {
        Map<String, List<String>> phases = new LinkedHashMap<>();
        Map<String, String> before = new HashMap<>();
        for (Map<String, Object> r : records) {
            double t = PageJson.time(r);
            boolean inWindow = Double.isNaN(t) || t >= now - 300;
            series(r, "layers").forEach((layer, s) -> {
                if (!(s.get("crh.phase") instanceof String phase)) return;
                if (inWindow) {
                    phases.computeIfAbsent(layer, k -> new ArrayList<>()).add(phase);
                } else {
                    before.put(layer, phase);
                }
            });
        }
        if (phases.isEmpty()) return new Condition("NoetherCrhPhaseChange", State.NO_DATA, List.of());
        List<String> where = new ArrayList<>();
        phases.forEach((layer, list) -> {
            String current = list.get(list.size() - 1);
            boolean changed = before.containsKey(layer) && !before.get(layer).equals(list.get(0));
            for (String p : list) changed |= !p.equals(current);
            if (changed) where.add(layer + " → " + current);
        });
        return new Condition("NoetherCrhPhaseChange", where.isEmpty() ? State.QUIET : State.HOLDS, where);
    }

    /** Live only: the last step record is more than 600 s old. A replay has no "now" to compare with. */
    private static Condition stalled(List<Map<String, Object>> records, double now, boolean live) {
        double last = Double.NaN;
        for (Map<String, Object> r : records) {
            if ("step".equals(r.get("type"))) last = PageJson.time(r);
        }
        if (!live || Double.isNaN(last)) return new Condition("NoetherTrainingStalled", State.NO_DATA, List.of());
        return meterCondition("NoetherTrainingStalled", now - last > 600);
    }

    /** Steps advance in the last 5 minutes while every GPU is below 10 % busy; no GPU meters: no data. */
    private static Condition gpuIdle(List<Map<String, Object>> records, double now, MeterReadings meters) {
        if (meters == null || meters.gpus().isEmpty()) return new Condition("NoetherGpuIdleWhileTraining", State.NO_DATA, List.of());
        long first = -1, last = -1;
        for (Map<String, Object> r : records) {
            double t = PageJson.time(r);
            if (!"step".equals(r.get("type")) || (!Double.isNaN(t) && t < now - 300)) continue;
            if (first < 0) first = PageJson.step(r);
            last = PageJson.step(r);
        }
        double maxUtil = meters.gpus().stream().mapToDouble(g -> g.utilization() == null ? 1 : g.utilization()).max().orElse(1);
        return meterCondition("NoetherGpuIdleWhileTraining", last > first && maxUtil < 0.1);
    }

    private static Condition meterCondition(String rule, boolean holds) {
        return new Condition(rule, holds ? State.HOLDS : State.QUIET, List.of());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Map<String, Object>> series(Map<String, Object> record, String section) {
        if (section.equals("metrics")) {
            Map<String, Object> m = PageJson.section(record, "metrics");
            return m.isEmpty() ? Map.of() : Map.of("model", m);
        }
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        PageJson.section(record, section).forEach((k, v) -> {
            if (v instanceof Map<?, ?> m) out.put(k, (Map<String, Object>) m);
        });
        return out;
    }

    private static boolean present(Map<String, Object> s, String metric) {
        return !Double.isNaN(PageJson.number(s, metric));
    }

    private static Map<String, Object> withName(Map<String, Object> s, String name) {
        Map<String, Object> m = new HashMap<>(s);
        m.put("@name", name);
        return m;
    }

    /** The latest {neurons, inputs} of every layer (step records carry them, analysis records do not). */
    private static Map<String, double[]> shapes(List<Map<String, Object>> records) {
        Map<String, double[]> out = new HashMap<>();
        for (Map<String, Object> r : records) {
            series(r, "layers").forEach((layer, s) -> {
                double[] shape = out.computeIfAbsent(layer, k -> new double[] {Double.NaN, Double.NaN});
                double m = PageJson.number(s, "layer.neurons"), n = PageJson.number(s, "layer.inputs");
                if (!Double.isNaN(m)) shape[0] = m;
                if (!Double.isNaN(n)) shape[1] = n;
            });
        }
        return out;
    }

    private static double[] shape(Map<String, double[]> shapes, Map<String, Object> layer) {
        double[] known = shapes.getOrDefault(String.valueOf(layer.get("@name")), new double[] {Double.NaN, Double.NaN});
        double m = PageJson.number(layer, "layer.neurons"), n = PageJson.number(layer, "layer.inputs");
        return new double[] {Double.isNaN(m) ? known[0] : m, Double.isNaN(n) ? known[1] : n};
    }
}
