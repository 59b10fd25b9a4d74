package dev.noether.core.micrometer;

import dev.noether.core.catalogue.NoetherMetric;
import dev.noether.core.model.DenseLayer;
import dev.noether.core.model.UnsupportedLayer;
import dev.noether.core.runtime.MetricKey;
import dev.noether.core.runtime.NoetherMonitor;
import dev.noether.core.runtime.NoetherReport;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * Publishes a {@link NoetherMonitor}'s results as Micrometer meters named {@code noether.*} with the tags of
 * METRICS.md §7 ({@code model}, {@code layer} or {@code pair} and {@code symmetry}, {@code side},
 * {@code relation}, {@code phase}). Gauges read the latest report when scraped; a gauge appears the first
 * time its value is measured, so metrics that do not apply (a prediction under Adam, CRH without a probe)
 * are absent rather than NaN. Cardinality is O(layers): no per-neuron series, ever.
 *
 * <pre>{@code
 * new NoetherMetrics(monitor).bindTo(registry);
 * }</pre>
 */
public final class NoetherMetrics implements MeterBinder {
    private static final String VERSION = versionOf();

    private final NoetherMonitor monitor;
    private final Tags modelTags;
    private final List<MeterRegistry> registries = new CopyOnWriteArrayList<>();
    // keys already registered: "info", "errors:<stage>" and MetricKeys (compared by value, so the check on
    // every observed step builds no strings)
    private final Set<Object> bound = ConcurrentHashMap.newKeySet();

    public NoetherMetrics(NoetherMonitor monitor) {
        this.monitor = monitor;
        this.modelTags = Tags.of("model", monitor.description().model());
        monitor.addListener(this::registerNewSeries);
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        registries.add(registry);
        FunctionCounter.builder("noether.steps", monitor, NoetherMonitor::steps)
                .tags(modelTags).description("Training steps observed by Noether").register(registry);
        for (String reason : List.of("busy", "rate_limited")) {
            FunctionCounter.builder("noether.analysis.skipped", monitor, m -> m.skipped(reason))
                    .tags(modelTags).tag("reason", reason)
                    .description("Heavy analyses skipped: the analysis thread was busy, or the time floor had not passed")
                    .register(registry);
        }
        for (DenseLayer layer : monitor.description().layers()) {
            FunctionCounter.builder("noether.nonfinite", monitor, m -> m.nonFinite(layer.index()))
                    .tags(modelTags).tag("layer", layer.name())
                    .description("Steps or analyses where the layer had NaN or infinite values and was skipped")
                    .register(registry);
            Gauge.builder(NoetherMetric.LAYER_INFO.meterName(), () -> 1)
                    .tags(modelTags).tag("layer", layer.name()).tag("kind", layer.kind().tag()).tag("shape", layer.shape())
                    .description(NoetherMetric.LAYER_INFO.description())
                    .strongReference(true)
                    .register(registry);
        }
        monitor.errorCounters().forEach((stage, counter) -> bindErrors(registry, stage, counter));
        bindTier(registry, "step", monitor.stepTime());
        bindTier(registry, "probe", monitor.probeTime());
        bindTier(registry, "heavy", monitor.heavyTime());
        Gauge.builder(NoetherMetric.LAST_STEP_TIMESTAMP.meterName(), monitor, NoetherMonitor::lastStepEpochSeconds)
                .tags(modelTags).description(NoetherMetric.LAST_STEP_TIMESTAMP.description()).baseUnit("seconds")
                .register(registry);
        Gauge.builder("noether.monitor.overhead", monitor, NoetherMonitor::overheadRatio)
                .tags(modelTags).description(NoetherMetric.MONITOR_OVERHEAD.description()).register(registry);
        NoetherReport step = monitor.latestStep();
        if (step != null) {
            registerNewSeries(step);
        }
        NoetherReport analysis = monitor.latestAnalysis();
        if (analysis != null) {
            registerNewSeries(analysis);
        }
    }

    private void bindErrors(MeterRegistry registry, String stage, AtomicLong counter) {
        FunctionCounter.builder("noether.errors", counter, AtomicLong::get)
                .tags(modelTags).tag("stage", stage)
                // the same help text as the exporter's counters of this name: Prometheus keeps one per name
                .description("Failures inside Noether, by stage; training continued")
                .register(registry);
    }

    private void bindTier(MeterRegistry registry, String tier, NoetherMonitor.TierTime time) {
        // a real Timer (not a FunctionTimer) so that the exposition has a max besides count and sum
        time.bind(Timer.builder("noether.analysis")
                .tags(modelTags).tag("tier", tier)
                .description("Time Noether spent per tier: step (every step, training thread), probe (engine "
                        + "work on the training thread), heavy (background analysis)")
                .register(registry));
    }

    private void registerNewSeries(NoetherReport report) {
        if (registries.isEmpty()) {
            return;
        }
        if (report.kind() == NoetherReport.Kind.STEP && bound.add("info")) {
            for (MeterRegistry registry : registries) {
                bindInfo(registry);
            }
        }
        for (Map.Entry<String, AtomicLong> e : monitor.errorCounters().entrySet()) {
            if (!NoetherMonitor.STAGES.contains(e.getKey()) && bound.add("errors:" + e.getKey())) {
                registries.forEach(r -> bindErrors(r, e.getKey(), e.getValue()));
            }
        }
        for (MetricKey key : report.values().keySet()) {
            if (bound.add(key)) {
                NoetherReport.Kind kind = report.kind();
                for (MeterRegistry registry : registries) {
                    Gauge.builder(key.metric().meterName(), () -> current(kind, key))
                            .tags(modelTags.and(key.tags()))
                            .description(key.metric().description())
                            .baseUnit(key.metric().baseUnit())
                            .strongReference(true)
                            .register(registry);
                }
            }
        }
    }

    private void bindInfo(MeterRegistry registry) {
        String unsupported = monitor.description().unsupported().stream().map(UnsupportedLayer::name)
                .collect(Collectors.joining(","));
        Gauge.builder("noether.info", () -> 1)
                .tags(modelTags).tag("version", VERSION).tag("engine", monitor.engine())
                .tag("optimizer", monitor.optimizer()).tag("unsupported", unsupported)
                .description("Noether build and run information; the value is always 1")
                .strongReference(true)
                .register(registry);
    }

    private double current(NoetherReport.Kind kind, MetricKey key) {
        NoetherReport report = kind == NoetherReport.Kind.STEP ? monitor.latestStep() : monitor.latestAnalysis();
        Double v = report == null ? null : report.values().get(key);
        return v == null ? Double.NaN : v;
    }

    private static String versionOf() {
        String v = NoetherMetrics.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
