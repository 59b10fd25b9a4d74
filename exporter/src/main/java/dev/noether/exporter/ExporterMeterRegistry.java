package dev.noether.exporter;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.LongTaskTimer;
import io.micrometer.core.instrument.Measurement;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.core.instrument.distribution.pause.PauseDetector;
import io.micrometer.core.instrument.noop.NoopCounter;
import io.micrometer.core.instrument.noop.NoopDistributionSummary;
import io.micrometer.core.instrument.noop.NoopFunctionTimer;
import io.micrometer.core.instrument.noop.NoopLongTaskTimer;
import io.micrometer.core.instrument.noop.NoopMeter;
import io.micrometer.core.instrument.noop.NoopTimer;
import io.micrometer.core.instrument.cumulative.CumulativeFunctionCounter;
import io.micrometer.core.instrument.internal.DefaultGauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.config.PrometheusPropertiesLoader;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.expositionformats.OpenMetricsTextFormatWriter;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * The exporter's own registry: a {@link PrometheusMeterRegistry} whose gauges and function counters (nearly all
 * of Noether's series) are scraped through a {@link PrebuiltSeriesCollector}, with labels and metadata built
 * once at registration, and in the two text formats written from text saved per family; other meters go the
 * usual Micrometer way. The exposition is the same: the same Prometheus names (the registry's naming
 * convention), labels (convention tag keys, tag values as they are), HELP text, types ({@code .info} gauges as
 * info) and values; only the families' order differs (the prebuilt ones come first, each still whole). Meters
 * are registered as usual, so meter filters, common tags, {@code find} and {@code remove} behave as on the
 * plain registry, and {@link #getPrometheusRegistry()} collects every meter.
 *
 * <p>Like Micrometer's registry, it refuses (with {@link #meterRegistrationFailed}) a meter whose Prometheus
 * name is taken by a meter of another Micrometer name or type; a refused gauge or function counter works but is
 * not exposed (as in Micrometer), another meter refused for the name of a prebuilt family is a no-op meter.
 */
final class ExporterMeterRegistry extends PrometheusMeterRegistry {
    /** Which meter first took a Prometheus name, and how many registered meters have that name now. */
    private static final class Claim {
        final Meter.Id first;
        final boolean prebuilt;
        int meters;

        Claim(Meter.Id first, boolean prebuilt) {
            this.first = first;
            this.prebuilt = prebuilt;
        }

        boolean admits(Meter.Id id) {
            return first.getName().equals(id.getName()) && first.getType() == id.getType();
        }
    }

    private record Exported(String name, Labels labels) {}

    private final boolean descriptions;
    private final ExpositionFormats formats; // the writers Micrometer's scrape uses, made from the same properties
    private final PrebuiltSeriesCollector prebuilt = new PrebuiltSeriesCollector();
    // guarded by this; Micrometer registers meters one at a time, this also covers removals
    private final Map<String, Claim> claims = new HashMap<>();
    private final Map<Meter.Id, Exported> exported = new HashMap<>();
    private final Set<Meter.Id> refused = new HashSet<>();

    ExporterMeterRegistry(PrometheusConfig config) {
        super(config);
        this.descriptions = config.descriptions();
        Properties properties = config.prometheusProperties();
        this.formats = ExpositionFormats.init((properties != null ? PrometheusPropertiesLoader.load(properties)
                : PrometheusPropertiesLoader.load()).getExporterProperties());
        getPrometheusRegistry().register(prebuilt);
        config().onMeterAdded(this::added);
        config().onMeterRemoved(this::removed);
    }

    /**
     * Writes the prebuilt families from their saved text ({@link PrebuiltSeriesCollector#write}), then the other
     * meters as Micrometer writes them; for the two text formats only. Falls back to Micrometer's whole scrape
     * when the writer's text does not fit the saved form or another meter's family has a prebuilt family's name
     * (one family must not be written in two places).
     */
    @Override
    public void scrape(OutputStream out, String contentType) throws IOException {
        ExpositionFormatWriter writer = formats.findWriter(contentType);
        if (!(writer instanceof PrometheusTextFormatWriter || writer instanceof OpenMetricsTextFormatWriter)) {
            super.scrape(out, contentType);
            return;
        }
        PrebuiltSeriesCollector.OtherFamilies others = prebuilt.new OtherFamilies();
        MetricSnapshots rest = getPrometheusRegistry().scrape(others);
        if (others.clash() || !prebuilt.write(out, writer)) {
            super.scrape(out, contentType);
            return;
        }
        writer.write(out, rest);
    }

    @Override
    protected <T> Gauge newGauge(Meter.Id id, T obj, ToDoubleFunction<T> valueFunction) {
        Gauge gauge = new DefaultGauge<>(id, obj, valueFunction);
        // Micrometer exposes a gauge named *.info as an info metric: its labels, value always 1
        PrebuiltSeriesCollector.Kind kind = id.getName().endsWith(".info")
                ? PrebuiltSeriesCollector.Kind.INFO : PrebuiltSeriesCollector.Kind.GAUGE;
        export(id, kind, gauge::value, 0);
        return gauge;
    }

    @Override
    protected <T> FunctionCounter newFunctionCounter(Meter.Id id, T obj, ToDoubleFunction<T> countFunction) {
        FunctionCounter counter = new CumulativeFunctionCounter<>(id, obj, countFunction);
        export(id, PrebuiltSeriesCollector.Kind.COUNTER, counter::count, clock.wallTime());
        return counter;
    }

    private synchronized void export(Meter.Id id, PrebuiltSeriesCollector.Kind kind, DoubleSupplier value,
                                     long createdMillis) {
        String name = getConventionName(id);
        Claim claim = claims.get(name);
        if (claim != null && !claim.admits(id)) {
            refuse(id, "A meter with the same Prometheus name (" + name + ") is already registered as "
                    + claim.first.getName() + ", a " + claim.first.getType() + ".");
            return;
        }
        Labels labels = labels(id);
        String help = descriptions && id.getDescription() != null ? id.getDescription() : " ";
        if (!prebuilt.add(name, kind, help, labels, value, createdMillis)) {
            refuse(id, "Another meter named " + name + " has the same labels " + labels + ".");
            return;
        }
        if (claim == null) {
            claim = new Claim(id, true);
            claims.put(name, claim);
        }
        claim.meters++;
        exported.put(id, new Exported(name, labels));
    }

    /** The labels Micrometer's registry gives the meter: convention tag keys, tag values as they are. */
    private Labels labels(Meter.Id id) {
        List<Tag> conventionTags = getConventionTags(id);
        List<String> keys = new ArrayList<>(conventionTags.size());
        for (Tag t : conventionTags) {
            keys.add(t.getKey());
        }
        List<String> values = new ArrayList<>(conventionTags.size());
        for (Tag t : id.getTagsAsIterable()) {
            values.add(t.getValue());
        }
        return Labels.of(keys, values);
    }

    private void refuse(Meter.Id id, String reason) {
        refused.add(id);
        meterRegistrationFailed(id, reason);
    }

    /**
     * Every meter, once registered: the ones Micrometer collects claim their name too (Micrometer itself
     * refuses conflicts among them).
     */
    private synchronized void added(Meter meter) {
        Meter.Id id = meter.getId();
        if (!exported.containsKey(id) && !refused.contains(id)) {
            claims.computeIfAbsent(getConventionName(id), n -> new Claim(id, false)).meters++;
        }
    }

    private synchronized void removed(Meter meter) {
        Meter.Id id = meter.getId();
        if (refused.remove(id)) {
            return;
        }
        Exported e = exported.remove(id);
        if (e != null) {
            prebuilt.remove(e.name, e.labels);
        }
        String name = e != null ? e.name : getConventionName(id);
        Claim claim = claims.get(name);
        if (claim != null && --claim.meters <= 0) {
            claims.remove(name);
        }
    }

    /**
     * True, after reporting the failure, when a meter Micrometer would collect has the Prometheus name of a
     * prebuilt family of another Micrometer name or type: Micrometer would have refused it (and a scrape with
     * both would fail), so it becomes a no-op meter.
     */
    private synchronized boolean refusedByPrebuilt(Meter.Id id) {
        String name = getConventionName(id);
        Claim claim = claims.get(name);
        if (claim == null || !claim.prebuilt || claim.admits(id)) {
            return false;
        }
        refuse(id, "A meter with the same Prometheus name (" + name + ") is already registered as "
                + claim.first.getName() + ", a " + claim.first.getType() + ".");
        return true;
    }

    @Override
    public Counter newCounter(Meter.Id id) {
        return refusedByPrebuilt(id) ? new NoopCounter(id) : super.newCounter(id);
    }

    @Override
    public DistributionSummary newDistributionSummary(Meter.Id id, DistributionStatisticConfig config, double scale) {
        return refusedByPrebuilt(id) ? new NoopDistributionSummary(id) : super.newDistributionSummary(id, config, scale);
    }

    @Override
    protected Timer newTimer(Meter.Id id, DistributionStatisticConfig config, PauseDetector pauseDetector) {
        return refusedByPrebuilt(id) ? new NoopTimer(id) : super.newTimer(id, config, pauseDetector);
    }

    @Override
    protected LongTaskTimer newLongTaskTimer(Meter.Id id, DistributionStatisticConfig config) {
        return refusedByPrebuilt(id) ? new NoopLongTaskTimer(id) : super.newLongTaskTimer(id, config);
    }

    @Override
    protected <T> FunctionTimer newFunctionTimer(Meter.Id id, T obj, ToLongFunction<T> countFunction,
            ToDoubleFunction<T> totalTimeFunction, TimeUnit totalTimeFunctionUnit) {
        return refusedByPrebuilt(id) ? new NoopFunctionTimer(id)
                : super.newFunctionTimer(id, obj, countFunction, totalTimeFunction, totalTimeFunctionUnit);
    }

    @Override
    protected Meter newMeter(Meter.Id id, Meter.Type type, Iterable<Measurement> measurements) {
        return refusedByPrebuilt(id) ? new NoopMeter(id) : super.newMeter(id, type, measurements);
    }
}
