package dev.noether.exporter;

import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusScrapeRequest;
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
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.DoubleSupplier;
import java.util.function.Predicate;

/**
 * Prometheus snapshots of single-value series whose family metadata and labels were built once, when the series
 * was added: a scrape only reads each value. Micrometer's own collector rebuilds and revalidates both for every
 * meter on every scrape, which was most of the scrape time of a 100-layer model. Each family keeps its series
 * sorted by labels, the order the snapshot wants, so building a snapshot sorts nothing.
 *
 * <p>{@link #write} goes further for the text formats: each family's lines are written once by client_java's
 * own writer (see {@link PrebuiltFamilyText}), and a scrape then writes each series' saved
 * {@code name{labels} } and its value.
 */
final class PrebuiltSeriesCollector implements MultiCollector {
    /** How a family is exposed, as Micrometer's Prometheus registry exposes the meters it comes from. */
    enum Kind { GAUGE, INFO, COUNTER }

    /** One series: its labels, where its value comes from, and (counters) when it was created. */
    record Series(Labels labels, DoubleSupplier value, long createdMillis) {}

    private static final class Family {
        final Kind kind;
        final MetricMetadata metadata;
        final Map<Labels, Series> series = new ConcurrentSkipListMap<>();
        // counts the changes of series, after each: a text built from an older count is built again
        volatile int version;
        // by writer: the family's text and the version it was built from
        final Map<ExpositionFormatWriter, Built> texts = new ConcurrentHashMap<>();

        Family(Kind kind, MetricMetadata metadata) {
            this.kind = kind;
            this.metadata = metadata;
        }

        MetricSnapshot snapshot() {
            return snapshot(List.copyOf(series.values()), false);
        }

        /** The snapshot of {@code these} series, with their values or (a text template) with 0. */
        MetricSnapshot snapshot(List<Series> these, boolean zeros) {
            return switch (kind) {
                case GAUGE -> {
                    List<GaugeDataPointSnapshot> points = new ArrayList<>(these.size());
                    for (Series s : these) {
                        points.add(new GaugeDataPointSnapshot(zeros ? 0 : s.value.getAsDouble(), s.labels, null));
                    }
                    yield new GaugeSnapshot(metadata, points);
                }
                case INFO -> {
                    List<InfoDataPointSnapshot> points = new ArrayList<>(these.size());
                    for (Series s : these) {
                        points.add(new InfoDataPointSnapshot(s.labels));
                    }
                    yield new InfoSnapshot(metadata, points);
                }
                case COUNTER -> {
                    List<CounterDataPointSnapshot> points = new ArrayList<>(these.size());
                    for (Series s : these) {
                        points.add(new CounterDataPointSnapshot(zeros ? 0 : s.value.getAsDouble(), s.labels, null,
                                s.createdMillis));
                    }
                    yield new CounterSnapshot(metadata, points);
                }
            };
        }

        PrebuiltFamilyText text(ExpositionFormatWriter writer) throws IOException {
            Built built = texts.get(writer);
            int v = version;
            if (built == null || built.version != v) {
                List<Series> these = List.copyOf(series.values());
                built = new Built(v, PrebuiltFamilyText.of(writer, kind == Kind.INFO, these, snapshot(these, true)));
                texts.put(writer, built);
            }
            return built.text;
        }
    }

    private record Built(int version, PrebuiltFamilyText text) {}

    private final Map<String, Family> families = new ConcurrentSkipListMap<>();

    /**
     * Adds a series to family {@code name} (its Prometheus name), creating the family with {@code kind} and
     * {@code help} if it is new. False, and nothing added, when the family already has a series with these labels.
     */
    boolean add(String name, Kind kind, String help, Labels labels, DoubleSupplier value, long createdMillis) {
        Family family = families.computeIfAbsent(name, n -> new Family(kind, new MetricMetadata(n, help, null)));
        boolean added = family.series.putIfAbsent(labels, new Series(labels, value, createdMillis)) == null;
        family.version++; // registrations and removals come one at a time (ExporterMeterRegistry)
        return added;
    }

    /** Removes the series of family {@code name} with {@code labels}, and the family once it has none. */
    void remove(String name, Labels labels) {
        families.computeIfPresent(name, (n, family) -> {
            family.series.remove(labels);
            family.version++;
            return family.series.isEmpty() ? null : family;
        });
    }

    /**
     * A scrape filter for the registry's other collectors: it passes the families of other names, and notes one
     * with the name of a family here (written from both, that family would appear twice). This collector
     * gives nothing to it.
     */
    final class OtherFamilies implements Predicate<String> {
        private volatile boolean clash;

        @Override
        public boolean test(String name) {
            if (families.containsKey(name)) {
                clash = true;
                return false;
            }
            return true;
        }

        boolean clash() {
            return clash;
        }
    }

    @Override
    public MetricSnapshots collect() {
        return collect(name -> true, null);
    }

    @Override
    public MetricSnapshots collect(Predicate<String> includedNames, PrometheusScrapeRequest scrapeRequest) {
        if (includedNames instanceof OtherFamilies) {
            return MetricSnapshots.of();
        }
        List<MetricSnapshot> snapshots = new ArrayList<>(families.size());
        for (Map.Entry<String, Family> e : families.entrySet()) {
            if (!e.getValue().series.isEmpty() && includedNames.test(e.getKey())) {
                snapshots.add(e.getValue().snapshot());
            }
        }
        return new MetricSnapshots(snapshots);
    }

    /**
     * Writes every family as {@code writer} (a text format) writes it, without its end-of-exposition line;
     * false, with nothing written, when that writer's text is not one line per series (say, with created
     * timestamps on), so the caller lets the writer write it all.
     */
    boolean write(OutputStream out, ExpositionFormatWriter writer) throws IOException {
        List<PrebuiltFamilyText> texts = new ArrayList<>(families.size());
        for (Family family : families.values()) {
            PrebuiltFamilyText text = family.text(writer);
            if (!text.writable()) {
                return false;
            }
            texts.add(text);
        }
        for (PrebuiltFamilyText text : texts) {
            text.write(out);
        }
        return true;
    }
}
