package dev.noether.core.runtime;

import dev.noether.core.model.Activation;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The time floor and the CPU share of the heavy analysis (METRICS.md §6) on an injected {@link Ticker}: the
 * test moves time by hand, so it needs no sleep and the counts are exact.
 */
class MonitorScheduleTest {
    private final PlainSgdMlp net = new PlainSgdMlp(new int[] {4, 8, 2}, true, PlainSgdMlp.Act.RELU, 0.05, 0, 1);
    private final double[][][] data = PlainSgdMlp.teacherData(16, 4, 2, 2);
    private final ManualTicker ticker = new ManualTicker();

    /** An analysis that takes {@code duration} on the injected clock. */
    private NoetherMonitor.Analysis taking(Duration duration) {
        return (weights, probes, now) -> {
            ticker.advance(duration);
            return NoetherReport.builder(NoetherReport.Kind.ANALYSIS, "m", weights.step(), now).build();
        };
    }

    /** Steps 0..steps-1, {@code every} apart on the ticker, offering an analysis each; the steps handed off. */
    private List<Integer> run(NoetherMonitor monitor, int steps, Duration every) {
        List<Integer> handed = new ArrayList<>();
        for (int t = 0; t < steps; t++) {
            monitor.onStep(net.snapshot(t, net.backward(data[0], data[1]), net.sgd()));
            if (monitor.analyze(t, List::of)) {
                handed.add(t);
                MonitorBehaviourTest.awaitIdle(monitor); // the background thread finishes (and sets the quiet period)
            }
            ticker.advance(every);
        }
        return handed;
    }

    @Test
    void theTimeFloorLetsOneAnalysisThroughPerInterval() {
        NoetherConfig config = NoetherConfig.builder().analysisEvery(1).observeEvery(1)
                .minAnalysisInterval(Duration.ofSeconds(2)).maxAnalysisShare(1).overheadBudget(1).build();
        try (NoetherMonitor monitor = NoetherMonitor.builder(net.describe("m", Activation.RELU)).config(config)
                .analysis(taking(Duration.ZERO)).ticker(ticker).build()) {
            // one step every 0.5 s for 10 steps: analyses at 0 s, 2 s and 4 s
            assertThat(run(monitor, 10, Duration.ofMillis(500))).containsExactly(0, 4, 8);
            assertThat(monitor.skipped(SkipReason.RATE_LIMITED)).isEqualTo(7);
            assertThat(monitor.skipped(SkipReason.BUSY)).isZero();
            assertThat(monitor.stats().analyses()).isEqualTo(3);
        }
    }

    @Test
    void anAnalysisOfDSecondsAtShareSIsFollowedByDTimesOneOverSMinusOneQuietSeconds() {
        NoetherConfig config = NoetherConfig.builder().analysisEvery(1).observeEvery(1)
                .minAnalysisInterval(Duration.ZERO).maxAnalysisShare(0.25).overheadBudget(1).build();
        try (NoetherMonitor monitor = NoetherMonitor.builder(net.describe("m", Activation.RELU)).config(config)
                .analysis(taking(Duration.ofSeconds(3))).ticker(ticker).build()) {
            // each analysis takes 3 s, so the next may start 3·(1/0.25 − 1) = 9 s after it ended: with one step
            // a second, an analysis runs at step 0 (ends at 3 s), the next at 12 s = step 9, then at step 18
            assertThat(run(monitor, 20, Duration.ofSeconds(1))).containsExactly(0, 9, 18);
            assertThat(monitor.skipped(SkipReason.RATE_LIMITED)).isEqualTo(17);
            MonitorStats stats = monitor.stats();
            assertThat(stats.tierTime(Tier.HEAVY)).isEqualTo(new TierTime(3, Duration.ofSeconds(9), Duration.ofSeconds(3)));
        }
    }

    @Test
    void theStepTierTimeAndTheOverheadAreMeasuredOnTheTicker() {
        NoetherConfig config = NoetherConfig.builder().observeEvery(1).build();
        try (NoetherMonitor monitor = NoetherMonitor.builder(net.describe("m", Activation.RELU)).config(config)
                .ticker(ticker).build()) {
            // each step's capture takes 10 ms of monitor time; the training step around it 90 ms more
            for (int t = 0; t < 30; t++) {
                int step = t;
                monitor.onStep(step, () -> {
                    ticker.advance(Duration.ofMillis(10));
                    return net.snapshot(step, net.backward(data[0], data[1]), net.sgd());
                });
                monitor.awaitSteps(Duration.ofSeconds(20)); // the step thread's sums take no time on this ticker
                ticker.advance(Duration.ofMillis(90));
            }
            TierTime steps = monitor.stats().tierTime(Tier.STEP);
            assertThat(steps.count()).isEqualTo(30);
            assertThat(steps.total()).isEqualTo(Duration.ofMillis(300));
            assertThat(steps.max()).isEqualTo(Duration.ofMillis(10));
            // the 29 intervals booked so far: 29 × 10 ms inside the monitor over 29 × 100 ms, every step observed
            assertThat(monitor.overhead()).isCloseTo(0.1, org.assertj.core.data.Offset.offset(1e-12));
            assertThat(monitor.observedFraction()).isEqualTo(1.0);
            assertThat(monitor.stats().observedSteps()).isEqualTo(30);
        }
    }

    @Test
    void theBudgetObservesEverySlowStepAndSamplesFastOnesWithinIt() {
        // the same 2 ms copy against 200 ms steps (1 %: every step) and against 20 ms steps (10 %: one in five)
        assertThat(trainUnderTheBudget(200, 2, 300)).isEqualTo(1.0);
        assertThat(trainUnderTheBudget(20, 2, 3000)).isCloseTo(0.2, org.assertj.core.data.Offset.offset(0.02));
    }

    /** Steps of {@code stepMillis} whose capture costs {@code copyMillis}; the observed fraction after {@code steps}. */
    private double trainUnderTheBudget(int stepMillis, int copyMillis, int steps) {
        try (NoetherMonitor monitor = NoetherMonitor.builder(net.describe("m", Activation.RELU))
                .config(NoetherConfig.builder().analysisEvery(Integer.MAX_VALUE).build()).ticker(ticker).build()) {
            List<Long> observed = new ArrayList<>();
            monitor.addListener(r -> {
                if (r.kind() == NoetherReport.Kind.STEP) {
                    observed.add(r.step());
                }
            });
            for (int t = 0; t < steps; t++) {
                int step = t;
                monitor.onStep(step, () -> {
                    ticker.advance(Duration.ofMillis(copyMillis));
                    return net.snapshot(step, net.backward(data[0], data[1]), net.sgd());
                });
                monitor.analyze(step, List::of); // due at step 0 only
                monitor.awaitSteps(Duration.ofSeconds(20));
                MonitorBehaviourTest.awaitIdle(monitor);
                ticker.advance(Duration.ofMillis(stepMillis - copyMillis));
            }
            assertThat(monitor.overhead()).isLessThanOrEqualTo(0.0201);
            // runs of two consecutive steps: every observed step has its neighbour
            for (long s : observed) {
                assertThat(observed.contains(s - 1) || observed.contains(s + 1)).as("step %d's run", s).isTrue();
            }
            assertThat(monitor.stats().observedSteps()).isEqualTo(observed.size());
            return monitor.observedFraction();
        }
    }
}
