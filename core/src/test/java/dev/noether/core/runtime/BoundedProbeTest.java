package dev.noether.core.runtime;

import dev.noether.core.model.Activation;
import dev.noether.core.model.LayerSnapshot;
import dev.noether.core.model.StepSnapshot;
import dev.noether.core.probe.ProbeAllowance;
import dev.noether.core.probe.ProbeGap;
import dev.noether.core.probe.ProbePlan;
import dev.noether.core.probe.ProbeResult;
import dev.noether.core.probe.ProbeThroughput;
import dev.noether.core.probe.ProbeWorkload;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The probe tier within its allowance (issue 21): the monitor gives each pass {@code maxProbeTime} at the
 * throughput measured on the model's earlier passes, counts a pass that does not fit and the parts a pass left
 * out, and puts both in the analysis record; {@link NoetherMonitor#finishWithin} gives its probe half of what
 * is left and ends the event log on one final-state record per step.
 */
class BoundedProbeTest {
    private static final NoetherConfig EVERY_STEP = NoetherConfig.builder().analysisEvery(1).observeEvery(1)
            .minAnalysisInterval(Duration.ZERO).maxAnalysisShare(1).overheadBudget(1).maxProbeTime(Duration.ofMillis(300)).build();

    private final PlainSgdMlp net = new PlainSgdMlp(new int[] {4, 8, 2}, true, PlainSgdMlp.Act.RELU, 0.05, 0, 1);
    private final double[][][] data = PlainSgdMlp.teacherData(16, 4, 2, 2);
    private final List<NoetherReport> reports = new CopyOnWriteArrayList<>();

    private NoetherMonitor monitor(Ticker ticker) {
        NoetherMonitor m = NoetherMonitor.builder(net.describe("m", Activation.RELU)).config(EVERY_STEP).ticker(ticker)
                .build();
        m.addListener(reports::add);
        return m;
    }

    private void step(NoetherMonitor monitor, long t) {
        monitor.onStep(net.snapshot(t, net.backward(data[0], data[1]), net.sgd()));
    }

    @Test
    void aPassThatDoesNotFitIsSkippedAndCountedAndTheAnalysisReadsTheWeightsAlone() {
        List<ProbeAllowance> given = new ArrayList<>();
        // 64 samples of a 4096 × 4096 dense layer: 4 samples alone are 4·3·4096² + 4·3·4096² ≈ 400 M multiply-adds
        ProbeWorkload huge = ProbeWorkload.builder(64).dense(4096, 4096).build();
        try (NoetherMonitor monitor = monitor(Ticker.system())) {
            step(monitor, 0);
            assertThat(monitor.analyzeWithin(0, allowance -> {
                given.add(allowance);
                ProbePlan plan = ProbeAllowance.startingNow(Duration.ofMillis(10), allowance.throughput()).plan(huge);
                return ProbeResult.skipped(plan);
            })).isTrue();
            MonitorBehaviourTest.awaitIdle(monitor);
            assertThat(given).singleElement().satisfies(a -> {
                assertThat(a.time()).isEqualTo(Duration.ofMillis(300));
                assertThat(a.throughput()).isCloseTo(ProbeThroughput.PRIOR, within(1.0));
            });
            assertThat(monitor.skipped(SkipReason.PROBE_COST)).isEqualTo(1);
            NoetherReport analysis = monitor.latestAnalysis();
            assertThat(analysis.step()).isZero();
            assertThat(analysis.value("layer.effective.rank", "layer", "fc1")).isPresent(); // the weights alone
            assertThat(analysis.value("representation.effective.rank", "layer", "fc1")).isEmpty();
            assertThat(probeRecord(analysis)).containsEntry("status", "skipped").containsEntry("samples", 0)
                    .containsEntry("allowed.seconds", 0.3);
        }
    }

    @Test
    void theGapsOfEveryPassAreCountedAndNamedInTheAnalysisRecord() {
        try (NoetherMonitor monitor = monitor(Ticker.system())) {
            for (int t = 0; t < 3; t++) {
                step(monitor, t);
                assertThat(monitor.analyzeWithin(t, allowance -> new ProbeResult(List.of(),
                        allowance.plan(ProbeWorkload.builder(16).dense(8, 4).dense(2, 8).build()),
                        List.of(new ProbeGap("lstm", "LSTM is not modelled"), new ProbeGap("out", "no labels"))))).isTrue();
                MonitorBehaviourTest.awaitIdle(monitor);
                net.update();
            }
            assertThat(monitor.skipped(SkipReason.PROBE_PART)).isEqualTo(6);
            assertThat(monitor.skipped(SkipReason.PROBE_COST)).isZero();
            Map<String, Object> probe = probeRecord(monitor.latestAnalysis());
            assertThat(probe).containsEntry("status", "whole").containsEntry("samples", 16);
            assertThat(probe.get("gaps")).isEqualTo(List.of(Map.of("node", "lstm", "reason", "LSTM is not modelled"),
                    Map.of("node", "out", "reason", "no labels")));
        }
    }

    @Test
    void theThroughputOfEarlierPassesCalibratesTheNextAllowance() {
        ManualTicker ticker = new ManualTicker();
        List<Double> throughputs = new ArrayList<>();
        try (NoetherMonitor monitor = monitor(ticker)) {
            for (int t = 0; t < 3; t++) {
                step(monitor, t);
                monitor.analyzeWithin(t, allowance -> {
                    throughputs.add(allowance.throughput());
                    ticker.advance(Duration.ofSeconds(2)); // 4e9 planned multiply-adds in 2 s: 2 GMAC/s
                    return new ProbeResult(List.of(), new ProbePlan(8, 1024, 4e9, 400_000_000L,
                            ProbePlan.Status.WHOLE), List.of());
                });
                MonitorBehaviourTest.awaitIdle(monitor);
                net.update();
            }
        }
        assertThat(throughputs.get(0)).isCloseTo(ProbeThroughput.PRIOR, within(1.0));
        assertThat(throughputs.get(1)).isCloseTo(2e9, within(1.0));
        assertThat(throughputs.get(2)).isCloseTo(2e9, within(1.0));
    }

    @Test
    void finishGivesItsProbeHalfOfWhatIsLeftAndEndsOnOneFinalStepRecord() {
        ManualTicker ticker = new ManualTicker();
        List<Duration> allowed = new ArrayList<>();
        List<Duration> stopAfter = new ArrayList<>();
        try (NoetherMonitor monitor = monitor(ticker)) {
            for (int t = 0; t < 3; t++) {
                step(monitor, t);
                net.update();
            }
            monitor.awaitSteps(Duration.ofSeconds(10));
            ticker.advance(Duration.ofSeconds(2));
            reports.clear();
            assertThat(monitor.finishWithin(3, () -> net.snapshot(3, 0.5, net.sgd()), allowance -> {
                allowed.add(allowance.time());
                stopAfter.add(allowance.stopAfter());
                ticker.advance(Duration.ofSeconds(1));
                return ProbeResult.unplanned(List.of());
            }, Duration.ofSeconds(10))).isTrue();
            assertThat(allowed).containsExactly(Duration.ofSeconds(5)); // planned for half of what is left
            assertThat(stopAfter).containsExactly(Duration.ofSeconds(10)); // stopped at the deadline at the latest
            // the analysis first, then the final state's step record with what the final observation did
            assertThat(reports).extracting(NoetherReport::kind, NoetherReport::step)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(NoetherReport.Kind.ANALYSIS, 3L),
                            org.assertj.core.groups.Tuple.tuple(NoetherReport.Kind.STEP, 3L));
            assertThat(finalRecord(reports.get(1))).containsEntry("analysis", "published")
                    .containsEntry("seconds", 1.0).containsKey("probe");

            // training resumes at that state (the next epoch): step 3 sends no second record, step 4 does
            reports.clear();
            step(monitor, 3);
            net.update();
            step(monitor, 4);
            monitor.awaitSteps(Duration.ofSeconds(10));
            assertThat(reports).extracting(NoetherReport::step).containsExactly(4L);
            assertThat(monitor.supersededRecords()).isEqualTo(1);
            assertThat(monitor.latestStep().step()).isEqualTo(4); // the resumed step 3 reached the meters before
        }
    }

    @Test
    void aFinalAnalysisPastItsBoundIsCountedAndSaidInTheFinalRecord() throws InterruptedException {
        CountDownLatch release = new CountDownLatch(1);
        NoetherMonitor.Analysis blocked = (weights, probes, now) -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return NoetherReport.builder(NoetherReport.Kind.ANALYSIS, "m", weights.step(), now).build();
        };
        try (NoetherMonitor monitor = NoetherMonitor.builder(net.describe("m", Activation.RELU)).config(EVERY_STEP)
                .analysis(blocked).build()) {
            monitor.addListener(reports::add);
            step(monitor, 0);
            net.update();
            monitor.awaitSteps(Duration.ofSeconds(10));
            reports.clear();
            assertThat(monitor.finishWithin(1, () -> net.snapshot(1, 0.5, net.sgd()),
                    allowance -> ProbeResult.unplanned(List.of()), Duration.ofMillis(200))).isFalse();
            assertThat(monitor.skipped(SkipReason.TIMEOUT)).isEqualTo(1);
            assertThat(reports).singleElement().satisfies(r -> {
                assertThat(r.kind()).isEqualTo(NoetherReport.Kind.STEP);
                assertThat(finalRecord(r)).containsEntry("analysis", "timeout");
            });
            release.countDown();
        }
    }

    @Test
    void theStepRecordNamesTheNonFiniteTensorsOfEachLayerAndTheLoss() {
        try (NoetherMonitor monitor = monitor(Ticker.system())) {
            net.backward(data[0], data[1]);
            StepSnapshot clean = net.snapshot(0, Double.NaN, net.sgd());
            StepSnapshot.Builder s = StepSnapshot.builder(0).loss(Double.NaN).optimizer(net.sgd());
            LayerSnapshot first = clean.layer(0);
            float[] gradient = first.weightGradient().clone();
            gradient[3] = Float.POSITIVE_INFINITY;
            s.layer(LayerSnapshot.of(first.weight(), first.bias(), gradient, first.biasGradient()));
            LayerSnapshot second = clean.layer(1);
            float[] bias = second.bias().clone();
            bias[0] = Float.NaN;
            s.layer(LayerSnapshot.of(second.weight(), bias, second.weightGradient(), second.biasGradient()));
            monitor.onStep(s.build());
            monitor.awaitSteps(Duration.ofSeconds(10));
            assertThat(monitor.nonFinite(0)).isEqualTo(1);
            assertThat(monitor.nonFinite(1)).isEqualTo(1);
            assertThat(reports).singleElement().satisfies(r -> assertThat(r.details().get("nonfinite")).isEqualTo(
                    Map.of("loss", "NaN", "fc1", List.of("weight.gradient"), "fc2", List.of("bias"))));
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> finalRecord(NoetherReport step) {
        return (Map<String, Object>) step.details().get("final");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> probeRecord(NoetherReport analysis) {
        return (Map<String, Object>) analysis.details().get("probe");
    }
}
