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
            "NoetherChargeResidualHigh", "NoetherSymmetryBroken", "NoetherChargeDriftRateHigh", "NoetherNormImbalanceRising",
            "NoetherCrhPhaseChange", "NoetherNonFiniteValues", "NoetherTrainingStalled",
            "NoetherMonitorOverheadHigh", "NoetherGpuIdleWhileTraining");

    private static final String GRADIENT_PART = "charge.drift.rate.part.gradient";

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
        return evaluate(records, now, meters, ModelTable.of(records));
    }

    /** As above, with the model table the history already keeps (layer shapes). */
    static List<Condition> evaluate(List<Map<String, Object>> all, double now, MeterReadings meters, ModelTable table) {
        // One pass splits the history; the analysis rules then read the few analysis records only.
        List<Map<String, Object>> analyses = new ArrayList<>();
        List<Map<String, Object>> steps = new ArrayList<>(all.size());
        for (Map<String, Object> r : all) {
            if ("analysis".equals(r.get("type"))) analyses.add(r);
            else if ("step".equals(r.get("type"))) steps.add(r);
        }
        return evaluate(steps, analyses, now, meters, table);
    }

    /**
     * On the step and analysis records apart, oldest first. A record may be a bucket of the history (with
     * {@code min} and {@code max} sections): a windowed rule then takes the bucket's extremes, not its mean.
     */
    static List<Condition> evaluate(List<Map<String, Object>> steps, List<Map<String, Object>> analyses, double now,
                                    MeterReadings meters, ModelTable table) {
        Map<String, double[]> shapes = new HashMap<>();
        for (Map<String, Object> layer : table.layers()) {
            shapes.put(String.valueOf(layer.get("name")), new double[] {asDouble(layer.get("neurons")), asDouble(layer.get("inputs"))});
        }
        List<Condition> out = new ArrayList<>();
        List<Map<String, Object>> records = analyses;
        out.add(windowed(records, now, "layers", "neurons.distinct", 15 * 60,
                (v, max, min) -> max > 0 && 1 - v / max >= 0.25, "NoetherNeuronCollapse"));
        out.add(latest(records, "layers", "neurons.dead", (name, l) -> {
            double dead = PageJson.number(l, "neurons.dead"), n = shape(shapes, name, l)[0];
            return Double.isNaN(dead) || Double.isNaN(n) || n <= 0 ? null : dead / n > 0.5;
        }, "NoetherDeadNeurons"));
        out.add(latest(records, "layers", "layer.effective.rank", (name, l) -> {
            double rank = PageJson.number(l, "layer.effective.rank");
            double[] shape = shape(shapes, name, l);
            double m = shape[0], n = shape[1];
            double limit = Double.isNaN(m) ? n : Double.isNaN(n) ? m : Math.min(m, n);
            return Double.isNaN(rank) || Double.isNaN(limit) || limit <= 0 ? null : rank / limit < 0.1;
        }, "NoetherRankCollapse"));
        out.add(windowed(records, now, "layers", "layer.effective.rank", 30 * 60,
                (v, max, min) -> v <= 0.5 * max, "NoetherRankHalved"));
        records = steps;
        out.add(latest(records, "pairs", "charge.residual",
                (name, p) -> present(p, "charge.residual") ? PageJson.number(p, "charge.residual") > 1e-4 : null,
                "NoetherChargeResidualHigh"));
        out.add(latest(records, "pairs", GRADIENT_PART, (name, p) -> {
            if (!present(p, GRADIENT_PART)) return null;
            double gradient = Math.abs(PageJson.number(p, GRADIENT_PART)), moved = 0;
            for (String part : List.of("decay", "optimizer", "gradient", "step")) {
                moved += Math.abs(PageJson.number(p, "charge.drift.rate.part." + part));
            }
            return gradient > 0.1 * moved && gradient > 1e-6;
        }, "NoetherSymmetryBroken"));
        out.add(latest(records, "pairs", "charge.drift.rate",
                (name, p) -> present(p, "charge.drift.rate") ? Math.abs(PageJson.number(p, "charge.drift.rate")) > 0.01 : null,
                "NoetherChargeDriftRateHigh"));
        out.add(windowed(records, now, "metrics", "norm.imbalance", 30 * 60,
                (v, max, min) -> v - min > 0.2, "NoetherNormImbalanceRising"));
        out.add(phaseChange(analyses, now));
        out.add(meters == null || meters.nonFinite() == null ? new Condition("NoetherNonFiniteValues", State.NO_DATA, List.of())
                : meterCondition("NoetherNonFiniteValues", meters.nonFinite() > 0));
        out.add(stalled(records, now, meters != null));
        out.add(meters == null || meters.monitorOverhead() == null ? new Condition("NoetherMonitorOverheadHigh", State.NO_DATA, List.of())
                : meterCondition("NoetherMonitorOverheadHigh", meters.monitorOverhead()
                        > 1.5 * (meters.overheadBudget() == null ? 0.02 : meters.overheadBudget())));
        out.add(gpuIdle(records, now, meters));
        return out;
    }

    /**
     * One run's conditions from each worker's (evaluated on that worker's records, so that the latest value of a
     * layer is its own worker's): a rule holds where it holds for some worker, each place named with its worker when
     * there are several ({@code fc1 · w2}), and a rule of the whole model with the workers where it holds unless it
     * holds for all of them; quiet when it is quiet for some worker and holds for none; else no data.
     */
    static List<Condition> ofWorkers(Map<String, List<Condition>> byWorker) {
        List<Condition> out = new ArrayList<>();
        boolean named = byWorker.size() > 1;
        for (int i = 0; i < RULES.size(); i++) {
            String rule = null;
            State state = State.NO_DATA;
            List<String> where = new ArrayList<>();
            List<String> holdWithoutPlace = new ArrayList<>(); // a rule of the whole model, e.g. training stalled
            for (Map.Entry<String, List<Condition>> e : byWorker.entrySet()) {
                Condition c = e.getValue().get(i);
                rule = c.rule();
                String worker = e.getKey() == null ? "(no worker)" : e.getKey();
                if (c.state() == State.HOLDS) {
                    state = State.HOLDS;
                    for (String w : c.where()) where.add(named ? w + " · " + worker : w);
                    if (c.where().isEmpty()) holdWithoutPlace.add(worker);
                } else if (c.state() == State.QUIET && state == State.NO_DATA) {
                    state = State.QUIET;
                }
            }
            // name the workers where it holds, unless it holds for all (the registry's rules: one process)
            if (holdWithoutPlace.size() < byWorker.size()) where.addAll(holdWithoutPlace);
            out.add(new Condition(rule, state, where));
        }
        return out;
    }

    @FunctionalInterface
    private interface WindowTest {
        boolean holds(double value, double max, double min);
    }

    @FunctionalInterface
    private interface LatestTest {
        /** null: no data for this series. */
        Boolean holds(String name, Map<String, Object> series);
    }

    /** A rule on the latest value of each layer or pair (or the model) against its max/min over a window. */
    private static Condition windowed(List<Map<String, Object>> records, double now, String section, String metric,
                                      double windowSeconds, WindowTest test, String rule) {
        // Newest first, so the window ends the scan: {latest, max, min} per series.
        Map<String, double[]> latestMaxMin = new LinkedHashMap<>();
        for (int i = records.size() - 1; i >= 0; i--) {
            Map<String, Object> r = records.get(i);
            double t = PageJson.time(r);
            if (!Double.isNaN(t) && t < now - windowSeconds) break;
            forEachSeries(r, section, (name, s) -> {
                double v = PageJson.number(s, metric);
                if (Double.isNaN(v)) return;
                double hi = extreme(r, "max", section, name, metric, v);
                double lo = extreme(r, "min", section, name, metric, v);
                double[] a = latestMaxMin.computeIfAbsent(name, k -> new double[] {v, hi, lo});
                a[1] = Math.max(a[1], hi);
                a[2] = Math.min(a[2], lo);
            });
        }
        if (latestMaxMin.isEmpty()) return new Condition(rule, State.NO_DATA, List.of());
        List<String> where = new ArrayList<>();
        latestMaxMin.forEach((name, a) -> {
            if (test.holds(a[0], a[1], a[2])) where.add(name);
        });
        return new Condition(rule, where.isEmpty() ? State.QUIET : State.HOLDS, where);
    }

    /** A bucket's {@code max} or {@code min} of the series' metric; {@code fallback} for a full-resolution record. */
    private static double extreme(Map<String, Object> record, String which, String section, String name, String metric,
                                  double fallback) {
        if (!(record.get(which) instanceof Map<?, ?> m)) return fallback;
        @SuppressWarnings("unchecked")
        Map<String, Object> values = PageJson.section((Map<String, Object>) m, section);
        if (!section.equals("metrics")) {
            @SuppressWarnings("unchecked")
            Map<String, Object> series = values.get(name) instanceof Map<?, ?> s ? (Map<String, Object>) s : Map.of();
            values = series;
        }
        double v = PageJson.number(values, metric);
        return Double.isNaN(v) ? fallback : v;
    }

    private static Condition latest(List<Map<String, Object>> records, String section, String metric, LatestTest test,
                                    String rule) {
        // The newest record that carries the metric: its series are "now".
        Map<String, Map<String, Object>> last = new LinkedHashMap<>();
        for (int i = records.size() - 1; i >= 0 && last.isEmpty(); i--) {
            forEachSeries(records.get(i), section, (name, s) -> {
                if (present(s, metric)) last.put(name, s);
            });
        }
        List<String> where = new ArrayList<>();
        boolean any = false;
        for (Map.Entry<String, Map<String, Object>> e : last.entrySet()) {
            Boolean holds = test.holds(e.getKey(), e.getValue());
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
            forEachSeries(r, "layers", (layer, s) -> {
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
        for (int i = records.size() - 1; i >= 0 && Double.isNaN(last); i--) {
            if ("step".equals(records.get(i).get("type"))) last = PageJson.time(records.get(i));
        }
        if (!live || Double.isNaN(last)) return new Condition("NoetherTrainingStalled", State.NO_DATA, List.of());
        return meterCondition("NoetherTrainingStalled", now - last > 600);
    }

    /** Steps advance in the last 5 minutes while every GPU is below 10 % busy; no GPU meters: no data. */
    private static Condition gpuIdle(List<Map<String, Object>> records, double now, MeterReadings meters) {
        if (meters == null || meters.gpus().isEmpty()) return new Condition("NoetherGpuIdleWhileTraining", State.NO_DATA, List.of());
        long first = -1, last = -1;
        for (int i = records.size() - 1; i >= 0; i--) {
            Map<String, Object> r = records.get(i);
            double t = PageJson.time(r);
            if (!Double.isNaN(t) && t < now - 300) break;
            if (!"step".equals(r.get("type"))) continue;
            if (last < 0) last = PageJson.step(r);
            first = PageJson.step(r);
        }
        double maxUtil = meters.gpus().stream().mapToDouble(g -> g.utilization() == null ? 1 : g.utilization()).max().orElse(1);
        return meterCondition("NoetherGpuIdleWhileTraining", last > first && maxUtil < 0.1);
    }

    private static Condition meterCondition(String rule, boolean holds) {
        return new Condition(rule, holds ? State.HOLDS : State.QUIET, List.of());
    }

    /** Each layer or pair of the record's section with its values; {@code metrics} is one series, "model". */
    @SuppressWarnings("unchecked")
    private static void forEachSeries(Map<String, Object> record, String section,
                                      java.util.function.BiConsumer<String, Map<String, Object>> action) {
        Map<String, Object> values = PageJson.section(record, section);
        if (section.equals("metrics")) {
            if (!values.isEmpty()) action.accept("model", values);
            return;
        }
        for (Map.Entry<String, Object> e : values.entrySet()) {
            if (e.getValue() instanceof Map<?, ?> m) action.accept(e.getKey(), (Map<String, Object>) m);
        }
    }

    private static boolean present(Map<String, Object> s, String metric) {
        return !Double.isNaN(PageJson.number(s, metric));
    }


    private static double asDouble(Object v) {
        return v instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    private static double[] shape(Map<String, double[]> shapes, String name, Map<String, Object> layer) {
        double[] known = shapes.getOrDefault(name, new double[] {Double.NaN, Double.NaN});
        double m = PageJson.number(layer, "layer.neurons"), n = PageJson.number(layer, "layer.inputs");
        return new double[] {Double.isNaN(m) ? known[0] : m, Double.isNaN(n) ? known[1] : n};
    }
}
