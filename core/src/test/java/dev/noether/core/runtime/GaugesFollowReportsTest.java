package dev.noether.core.runtime;

import dev.noether.core.catalogue.MetricFamily;
import dev.noether.core.micrometer.NoetherMetrics;
import dev.noether.core.model.Activation;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The binder's gauges read the latest report even though they look values up by slot from a per-report index:
 * hand-made analysis reports whose values are written here, so each gauge reading is known in advance. Covers a
 * changed value, a series that first appears in a later report (a new slot) and a series a later report lacks.
 */
class GaugesFollowReportsTest {
    private static final NoetherConfig EVERY_STEP = NoetherConfig.builder().analysisEvery(1).observeEvery(1)
            .minAnalysisInterval(Duration.ZERO).maxAnalysisShare(1).overheadBudget(1).build();

    @Test
    void gaugesShowTheValuesOfTheLatestReport() {
        PlainSgdMlp net = new PlainSgdMlp(new int[] {4, 8, 2}, true, PlainSgdMlp.Act.RELU, 0.05, 0.001, 1);
        double[][][] data = PlainSgdMlp.teacherData(16, 4, 2, 2);
        AtomicInteger round = new AtomicInteger();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (NoetherMonitor monitor = NoetherMonitor.builder(net.describe("m", Activation.RELU)).config(EVERY_STEP)
                .analysis((weights, probes, now) -> {
                    NoetherReport.Builder r = NoetherReport.builder(NoetherReport.Kind.ANALYSIS, "m", weights.step(), now);
                    switch (round.getAndIncrement()) {
                        case 0 -> r.put(MetricFamily.CHARGE, 1.5, "pair", "a", "symmetry", "rescaling");
                        case 1 -> r.put(MetricFamily.CHARGE, 2.5, "pair", "a", "symmetry", "rescaling")
                                .put(MetricFamily.CHARGE, -7.0, "pair", "b", "symmetry", "rescaling");
                        default -> r.put(MetricFamily.CHARGE, 9.0, "pair", "b", "symmetry", "rescaling");
                    }
                    return r.build();
                }).build();
             NoetherMetrics binder = new NoetherMetrics(monitor)) {
            binder.bindTo(registry);
            for (int t = 0; t < 3; t++) {
                monitor.onStep(net.snapshot(t, net.backward(data[0], data[1]), net.sgd()));
                net.update();
                assertThat(monitor.analyze(t, List::of)).isTrue();
                MonitorBehaviourTest.awaitIdle(monitor);
                switch (t) {
                    case 0 -> assertThat(charge(registry, "a")).isEqualTo(1.5);
                    case 1 -> {
                        assertThat(charge(registry, "a")).isEqualTo(2.5);
                        assertThat(charge(registry, "b")).isEqualTo(-7.0);
                    }
                    default -> {
                        assertThat(charge(registry, "a")).isNaN(); // not measured in the latest report
                        assertThat(charge(registry, "b")).isEqualTo(9.0);
                    }
                }
            }
        }
    }

    private static double charge(SimpleMeterRegistry registry, String pair) {
        return registry.get(MetricFamily.CHARGE.meterName()).tags("model", "m", "pair", pair, "symmetry", "rescaling")
                .gauge().value();
    }
}
