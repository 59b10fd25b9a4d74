package dev.noether.core.runtime;

import dev.noether.core.catalogue.MetricFamily;
import dev.noether.core.micrometer.NoetherMetrics;
import dev.noether.core.model.Activation;
import dev.noether.core.model.DenseLayer;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.search.MeterNotFoundException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The binder over the whole {@link MetricFamily} catalogue, in Micrometer's own style: {@code registry.get(..)
 * .tags(..).gauge()} fails with a message naming the meter when it is missing. The every-step families come
 * from a real plain-SGD MLP; the analysis families the step tier does not produce come from a hand-made
 * analysis report, so that every family has a series whose value is known.
 */
class NoetherMetricsBinderTest {
    private static final Instant NOW = Instant.parse("2026-01-02T03:04:05.678Z");
    private static final NoetherConfig EVERY_STEP = NoetherConfig.builder().analysisEvery(1).observeEvery(1)
            .minAnalysisInterval(Duration.ZERO).maxAnalysisShare(1).overheadBudget(1).build();

    /** An analysis report with one series of every report family, value = ordinal + 0.5, tags from the catalogue. */
    private static NoetherReport everyFamily(long step, Instant now) {
        NoetherReport.Builder report = NoetherReport.builder(NoetherReport.Kind.ANALYSIS, "m", step, now);
        for (MetricFamily f : MetricFamily.values()) {
            if (f.source() == MetricFamily.Source.REPORT) {
                report.put(f, f.ordinal() + 0.5, syntheticTags(f));
            }
        }
        return report.build();
    }

    private static String[] syntheticTags(MetricFamily f) {
        List<String> kv = new ArrayList<>();
        for (String key : f.tagKeys()) {
            kv.add(key);
            kv.add(key.equals("layer") ? "fc1" : key.equals("pair") ? "fc1:fc2" : "x-" + key);
        }
        return kv.toArray(String[]::new);
    }

    private static Tags tagsOf(MetricKey key) {
        Tags tags = Tags.of("model", "m");
        for (MetricKey.Tag t : key.tags()) {
            tags = tags.and(t.key(), t.value());
        }
        return tags;
    }

    @Test
    void everyCatalogueFamilyIsRegisteredWithItsTagsHelpUnitAndValue() {
        PlainSgdMlp net = new PlainSgdMlp(new int[] {4, 8, 8, 8, 2}, true, PlainSgdMlp.Act.RELU, 0.05, 0.001, 1);
        double[][][] data = PlainSgdMlp.teacherData(32, 4, 2, 2);
        ManualTicker ticker = new ManualTicker();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (NoetherMonitor monitor = NoetherMonitor.builder(net.describe("m", Activation.RELU)).config(EVERY_STEP)
                .engine("test").clock(Clock.fixed(NOW, ZoneOffset.UTC)).ticker(ticker)
                .analysis((weights, probes, now) -> everyFamily(weights.step(), now)).build();
             NoetherMetrics binder = new NoetherMetrics(monitor)) {
            binder.bindTo(registry);
            for (int t = 0; t < 4; t++) {
                ticker.advance(Duration.ofMillis(500));
                monitor.onStep(net.snapshot(t, net.backward(data[0], data[1]), net.sgd()));
                monitor.awaitSteps(Duration.ofSeconds(20)); // its sums take no time on this ticker
                net.update();
            }
            assertThat(monitor.analyze(3, List::of)).isTrue();
            MonitorBehaviourTest.awaitIdle(monitor);
            monitor.analyze(3, List::of); // not due again: counted nowhere
            MonitorStats stats = monitor.stats();

            Set<MetricFamily> seen = new TreeSet<>();
            for (NoetherReport report : List.of(monitor.latestStep(), monitor.latestAnalysis())) {
                for (var e : report.values().entrySet()) {
                    MetricKey key = e.getKey();
                    Meter gauge = registry.get(key.metric().meterName()).tags(tagsOf(key)).gauge();
                    // a series of both tiers reads the tier that registered it first (the step tier)
                    assertThat(registry.get(key.metric().meterName()).tags(tagsOf(key)).gauge().value())
                            .as("%s", key).isEqualTo(valueOf(monitor, key));
                    assertThat(gauge.getId().getDescription()).isEqualTo(key.metric().description());
                    assertThat(gauge.getId().getBaseUnit()).isEqualTo(key.metric().baseUnit());
                    seen.add(key.metric());
                }
            }
            for (MetricFamily f : MetricFamily.values()) {
                if (f.source() == MetricFamily.Source.REPORT) {
                    assertThat(seen).as("a series of %s", f).contains(f);
                }
            }

            assertThat(registry.get("noether.steps").tags("model", "m").functionCounter().count()).isEqualTo(4);
            for (SkipReason reason : SkipReason.values()) {
                assertThat(registry.get("noether.analysis.skipped").tags("model", "m", "reason", reason.tag())
                        .functionCounter().count()).isEqualTo(stats.skipped(reason));
            }
            for (DenseLayer layer : monitor.description().layers()) {
                assertThat(registry.get("noether.nonfinite").tags("model", "m", "layer", layer.name())
                        .functionCounter().count()).isZero();
            }
            for (Stage stage : Stage.values()) {
                assertThat(registry.get("noether.errors").tags("model", "m", "stage", stage.tag())
                        .functionCounter().count()).isEqualTo(stats.errors(stage)).isZero();
            }
            for (Tier tier : Tier.values()) {
                var timer = registry.get("noether.analysis").tags("model", "m", "tier", tier.tag()).timer();
                assertThat(timer.count()).as("tier %s", tier).isEqualTo(stats.tierTime(tier).count());
                assertThat((long) timer.totalTime(TimeUnit.NANOSECONDS)).isEqualTo(stats.tierTime(tier).total().toNanos());
            }
            assertThat(stats.tierTime(Tier.STEP).count()).isEqualTo(4);
            assertThat(stats.tierTime(Tier.HEAVY).count()).isEqualTo(1);
            assertThat(registry.get("noether.last.step.timestamp").tags("model", "m").gauge().value())
                    .isEqualTo(NOW.toEpochMilli() / 1000.0);
            assertThat(registry.get("noether.monitor.overhead").tags("model", "m").gauge().value()).isZero();
            assertThat(registry.get("noether.monitor.overhead.budget").tags("model", "m").gauge().value()).isEqualTo(1);
            assertThat(registry.get("noether.monitor.observed.fraction").tags("model", "m").gauge().value()).isEqualTo(1);
            assertThat(registry.get("noether.monitor.interference").tags("model", "m").gauge().value())
                    .isEqualTo(1); // the prior: no step interval without background work to compare with
            assertThat(registry.get("noether.steps.observed").tags("model", "m").functionCounter().count()).isEqualTo(4);
            assertThat(registry.get("noether.info").tags("model", "m", "engine", "test", "optimizer", "sgd",
                    "unsupported", "").gauge().value()).isEqualTo(1);

            // every meter: a catalogue family, with exactly its tag keys and its help text
            for (Meter m : registry.getMeters()) {
                MetricFamily f = MetricFamily.byShortName(m.getId().getName().substring("noether.".length()));
                Set<String> keys = new TreeSet<>();
                m.getId().getTags().forEach(t -> keys.add(t.getKey()));
                Set<String> expected = new TreeSet<>(f.tagKeys());
                expected.add("model");
                assertThat(keys).as("tag keys of %s", m.getId()).isEqualTo(expected);
                assertThat(m.getId().getDescription()).isEqualTo(f.description());
            }
            assertThat(registry.getMeters().stream().map(m -> m.getId().getName()).distinct().count())
                    .isEqualTo(MetricFamily.values().length);
        }
    }

