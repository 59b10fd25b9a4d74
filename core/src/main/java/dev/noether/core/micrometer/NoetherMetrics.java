package dev.noether.core.micrometer;

import dev.noether.core.catalogue.MetricFamily;
import dev.noether.core.model.DenseLayer;
import dev.noether.core.model.UnsupportedLayer;
import dev.noether.core.runtime.MetricKey;
import dev.noether.core.runtime.NoetherMonitor;
import dev.noether.core.runtime.NoetherReport;
import dev.noether.core.runtime.NoetherReportListener;
import dev.noether.core.runtime.SkipReason;
import dev.noether.core.runtime.Stage;
import dev.noether.core.runtime.Tier;
import dev.noether.core.runtime.TierTimeListener;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

/**
 * Publishes a {@link NoetherMonitor}'s results as Micrometer meters: every family of the {@link MetricFamily}
 * catalogue, named {@code noether.*} with the tags of METRICS.md §7 ({@code model}, {@code layer} or
 * {@code pair} and {@code symmetry}, {@code side}, {@code relation}, {@code phase}). Gauges read the latest
 * report when scraped; a gauge appears the first time its value is measured, so metrics that do not apply (a
 * prediction under Adam, CRH without a probe) are absent rather than NaN. Cardinality is O(layers): no
 * per-neuron series, ever.
 *
 * <p>Like Micrometer's own binders, it subscribes to the monitor in {@link #bindTo} (never in the constructor)
 * and unsubscribes in {@link #close()}; the meters already registered stay and keep their last values.
 *
 * <pre>{@code
 * new NoetherMetrics(monitor).bindTo(registry);
 * new NoetherMetrics(monitor, Tags.of("run", "exp-7")).bindTo(registry);   // extra tags on every meter
 * }</pre>
 */
public final class NoetherMetrics implements MeterBinder, AutoCloseable {
    private static final String VERSION = versionOf();

    private final NoetherMonitor monitor;
    private final Tags tags;
    private final List<MeterRegistry> registries = new CopyOnWriteArrayList<>();
    private final Map<Tier, List<Timer>> timers = new EnumMap<>(Tier.class);
    // series already registered: "info" and MetricKeys (compared by value, so the check on every observed step
    // builds no strings)
    private final Set<Object> bound = ConcurrentHashMap.newKeySet();
    // per kind, the latest report's values by slot: a gauge read is an array load, not a map lookup per series
    private final ReportSlots stepSlots = new ReportSlots();
    private final ReportSlots analysisSlots = new ReportSlots();
    private final NoetherReportListener onReport = this::registerNewSeries;
    private final TierTimeListener onTierTime = this::recordTierTime;
    private final AtomicBoolean subscribed = new AtomicBoolean();

    public NoetherMetrics(NoetherMonitor monitor) {
        this(monitor, Tags.empty());
    }

    /** A binder whose meters carry {@code extraTags} besides {@code model}. */
    public NoetherMetrics(NoetherMonitor monitor, Iterable<Tag> extraTags) {
        this.monitor = Objects.requireNonNull(monitor, "monitor");
        this.tags = Tags.of("model", monitor.description().model()).and(extraTags);
        for (Tier tier : Tier.values()) {
            timers.put(tier, new CopyOnWriteArrayList<>());
        }
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        registries.add(registry);
        for (MetricFamily family : MetricFamily.values()) {
            if (family.source() == MetricFamily.Source.MONITOR) {
                bindMonitorFamily(registry, family);
            }
        }
        if (subscribed.compareAndSet(false, true)) {
            monitor.addListener(onReport);
            monitor.addTierTimeListener(onTierTime);
        }
        NoetherReport step = monitor.latestStep();
        if (step != null) {
            registerNewSeries(step);
        }
        NoetherReport analysis = monitor.latestAnalysis();
        if (analysis != null) {
            registerNewSeries(analysis);
        }
    }

    /** Stops listening to the monitor: no new series appear and the timers stop; registered meters stay. */
    @Override
    public void close() {
        if (subscribed.compareAndSet(true, false)) {
            monitor.removeListener(onReport);
            monitor.removeTierTimeListener(onTierTime);
        }
    }

