package dev.noether.exporter.page;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * What the page reads from a live registry (never from the event log, which does not carry it): the
 * monitor's own cost and skips, non-finite counts, and GPU gauges when some other part of the application
 * registers them ({@code noether.gpu.utilization}, {@code noether.gpu.memory.used},
 * {@code noether.gpu.memory.total}, {@code noether.gpu.power}, {@code noether.gpu.temperature}, tagged
 * {@code gpu}).
 */
record MeterReadings(Double monitorOverhead, Double overheadBudget, Double observedFraction, Long analyses,
                     Double analysisSecondsMean, Double analysisSecondsMax, Map<String, Double> skipped,
                     Double nonFinite, Double errors, List<Gpu> gpus) {

    /** One GPU's gauges; a gauge not registered is null. */
    record Gpu(String gpu, Double utilization, Double memoryUsed, Double memoryTotal, Double power, Double temperature) {}

    static MeterReadings read(MeterRegistry registry) {
        // several models: the most costly one, the tightest budget, the least observed
        Double overhead = max(registry.find("noether.monitor.overhead").gauges());
        Double budget = min(registry.find("noether.monitor.overhead.budget").gauges());
        Double observed = min(registry.find("noether.monitor.observed.fraction").gauges());
        Timer heavy = registry.find("noether.analysis").tag("tier", "heavy").timer();
        Long analyses = heavy == null ? null : heavy.count();
        Double mean = heavy == null || heavy.count() == 0 ? null : heavy.mean(TimeUnit.SECONDS);
        Double maxSeconds = heavy == null || heavy.count() == 0 ? null : heavy.max(TimeUnit.SECONDS);
        Map<String, Double> skipped = new TreeMap<>();
        for (Meter m : registry.find("noether.analysis.skipped").meters()) {
            String reason = String.valueOf(m.getId().getTag("reason"));
            skipped.merge(reason, count(m), Double::sum);
        }
        Double nonFinite = sumOrNull(registry.find("noether.nonfinite").meters());
        Double errors = sumOrNull(registry.find("noether.errors").meters());
        return new MeterReadings(overhead, budget, observed, analyses, mean, maxSeconds, skipped, nonFinite, errors,
                gpus(registry));
    }

    private static List<Gpu> gpus(MeterRegistry registry) {
        Map<String, Map<String, Double>> byGpu = new TreeMap<>();
        for (String name : List.of("utilization", "memory.used", "memory.total", "power", "temperature")) {
            for (Gauge g : registry.find("noether.gpu." + name).gauges()) {
                String gpu = g.getId().getTag("gpu");
                double v = g.value();
                if (gpu != null && Double.isFinite(v)) byGpu.computeIfAbsent(gpu, k -> new LinkedHashMap<>()).put(name, v);
            }
        }
        List<Gpu> out = new ArrayList<>();
        byGpu.forEach((gpu, v) -> out.add(new Gpu(gpu, v.get("utilization"), v.get("memory.used"), v.get("memory.total"),
                v.get("power"), v.get("temperature"))));
        return out;
    }

    private static double count(Meter m) {
        if (m instanceof FunctionCounter fc) return fc.count();
        if (m instanceof io.micrometer.core.instrument.Counter c) return c.count();
        double total = 0;
        for (var ms : m.measure()) total += ms.getValue();
        return total;
    }

    private static Double sumOrNull(java.util.Collection<Meter> meters) {
        if (meters.isEmpty()) return null;
        double s = 0;
        for (Meter m : meters) s += count(m);
        return s;
    }

    private static Double min(java.util.Collection<Gauge> gauges) {
        Double best = null;
        for (Gauge g : gauges) {
            double v = g.value();
            if (Double.isFinite(v) && (best == null || v < best)) best = v;
        }
        return best;
    }

    private static Double max(java.util.Collection<Gauge> gauges) {
        Double best = null;
        for (Gauge g : gauges) {
            double v = g.value();
            if (Double.isFinite(v) && (best == null || v > best)) best = v;
        }
        return best;
    }
}
