package dev.noether.core.runtime;

import dev.noether.core.model.Activation;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Heavy ball and Nesterov predict from the update of the step before (METRICS.md §6, §11): once the monitor has seen
 * such an optimizer, the step tier observes runs of three consecutive steps, under the overhead budget and under a
 * fixed stride, and every third step of a run checks the prediction. Time is an injected {@link Ticker}.
 */
class MomentumScheduleTest {
    private static final String[] PAIR = {"pair", "fc1:fc2", "symmetry", "rescaling"};
    private final PlainSgdMlp net = new PlainSgdMlp(new int[] {4, 8, 2}, true, PlainSgdMlp.Act.RELU, 0, 0, 1);
    private final double[][][] data = PlainSgdMlp.teacherData(16, 4, 2, 2);
    private final ManualTicker ticker = new ManualTicker();

    /** Trains {@code steps} steps of {@code stepMillis}, each copy costing 2 ms; the reports of the observed steps. */
    private List<NoetherReport> train(NoetherConfig config, int steps, int stepMillis) {
        HandOptimizer momentum = HandOptimizer.momentum(0.01, 0.9, 0.01);
        List<NoetherReport> reports = new ArrayList<>();
        try (NoetherMonitor monitor = NoetherMonitor.builder(net.describe("m", Activation.RELU)).config(config)
                .ticker(ticker).build()) {
            monitor.addListener(r -> {
                if (r.kind() == NoetherReport.Kind.STEP) {
                    reports.add(r);
                }
            });
            for (int t = 0; t < steps; t++) {
                int step = t;
                monitor.onStep(step, () -> {
                    ticker.advance(Duration.ofMillis(2));
                    return net.snapshot(step, net.backward(data[0], data[1]), momentum.settings());
                });
                monitor.awaitSteps(Duration.ofSeconds(20));
                ticker.advance(Duration.ofMillis(stepMillis - 2));
                momentum.step(net);
            }
            assertThat(monitor.optimizer()).isEqualTo("momentum");
        }
        return reports;
    }

    /** Maximal runs of consecutive observed steps, as their lengths. */
    private static List<Integer> runs(List<NoetherReport> reports) {
        List<Integer> out = new ArrayList<>();
        int length = 0;
        long previous = Long.MIN_VALUE;
        for (NoetherReport r : reports) {
            if (r.step() == previous + 1) {
                length++;
            } else {
                if (length > 0) {
                    out.add(length);
                }
                length = 1;
            }
            previous = r.step();
        }
        out.add(length);
        return out;
    }

    @Test
    void underTheBudgetMomentumIsObservedInRunsOfThreeAndEachChecksThePrediction() {
        List<NoetherReport> reports = train(NoetherConfig.builder().analysisEvery(Integer.MAX_VALUE).build(), 3000, 20);
        List<Integer> runs = runs(reports);
        // the first run starts before the monitor knows the optimizer, and the uncharged warm-up runs follow it at
        // once; every later one is three steps, or several runs of three back to back, but the last, which the end of
        // training may cut short
        assertThat(runs.subList(1, runs.size() - 1)).hasSizeGreaterThan(10).allMatch(n -> n % 3 == 0);
        int checked = 0;
        for (int k = 2; k < reports.size(); k++) {
            if (reports.get(k - 2).step() == reports.get(k).step() - 2) {
                assertThat(reports.get(k).value("charge.residual", PAIR).orElseThrow()).isLessThanOrEqualTo(1e-5);
                checked++;
            }
        }
        assertThat(checked).isGreaterThanOrEqualTo(runs.size() - 1);
    }

    @Test
    void aFixedStrideObservesThreeConsecutiveStepsInK() {
        List<NoetherReport> reports = train(NoetherConfig.builder().observeEvery(10).analysisEvery(Integer.MAX_VALUE)
                .overheadBudget(1).build(), 100, 20);
        assertThat(reports).extracting(NoetherReport::step).allMatch(t -> t % 10 < 3).hasSize(30);
        assertThat(reports).filteredOn(r -> r.step() % 10 == 2)
                .allSatisfy(r -> assertThat(r.value("charge.residual", PAIR).orElseThrow()).isLessThanOrEqualTo(1e-5));
    }
}