    private void bindMonitorFamily(MeterRegistry registry, MetricFamily family) {
        String name = family.meterName();
        switch (family) {
            case STEPS -> counter(name, family, NoetherMonitor::steps).tags(tags).register(registry);
            case STEPS_OBSERVED -> counter(name, family, NoetherMonitor::observedSteps).tags(tags).register(registry);
            case STEPS_DROPPED -> counter(name, family, NoetherMonitor::droppedSteps).tags(tags).register(registry);
            case ANALYSIS_SKIPPED -> {
                for (SkipReason reason : SkipReason.values()) {
                    counter(name, family, m -> m.skipped(reason)).tags(tags).tag("reason", reason.tag()).register(registry);
                }
            }
            case NONFINITE -> {
                for (DenseLayer layer : monitor.description().layers()) {
                    counter(name, family, m -> m.nonFinite(layer.index())).tags(tags).tag("layer", layer.name())
                            .register(registry);
                }
            }
            case ERRORS -> {
                for (Stage stage : Stage.values()) {
                    counter(name, family, m -> m.errors(stage)).tags(tags).tag("stage", stage.tag()).register(registry);
                }
            }
            // a real Timer (not a FunctionTimer) so that the exposition has a max besides count and sum
            case ANALYSIS -> {
                for (Tier tier : Tier.values()) {
                    timers.get(tier).add(Timer.builder(name).tags(tags).tag("tier", tier.tag())
                            .description(family.description()).register(registry));
                }
            }
            case LAST_STEP_TIMESTAMP -> Gauge.builder(name, monitor, NoetherMonitor::lastStepEpochSeconds)
                    .tags(tags).description(family.description()).baseUnit(family.baseUnit()).register(registry);
            case MONITOR_OVERHEAD -> gauge(name, family, NoetherMonitor::overhead).register(registry);
            case MONITOR_OVERHEAD_BUDGET -> gauge(name, family, m -> m.config().overheadBudget()).register(registry);
            case MONITOR_OBSERVED_FRACTION -> gauge(name, family, NoetherMonitor::observedFraction).register(registry);
            case MONITOR_INTERFERENCE -> gauge(name, family, NoetherMonitor::interference).register(registry);
            case INFO -> { } // at the first step report, when the optimizer is known
            case LAYER_INFO -> {
                for (DenseLayer layer : monitor.description().layers()) {
                    Gauge.builder(name, () -> 1).tags(tags).tag("layer", layer.name()).tag("kind", layer.kind().tag())
                            .tag("shape", layer.shape()).description(family.description()).strongReference(true)
                            .register(registry);
                }
            }
            default -> throw new IllegalStateException("no binding for " + family);
        }
    }

    private Gauge.Builder<NoetherMonitor> gauge(String name, MetricFamily family,
                                                java.util.function.ToDoubleFunction<NoetherMonitor> value) {
        return Gauge.builder(name, monitor, value).tags(tags).description(family.description());
    }

    private FunctionCounter.Builder<NoetherMonitor> counter(String name, MetricFamily family,
                                                            java.util.function.ToDoubleFunction<NoetherMonitor> count) {
        return FunctionCounter.builder(name, monitor, count).description(family.description());
    }

    private void recordTierTime(Tier tier, long nanos) {
        for (Timer t : timers.get(tier)) {
            t.record(nanos, TimeUnit.NANOSECONDS);
        }
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
        for (MetricKey key : report.values().keySet()) {
            if (bound.add(key)) {
                boolean step = report.kind() == NoetherReport.Kind.STEP;
                ReportSlots slots = step ? stepSlots : analysisSlots;
                int slot = slots.slotOf(key);
                Tags seriesTags = tags;
                for (MetricKey.Tag t : key.tags()) {
                    seriesTags = seriesTags.and(t.key(), t.value());
                }
                for (MeterRegistry registry : registries) {
                    Gauge.builder(key.metric().meterName(),
                                    () -> slots.value(step ? monitor.latestStep() : monitor.latestAnalysis(), slot))
                            .tags(seriesTags)
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
        Gauge.builder(MetricFamily.INFO.meterName(), () -> 1)
                .tags(tags).tag("version", VERSION).tag("engine", monitor.engine())
                .tag("optimizer", monitor.optimizer()).tag("unsupported", unsupported)
                .description(MetricFamily.INFO.description())
                .strongReference(true)
                .register(registry);
    }

    private static String versionOf() {
        String v = NoetherMetrics.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
