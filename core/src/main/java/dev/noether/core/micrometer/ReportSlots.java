package dev.noether.core.micrometer;

import dev.noether.core.runtime.MetricKey;
import dev.noether.core.runtime.NoetherReport;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The values of the latest report of one kind, by series slot, so that each gauge reads its value with one array
 * load instead of hashing its {@link MetricKey} into the report's map on every scrape. The array is built once
 * per report (one pass over its values) and kept until another report is read; a scrape holds
 * {@code ScrapeConsistency.read}, so every gauge of one scrape sees the same report. Two concurrent scrapes may
 * both build the array of a new report: each builds a whole one and publishes it with one volatile write.
 */
final class ReportSlots {
    private static final Indexed NONE = new Indexed(null, new double[0]);

    private final Map<MetricKey, Integer> slots = new ConcurrentHashMap<>();
    // slots below size are in the map: written after the put, read before the map, so an array built from it
    // never misses a registered series of its report
    private volatile int size;
    private volatile Indexed latest = NONE;

    /** The slot of {@code key}, the same on every call; assigned the first time the key is seen. */
    synchronized int slotOf(MetricKey key) {
        Integer slot = slots.get(key);
        if (slot != null) {
            return slot;
        }
        int n = size;
        slots.put(key, n);
        size = n + 1;
        return n;
    }

    /** The value of series {@code slot} in {@code report}, NaN when the report is null or lacks it. */
    double value(NoetherReport report, int slot) {
        if (report == null) {
            return Double.NaN;
        }
        Indexed i = latest;
        // a slot past the array: its series was registered after the array was built from this same report
        if (i.report != report || slot >= i.values.length) {
            i = index(report);
            latest = i;
        }
        return i.values[slot];
    }

    private Indexed index(NoetherReport report) {
        double[] values = new double[size];
        Arrays.fill(values, Double.NaN); // absent from the report means not measured (NoetherReport drops NaN)
        for (Map.Entry<MetricKey, Double> e : report.values().entrySet()) {
            Integer slot = slots.get(e.getKey());
            if (slot != null && slot < values.length) {
                values[slot] = e.getValue();
            }
        }
        return new Indexed(report, values);
    }

    private record Indexed(NoetherReport report, double[] values) {}
}
