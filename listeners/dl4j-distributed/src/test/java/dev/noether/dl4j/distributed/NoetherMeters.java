package dev.noether.dl4j.distributed;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.Set;
import java.util.TreeSet;

/** What the tests count: Noether's series in a registry, Noether's threads in this JVM. */
final class NoetherMeters {
    private NoetherMeters() {}

    /** Every Noether meter's id (name and tags), sorted. */
    static Set<String> series(MeterRegistry registry) {
        Set<String> ids = new TreeSet<>();
        for (Meter m : registry.getMeters()) {
            if (m.getId().getName().startsWith("noether.")) ids.add(m.getId().toString());
        }
        return ids;
    }

    /** Tag values of {@code key} on {@code noether.steps} meters. */
    static Set<String> tagValues(MeterRegistry registry, String key) {
        Set<String> values = new TreeSet<>();
        for (Meter m : registry.find("noether.steps").meters()) {
            String v = m.getId().getTag(key);
            values.add(v == null ? "(none)" : v);
        }
        return values;
    }

    /**
     * The live threads of Noether's monitors: at most a step thread and an analysis thread each (both end when idle,
     * so the count moves with timing, never above twice the monitors).
     */
    static long threads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(n -> n.startsWith("noether-steps-") || n.startsWith("noether-analysis-")).count();
    }

    /** The sum of {@code noether.errors} of the given stage over every model and worker. */
    static double errors(MeterRegistry registry, String stage) {
        return registry.find("noether.errors").tag("stage", stage).functionCounters().stream()
                .mapToDouble(c -> c.count()).sum();
    }
}
