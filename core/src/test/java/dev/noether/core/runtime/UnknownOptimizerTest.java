package dev.noether.core.runtime;

import dev.noether.core.micrometer.NoetherMetrics;
import dev.noether.core.model.Activation;
import dev.noether.core.model.OptimizerSettings;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An optimizer the adapter does not know (METRICS.md §11): named in {@code noether.info{optimizer="unknown"}}, counted
 * once in {@code noether.errors{stage="adapter"}}, the drift and its parts still measured, no prediction; never a
 * crash. The bare {@link OptimizerSettings#unknown()} (a loop that names none) is not counted.
 */
class UnknownOptimizerTest {
    private static final String[] PAIR = {"pair", "fc1:fc2", "symmetry", "rescaling"};

    private static NoetherMonitor train(OptimizerSettings settings, SimpleMeterRegistry registry) {
        PlainSgdMlp net = new PlainSgdMlp(new int[] {4, 8, 8, 2}, true, PlainSgdMlp.Act.RELU, 0, 0, 3);
        double[][][] data = PlainSgdMlp.teacherData(64, 4, 2, 5);
        HandOptimizer adam = HandOptimizer.adam(0.01, 0);
        NoetherMonitor monitor = NoetherMonitor.builder(net.describe("m", Activation.RELU))
                .config(NoetherConfig.builder().observeEvery(1).analysisEvery(1).overheadBudget(1).build()).build();
        NoetherMetrics metrics = new NoetherMetrics(monitor);
        metrics.bindTo(registry);
        for (int t = 0; t < 20; t++) {
            double loss = net.backward(PlainSgdMlp.rows(data[0], 16 * t, 16), PlainSgdMlp.rows(data[1], 16 * t, 16));
            monitor.onStep(net.snapshot(t, loss, settings));
            adam.step(net);
        }
        monitor.awaitSteps(Duration.ofSeconds(10));
        return monitor;
    }

    @Test
    void anUnknownOptimizerIsNamedCountedOnceAndMeasuredWithoutPrediction() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (NoetherMonitor monitor = train(OptimizerSettings.unknown("com.example.HomeMade", 0.01), registry)) {
            assertThat(monitor.errors(Stage.ADAPTER)).isEqualTo(1);
            assertThat(monitor.optimizer()).isEqualTo("unknown");
            assertThat(registry.find("noether.info").tag("optimizer", "unknown").gauge()).isNotNull();
            assertThat(monitor.value("charge.drift.rate", PAIR)).isPresent();
            assertThat(monitor.value("charge.drift.rate.predicted", PAIR)).isEmpty();
            assertThat(monitor.value("charge.residual", PAIR)).isEmpty();
            double sum = 0;
            for (String part : new String[] {"decay", "optimizer", "gradient", "step"}) {
                sum += monitor.value("charge.drift.rate.part", "pair", "fc1:fc2", "symmetry", "rescaling", "part", part)
                        .orElseThrow();
            }
            double rate = monitor.value("charge.drift.rate", PAIR).orElseThrow();
            assertThat(Math.abs(sum - rate)).isLessThanOrEqualTo(1e-9 * Math.abs(rate));
            assertThat(monitor.errors(Stage.STEP)).isZero();
        }
    }

    @Test
    void aLoopThatNamesNoOptimizerIsNotCounted() {
        try (NoetherMonitor monitor = train(OptimizerSettings.unknown(), new SimpleMeterRegistry())) {
            assertThat(monitor.errors(Stage.ADAPTER)).isZero();
            assertThat(monitor.optimizer()).isEqualTo("unknown");
        }
    }
}