    private static double valueOf(NoetherMonitor monitor, MetricKey key) {
        Double step = monitor.latestStep().values().get(key);
        return step != null ? step : monitor.latestAnalysis().values().get(key);
    }

    @Test
    void aMissingMeterFailsWithAMessageThatNamesIt() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        PlainSgdMlp net = new PlainSgdMlp(new int[] {4, 8, 2}, true, PlainSgdMlp.Act.RELU, 0.05, 0, 1);
        try (NoetherMonitor monitor = NoetherMonitor.builder(net.describe("m", Activation.RELU)).build()) {
            new NoetherMetrics(monitor).bindTo(registry);
            // before the first analysis there is no CRH series (absent, not NaN)
            assertThatThrownBy(() -> registry.get("noether.crh.alignment").tags("model", "m").gauge())
                    .isInstanceOf(MeterNotFoundException.class).hasMessageContaining("noether.crh.alignment");
        }
    }

    @Test
    void extraTagsGoOnEveryMeterAndCloseUnsubscribes() {
        PlainSgdMlp net = new PlainSgdMlp(new int[] {4, 8, 2}, true, PlainSgdMlp.Act.RELU, 0.05, 0, 1);
        double[][][] data = PlainSgdMlp.teacherData(16, 4, 2, 2);
        MeterRegistry registry = new SimpleMeterRegistry();
        try (NoetherMonitor monitor = NoetherMonitor.builder(net.describe("m", Activation.RELU)).config(EVERY_STEP)
                .ticker(new ManualTicker()).build()) {
            NoetherMetrics binder = new NoetherMetrics(monitor, List.of(Tag.of("run", "r7")));
            monitor.onStep(net.snapshot(0, net.backward(data[0], data[1]), net.sgd()));
            assertThat(registry.getMeters()).isEmpty(); // nothing before bindTo: the constructor does not subscribe
            binder.bindTo(registry);
            assertThat(registry.get("noether.loss").tags("model", "m", "run", "r7").gauge()).isNotNull();
            registry.getMeters().forEach(m -> assertThat(m.getId().getTag("run")).as("%s", m.getId()).isEqualTo("r7"));

            binder.close();
            int meters = registry.getMeters().size();
            monitor.onStep(net.snapshot(1, net.backward(data[0], data[1]), net.sgd()));
            assertThat(registry.get("noether.analysis").tags("tier", "step").timer().count())
                    .as("no more timings after close").isZero();
            assertThat(registry.getMeters()).hasSize(meters);
            assertThat(registry.get("noether.steps").functionCounter().count()).as("registered meters stay").isEqualTo(2);
        }
    }
}
