package dev.noether.core.runtime;

import dev.noether.core.model.Activation;
import dev.noether.core.model.LayerSnapshot;
import dev.noether.core.model.SnapshotArrays;
import dev.noether.core.model.StepSnapshot;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The every-step tier on its own thread (METRICS.md §6): the training thread only copies, into arrays that the
 * monitor hands back; the sums of every step still see that step's W and the one before.
 */
class StepThreadTest {
    private static final NoetherConfig STEPS_ONLY = NoetherConfig.builder().observeEvery(1)
            .analysisEvery(Integer.MAX_VALUE).build();

    /**
     * An adapter copying into recycled arrays, as the DJL and DL4J ones do on the CPU: every step's
     * update ratio ‖W(t) − W(t−1)‖/‖W(t)‖ is checked against the test's own copies of W, so an array given
     * back too early (and overwritten by a later copy) would show as a wrong ratio.
     */
    @Test
    void recycledCopiesAreReusedOnlyAfterTheStepAfterThemWasSummed() {
        PlainSgdMlp net = new PlainSgdMlp(new int[] {6, 12, 3}, true, PlainSgdMlp.Act.TANH, 0.05, 0, 1);
        double[][][] data = PlainSgdMlp.teacherData(32, 6, 3, 4);
        SnapshotArrays arrays = new SnapshotArrays(4);
        Map<Long, Double> expectedRatio = new java.util.concurrent.ConcurrentHashMap<>();
        Map<Long, Double> reportedRatio = new java.util.concurrent.ConcurrentHashMap<>();
        Set<float[]> handedOut = Collections.newSetFromMap(new IdentityHashMap<>());
        int steps = 400;
        try (NoetherMonitor monitor = NoetherMonitor.builder(net.describe("m", Activation.TANH)).config(STEPS_ONLY).build()) {
            monitor.addListener(r -> r.value("layer.update.ratio", "layer", "fc1")
                    .ifPresent(v -> {
                        if (!Double.isNaN(v)) { // step 0 has no step before
                            reportedRatio.put(r.step(), v);
                        }
                    }));
            float[] previous = null;
            for (int t = 0; t < steps; t++) {
                double loss = net.backward(data[0], data[1]);
                StepSnapshot fresh = net.snapshot(t, loss, net.sgd());
                float[] w = fresh.layer(0).weight();
                if (previous != null) {
                    expectedRatio.put((long) t, Math.sqrt(squaredDistance(w, previous)) / Math.sqrt(squaredDistance(w, new float[w.length])));
                }
                previous = w.clone();
                long step = t;
                monitor.onStep(t, () -> recycled(fresh, arrays, handedOut, step));
                net.update();
            }
            assertThat(monitor.awaitSteps(Duration.ofSeconds(10))).isTrue();
            assertThat(monitor.droppedSteps()).isZero();
        }
        assertThat(reportedRatio.keySet()).containsExactlyInAnyOrderElementsOf(expectedRatio.keySet());
        for (Map.Entry<Long, Double> e : expectedRatio.entrySet()) {
            assertThat(reportedRatio.get(e.getKey())).as("update ratio at step %d", e.getKey())
                    .isCloseTo(e.getValue(), within(1e-6 * e.getValue()));
        }
        // the arrays did come back: 400 steps of 8 arrays each were served by a few snapshots' worth
        assertThat(handedOut.size()).isLessThanOrEqualTo(6 * 8);
    }

    /** A report listener that blocks holds up the step thread; the training thread waits a second at most. */
    @Test
    void aBlockedStepThreadDropsStepsInsteadOfHoldingTheTrainingLoop() throws Exception {
        PlainSgdMlp net = new PlainSgdMlp(new int[] {4, 8, 2}, true, PlainSgdMlp.Act.RELU, 0.05, 0, 1);
        double[][][] data = PlainSgdMlp.teacherData(16, 4, 2, 2);
        CountDownLatch release = new CountDownLatch(1);
        try (NoetherMonitor monitor = NoetherMonitor.builder(net.describe("m", Activation.RELU)).config(STEPS_ONLY).build()) {
            monitor.addListener(r -> {
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            long start = System.nanoTime();
            for (int t = 0; t < 5; t++) {
                monitor.onStep(net.snapshot(t, net.backward(data[0], data[1]), net.sgd()));
                net.update();
            }
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
            // step 0 runs (and blocks), step 1 waits in the queue, steps 2..4 each wait 1 s and are dropped
            assertThat(seconds).isLessThan(10);
            release.countDown();
            assertThat(monitor.awaitSteps(Duration.ofSeconds(10))).isTrue();
            assertThat(monitor.droppedSteps()).isEqualTo(3);
            assertThat(monitor.latestStep().step()).isEqualTo(1);
        }
    }

    /**
     * A scrape reads under {@link ScrapeConsistency#read}, and the step thread's publication waits for it: a
     * gauge read inside the scrape must take what is published instead of waiting for that step (which used
     * to stall every gauge of a scrape for the settle time).
     */
    @Test
    void aReadInsideAConsistentScrapeDoesNotWaitForTheStepThread() {
        PlainSgdMlp net = new PlainSgdMlp(new int[] {4, 8, 2}, true, PlainSgdMlp.Act.RELU, 0.05, 0, 1);
        double[][][] data = PlainSgdMlp.teacherData(16, 4, 2, 2);
        try (NoetherMonitor monitor = NoetherMonitor.builder(net.describe("m", Activation.RELU)).config(STEPS_ONLY).build()) {
            monitor.onStep(net.snapshot(0, net.backward(data[0], data[1]), net.sgd()));
            assertThat(monitor.awaitSteps(Duration.ofSeconds(10))).isTrue();
            net.update();
            long waited = ScrapeConsistency.read(() -> {
                monitor.onStep(net.snapshot(1, net.backward(data[0], data[1]), net.sgd())); // its report waits for this scrape
                long start = System.nanoTime();
                assertThat(monitor.latestStep().step()).isEqualTo(0); // the published one
                return System.nanoTime() - start;
            });
            assertThat(TimeUnit.NANOSECONDS.toMillis(waited)).isLessThan(1000);
            assertThat(monitor.latestStep().step()).isEqualTo(1); // outside the scrape: every step handed over
        }
    }

    private static StepSnapshot recycled(StepSnapshot fresh, SnapshotArrays arrays, Set<float[]> handedOut, long step) {
        StepSnapshot.Builder b = StepSnapshot.builder(step).loss(fresh.loss()).optimizer(fresh.optimizer()).recycledTo(arrays);
        for (LayerSnapshot l : fresh.layers()) {
            b.layer(LayerSnapshot.of(copy(l.weight(), arrays, handedOut), copy(l.bias(), arrays, handedOut),
                    copy(l.weightGradient(), arrays, handedOut), copy(l.biasGradient(), arrays, handedOut)));
        }
        return b.build();
    }

    private static float[] copy(float[] a, SnapshotArrays arrays, Set<float[]> handedOut) {
        if (a == null) {
            return null;
        }
        float[] out = arrays.take(a.length);
        System.arraycopy(a, 0, out, 0, a.length);
        synchronized (handedOut) {
            handedOut.add(out);
        }
        return out;
    }

    private static double squaredDistance(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double d = (double) a[i] - b[i];
            s += d * d;
        }
        return s;
    }
}
