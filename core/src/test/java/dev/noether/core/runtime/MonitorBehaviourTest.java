package dev.noether.core.runtime;

import dev.noether.core.micrometer.NoetherMetrics;
import dev.noether.core.model.Activation;
import dev.noether.core.model.LayerSnapshot;
import dev.noether.core.model.StepSnapshot;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

class MonitorBehaviourTest {
    private static final NoetherConfig EVERY_STEP =
            NoetherConfig.builder().analysisEvery(1).observeEvery(1).minAnalysisInterval(Duration.ZERO)
                    .maxAnalysisShare(1).overheadBudget(1).build();

    @Test
    void theHandOffNeverBlocksAndCountsSkipsUnderASlowAnalysis() throws Exception {
        PlainSgdMlp net = new PlainSgdMlp(new int[] {4, 8, 2}, true, PlainSgdMlp.Act.RELU, 0.05, 0, 1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger analyses = new AtomicInteger();
        NoetherMonitor.Analysis slow = (weights, probes, now) -> {
            analyses.incrementAndGet();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return NoetherReport.builder(NoetherReport.Kind.ANALYSIS, "m", weights.step(), now).build();
        };
        double[][][] data = PlainSgdMlp.teacherData(16, 4, 2, 2);
        try (NoetherMonitor monitor = NoetherMonitor.builder(net.describe("m", Activation.RELU))
                .config(EVERY_STEP).analysis(slow).build()) {
            AtomicInteger probeCalls = new AtomicInteger();
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                for (int t = 0; t < 100; t++) {
                    double loss = net.backward(data[0], data[1]);
                    monitor.onStep(net.snapshot(t, loss, net.sgd()));
                    monitor.analyze(t, () -> {
                        probeCalls.incrementAndGet();
                        return List.of();
                    });
                    net.update();
                }
            });
            // the analysis is still blocked: every later offer was skipped, none was queued or prepared
            waitUntil(() -> analyses.get() > 0); // on a loaded machine its thread may not have started yet
            assertThat(analyses.get()).isEqualTo(1);
            assertThat(probeCalls.get()).isEqualTo(1);
            assertThat(monitor.skipped(SkipReason.BUSY)).isEqualTo(99);
            release.countDown();
            waitUntil(() -> !monitor.isAnalysisRunning());
            double[][][] more = PlainSgdMlp.teacherData(16, 4, 2, 3);
            monitor.onStep(net.snapshot(100, net.backward(more[0], more[1]), net.sgd()));
            assertThat(monitor.analyze(100, List::of)).isTrue();
        }
    }

    @Test
    void theTimeFloorSkipsAnalysesThatComeTooSoon() {
        PlainSgdMlp net = new PlainSgdMlp(new int[] {4, 8, 2}, true, PlainSgdMlp.Act.RELU, 0.05, 0, 1);
        double[][][] data = PlainSgdMlp.teacherData(16, 4, 2, 2);
        NoetherConfig config = NoetherConfig.builder().analysisEvery(5).observeEvery(1).minAnalysisInterval(Duration.ofHours(1)).build();
        try (NoetherMonitor monitor = NoetherMonitor.builder(net.describe("m", Activation.RELU)).config(config).build()) {
            int handed = 0;
            for (int t = 0; t < 20; t++) {
                monitor.onStep(net.snapshot(t, net.backward(data[0], data[1]), net.sgd()));
                handed += monitor.analyze(t, List::of) ? 1 : 0;
            }
            assertThat(handed).isEqualTo(1);                      // step 0
            assertThat(monitor.skipped(SkipReason.RATE_LIMITED)).isEqualTo(3); // steps 5, 10, 15
        }
    }

    /** METRICS.md §6: the end of training observes and analyses the final weights, whatever the time floor says. */
    @Test
    void finishAnalysesTheFinalStateDespiteTheTimeFloor() {
        PlainSgdMlp net = new PlainSgdMlp(new int[] {4, 8, 2}, true, PlainSgdMlp.Act.RELU, 0.05, 0, 1);
        double[][][] data = PlainSgdMlp.teacherData(16, 4, 2, 2);
        NoetherConfig config = NoetherConfig.builder().analysisEvery(5).observeEvery(25)
                .minAnalysisInterval(Duration.ofHours(1)).build();
        List<NoetherReport> reports = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (NoetherMonitor monitor = NoetherMonitor.builder(net.describe("m", Activation.RELU)).config(config).build()) {
            monitor.addListener(reports::add);
            for (int t = 0; t < 30; t++) {
                double loss = net.backward(data[0], data[1]);
                long step = t;
                monitor.onStep(t, () -> net.snapshot(step, loss, net.sgd()));
                monitor.analyze(t, List::of);
                net.update();
            }
            // the last observed step was 26, the last analysis step 0; the final state is after update 30
            zero(net, 3); // a neuron that died in the last update: only the final analysis can see it
            boolean done = monitor.finish(30, () -> net.snapshot(30, Double.NaN, net.sgd()), List::of, Duration.ofSeconds(10));
            assertThat(done).isTrue();
            assertThat(monitor.latestStep().step()).isEqualTo(30);
            assertThat(monitor.latestAnalysis().step()).isEqualTo(30);
            assertThat(monitor.latestAnalysis().value("neurons.dead", "layer", "fc1").getAsDouble()).isEqualTo(1);
            assertThat(monitor.value("charge", "pair", "fc1:fc2", "symmetry", "rescaling").getAsDouble())
                    .isCloseTo(net.charge(0), within(1e-9));
            assertThat(reports).extracting(NoetherReport::step).contains(30L);
            assertThat(monitor.skipped(SkipReason.TIMEOUT)).isZero();
        }
    }

    @Test
    void aFinalAnalysisPastItsBoundIsSkippedAndCounted() throws Exception {
        PlainSgdMlp net = new PlainSgdMlp(new int[] {4, 8, 2}, true, PlainSgdMlp.Act.RELU, 0.05, 0, 1);
        double[][][] data = PlainSgdMlp.teacherData(16, 4, 2, 2);
        CountDownLatch release = new CountDownLatch(1);
        NoetherMonitor.Analysis stuck = (weights, probes, now) -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return NoetherReport.builder(NoetherReport.Kind.ANALYSIS, "m", weights.step(), now).build();
        };
        try (NoetherMonitor monitor = NoetherMonitor.builder(net.describe("m", Activation.RELU))
                .config(EVERY_STEP).analysis(stuck).build()) {
            monitor.onStep(net.snapshot(0, net.backward(data[0], data[1]), net.sgd()));
            net.update();
            assertTimeoutPreemptively(Duration.ofSeconds(5), () ->
                    assertThat(monitor.finish(1, () -> net.snapshot(1, Double.NaN, net.sgd()), List::of,
                            Duration.ofMillis(200))).isFalse());
            assertThat(monitor.skipped(SkipReason.TIMEOUT)).isEqualTo(1);
            assertThat(monitor.latestStep().step()).isEqualTo(1); // the final observation itself is cheap and kept
            release.countDown();
        }
    }

    private static void zero(PlainSgdMlp net, int neuron) {
        int n = net.widths[0];
        for (int j = 0; j < n; j++) {
            net.w[0][neuron * n + j] = 0;
        }
        net.b[0][neuron] = 0;
        int m = net.widths[1];
        for (int o = 0; o < net.widths[2]; o++) {
            net.w[1][o * m + neuron] = 0;
        }
    }

    @Test
    void aLongAnalysisIsFollowedByAQuietPeriodThatKeepsItsShareOfWallTime() throws Exception {
        PlainSgdMlp net = new PlainSgdMlp(new int[] {4, 8, 2}, true, PlainSgdMlp.Act.RELU, 0.05, 0, 1);
        double[][][] data = PlainSgdMlp.teacherData(16, 4, 2, 2);
        ManualTicker ticker = new ManualTicker();
        // an analysis that takes 1 s on the injected clock
        NoetherMonitor.Analysis slow = (weights, probes, now) -> {
            ticker.advance(Duration.ofSeconds(1));
            return NoetherReport.builder(NoetherReport.Kind.ANALYSIS, "m", weights.step(), now).build();
        };
        NoetherConfig config = NoetherConfig.builder().analysisEvery(1).observeEvery(1)
                .minAnalysisInterval(Duration.ZERO).maxAnalysisShare(0.1).build();
        try (NoetherMonitor monitor = NoetherMonitor.builder(net.describe("m", Activation.RELU))
                .config(config).analysis(slow).ticker(ticker).build()) {
            monitor.onStep(net.snapshot(0, net.backward(data[0], data[1]), net.sgd()));
            assertThat(monitor.analyze(0, List::of)).isTrue();
            awaitIdle(monitor);
            // 1 s of analysis at a 10% share: the next 9 s are quiet
            monitor.onStep(net.snapshot(1, net.backward(data[0], data[1]), net.sgd()));
            assertThat(monitor.analyze(1, List::of)).isFalse();
            assertThat(monitor.skipped(SkipReason.RATE_LIMITED)).isEqualTo(1);
            assertThat(monitor.skipped(SkipReason.BUSY)).isZero();
        }
    }

    @Test
    void nonFiniteLayersAreCountedAndSkippedWhileTheRestIsReported() {
        PlainSgdMlp net = new PlainSgdMlp(new int[] {4, 8, 8, 2}, true, PlainSgdMlp.Act.RELU, 0.05, 0, 1);
        double[][][] data = PlainSgdMlp.teacherData(16, 4, 2, 2);
        try (NoetherMonitor monitor = NoetherMonitor.builder(net.describe("m", Activation.RELU)).config(EVERY_STEP).build()) {
            double loss = net.backward(data[0], data[1]);
            net.w[2][3] = Float.NaN;
            monitor.onStep(net.snapshot(0, loss, net.sgd()));
            assertThat(monitor.nonFinite(2)).isEqualTo(1);
            assertThat(monitor.nonFinite(0)).isZero();
            assertThat(monitor.value("layer.weight.norm", "layer", "fc1")).isPresent();
            assertThat(monitor.value("layer.weight.norm", "layer", "fc3")).isEmpty();
            assertThat(monitor.value("charge", "pair", "fc1:fc2", "symmetry", "rescaling")).isPresent();
            assertThat(monitor.value("charge", "pair", "fc2:fc3", "symmetry", "rescaling")).isEmpty();
            assertThat(monitor.errors(Stage.STEP)).isZero();
        }
    }

    @Test
    void badInputIsCountedAsAnErrorAndNeverThrown() {
        PlainSgdMlp net = new PlainSgdMlp(new int[] {4, 8, 2}, true, PlainSgdMlp.Act.RELU, 0.05, 0, 1);
        try (NoetherMonitor monitor = NoetherMonitor.builder(net.describe("m", Activation.RELU)).config(EVERY_STEP).build()) {
            monitor.onStep(StepSnapshot.builder(0).layer(LayerSnapshot.ofWeights(new float[3], null)).build());
            monitor.onStep(0, () -> {
                throw new IllegalStateException("engine closed");
            });
            monitor.onStep((StepSnapshot) null);
            assertThat(monitor.errors(Stage.STEP)).isEqualTo(1);     // wrong number of layers
            assertThat(monitor.errors(Stage.ADAPTER)).isEqualTo(2);  // the throwing and the null capture
            monitor.addListener(r -> {
                throw new RuntimeException("listener bug");
            });
            double[][][] data = PlainSgdMlp.teacherData(16, 4, 2, 2);
            monitor.onStep(net.snapshot(1, net.backward(data[0], data[1]), net.sgd()));
            assertThat(monitor.errors(Stage.LISTENER)).isEqualTo(1);
            assertThat(monitor.steps()).isEqualTo(4); // every call is a training step, even a bad one
        }
    }

    @Test
    void theBinderPublishesTheLatestValuesUnderSpecNamesWithDescriptions() throws Exception {
        PlainSgdMlp net = new PlainSgdMlp(new int[] {4, 8, 8, 2}, true, PlainSgdMlp.Act.RELU, 0.05, 0.001, 1);
        double[][][] data = PlainSgdMlp.teacherData(64, 4, 2, 2);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (NoetherMonitor monitor = NoetherMonitor.builder(net.describe("mlp", Activation.RELU))
                .config(EVERY_STEP).engine("test").build()) {
            new NoetherMetrics(monitor).bindTo(registry);
            for (int t = 0; t < 5; t++) {
                monitor.onStep(net.snapshot(t, net.backward(data[0], data[1]), net.sgd()));
                net.update();
            }
            monitor.analyze(4, List::of);
            waitUntil(() -> monitor.latestAnalysis() != null);

            Gauge drift = registry.find("noether.charge.drift").tags("model", "mlp", "pair", "fc1:fc2").gauge();
            assertThat(drift).isNotNull();
            assertThat(drift.value()).isEqualTo(monitor.value("charge.drift", "pair", "fc1:fc2", "symmetry", "rescaling").getAsDouble());
            assertThat(drift.getId().getDescription()).contains("C_i(t0)");
            assertThat(registry.find("noether.steps").functionCounter().count()).isEqualTo(5);
            assertThat(registry.find("noether.last.step.timestamp").gauge().value())
                    .isCloseTo(System.currentTimeMillis() / 1000.0, within(60.0));
            assertThat(registry.find("noether.info").tags("engine", "test", "optimizer", "sgd").gauge()).isNotNull();
            assertThat(registry.find("noether.layer.effective.rank").tags("layer", "fc2").gauge()).isNotNull();
            assertThat(registry.find("noether.neurons.dead").tags("layer", "fc1").gauge().value()).isZero();
            assertThat(registry.find("noether.last.step.timestamp").gauge().getId().getBaseUnit()).isEqualTo("seconds");
            assertThat(registry.find("noether.analysis").tags("tier", "heavy").timer().count()).isEqualTo(1);
            Gauge info = registry.find("noether.layer.info").tags("layer", "fc2").gauge();
            assertThat(info.getId().getTag("kind")).isEqualTo("dense");
            assertThat(info.getId().getTag("shape")).isEqualTo("8x8");
            assertThat(info.value()).isEqualTo(1);
            // no per-neuron series: every meter's tags come from the bounded set of §7 (and layer.info's kind, shape)
            registry.getMeters().forEach(m -> m.getId().getTags().forEach(tag ->
                    assertThat(tag.getKey()).isIn("model", "layer", "pair", "symmetry", "part", "side", "relation", "phase",
                            "tier", "reason", "stage", "version", "engine", "optimizer", "unsupported", "kind", "shape")));
        }
    }

    @Test
    void onlyTwoConsecutiveStepsInKAreCapturedButEveryStepIsCounted() {
        PlainSgdMlp net = new PlainSgdMlp(new int[] {4, 8, 2}, true, PlainSgdMlp.Act.RELU, 0.05, 0.01, 1);
        double[][][] data = PlainSgdMlp.teacherData(16, 4, 2, 2);
        NoetherConfig config = NoetherConfig.builder().observeEvery(10).analysisEvery(10).build();
        AtomicInteger captures = new AtomicInteger();
        try (NoetherMonitor monitor = NoetherMonitor.builder(net.describe("m", Activation.RELU)).config(config).build()) {
            for (int t = 0; t < 40; t++) {
                double loss = net.backward(data[0], data[1]);
                long step = t;
                monitor.onStep(step, () -> {
                    captures.incrementAndGet();
                    return net.snapshot(step, loss, net.sgd());
                });
                net.update();
            }
            assertThat(captures.get()).isEqualTo(8); // steps 0, 1, 10, 11, 20, 21, 30, 31
            assertThat(monitor.steps()).isEqualTo(40);
            assertThat(monitor.latestStep().step()).isEqualTo(31);
            // the one-step identity is still checked on the observed pairs
            assertThat(monitor.value("charge.residual", "pair", "fc1:fc2", "symmetry", "rescaling").getAsDouble())
                    .isLessThan(1e-5);
            assertThat(monitor.value("layer.update.ratio", "layer", "fc1")).isPresent();
        }
    }

    /** Waits, without sleeping, until the analysis thread has finished (and set the quiet period). */
    static void awaitIdle(NoetherMonitor monitor) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (monitor.isAnalysisRunning()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("analysis still running after 20 s");
            }
            Thread.onSpinWait();
        }
    }

    static void waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 20 s");
            }
            Thread.sleep(5);
        }
    }
}
