package dev.noether.exporter;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot.InfoDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.DoubleSupplier;

/**
 * Prometheus snapshots of single-value series whose family metadata and labels were built once, when the series
 * was added: a scrape only reads each value. Micrometer's own collector rebuilds and revalidates both for every
 * meter on every scrape, which was most of the scrape time of a 100-layer model. Each family keeps its series
 * sorted by labels, the order the snapshot wants, so building a snapshot sorts nothing.
 */
final class PrebuiltSeriesCollector implements MultiCollector {
    /** How a family is exposed, as Micrometer's Prometheus registry exposes the meters it comes from. */
    enum Kind { GAUGE, INFO, COUNTER }

    /** One series: its labels, where its value comes from, and (counters) when it was created. */
    private record Series(Labels labels, DoubleSupplier value, long createdMillis) {}

    private record Family(Kind kind, MetricMetadata metadata, Map<Labels, Series> series) {
        MetricSnapshot snapshot() {
            return switch (kind) {
                case GAUGE -> {
                    List<GaugeDataPointSnapshot> points = new ArrayList<>(series.size());
                    for (Series s : series.values()) {
                        points.add(new GaugeDataPointSnapshot(s.value.getAsDouble(), s.labels, null));
                    }
                    yield new GaugeSnapshot(metadata, points);
                }
                case INFO -> {
                    List<InfoDataPointSnapshot> points = new ArrayList<>(series.size());
                    for (Series s : series.values()) {
                        points.add(new InfoDataPointSnapshot(s.labels));
                    }
                    yield new InfoSnapshot(metadata, points);
                }
                case COUNTER -> {
                    List<CounterDataPointSnapshot> points = new ArrayList<>(series.size());
                    for (Series s : series.values()) {
                        points.add(new CounterDataPointSnapshot(s.value.getAsDouble(), s.labels, null, s.createdMillis));
                    }
                    yield new CounterSnapshot(metadata, points);
                }
            };
        }
    }

    private final Map<String, Family> families = new ConcurrentHashMap<>();

    /**
     * Adds a series to family {@code name} (its Prometheus name), creating the family with {@code kind} and
     * {@code help} if it is new. False, and nothing added, when the family already has a series with these labels.
     */
    boolean add(String name, Kind kind, String help, Labels labels, DoubleSupplier value, long createdMillis) {
        Family family = families.computeIfAbsent(name,
                n -> new Family(kind, new MetricMetadata(n, help, null), new ConcurrentSkipListMap<>()));
        return family.series.putIfAbsent(labels, new Series(labels, value, createdMillis)) == null;
    }

    /** Removes the series of family {@code name} with {@code labels}, and the family once it has none. */
    void remove(String name, Labels labels) {
        families.computeIfPresent(name, (n, family) -> {
            family.series.remove(labels);
            return family.series.isEmpty() ? null : family;
        });
    }

    @Override
    public MetricSnapshots collect() {
        List<MetricSnapshot> snapshots = new ArrayList<>(families.size());
        for (Family family : families.values()) {
            if (!family.series.isEmpty()) {
                snapshots.add(family.snapshot());
            }
        }
        return new MetricSnapshots(snapshots);
    }
}
