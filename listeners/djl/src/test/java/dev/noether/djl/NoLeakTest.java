package dev.noether.djl;

import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherMonitor;
import dev.noether.core.runtime.Stage;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * 2,000 monitored steps leave neither engine arrays nor heap behind. The arrays are counted once the monitor's
 * step thread has observed every step handed over: until then the last step's loss still holds its copies of the
 * predictions and labels (two arrays, freed by the step thread's evaluation), which on a loaded machine made the
 * count depend on how far that thread had got.
 */
class NoLeakTest {

    @Test
    void liveArraysAndHeapStayFlatOverTwoThousandSteps() throws InterruptedException {
        TeacherStudent data = TeacherStudent.generate(512, 8, 4, 51);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        NoetherTrainingListener listener = NoetherTrainingListener.builder().registry(registry)
                .config(NoetherConfig.builder().observeEvery(1).analysisEvery(10).minAnalysisInterval(Duration.ZERO).maxAnalysisShare(1).overheadBudget(1).build()).build();
        Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.05f)).optWeightDecays(1e-3f).build();
        try (DjlRun run = new DjlRun(Mlp.relu(32, 32, 4), data, sgd, 13, listener)) {
            run.steps(200, 16);
            NoetherMonitor monitor = listener.monitor().orElseThrow();
            settle(monitor);
            int arrays200 = ProbeRunnerTest.liveArrays(run);
            long heap200 = heapAfterGc();

            run.steps(1800, 16);
            settle(monitor);
            int arrays2000 = ProbeRunnerTest.liveArrays(run);
            long heap2000 = heapAfterGc();

            assertThat(monitor.steps()).isEqualTo(2000);
            assertThat(monitor.errors(Stage.ADAPTER) + monitor.errors(Stage.PROBE)).isZero();
            // a probe offered every 10 steps; how many ran depends on how busy the analysis thread was (skips are
            // counted), which a loaded machine decides: the leak checks below hold for any number
            long probes = registry.find("noether.analysis").tag("tier", "probe").timer().count();
            assertThat(probes).as("probe passes").isPositive();
            assertThat(probes + monitor.skipped(dev.noether.core.runtime.SkipReason.BUSY)).as("probes offered")
                    .isLessThanOrEqualTo(200);
            assertThat(arrays2000).as("live engine arrays after 2000 steps (200: %d)", arrays200)
                    .isEqualTo(arrays200);
            assertThat(heap2000 - heap200).as("heap growth in bytes from step 200 to 2000")
                    .isLessThan(8L << 20);
        }
    }

    /** The steps handed over observed (their deferred losses evaluated and freed) and no analysis running. */
    private static void settle(NoetherMonitor monitor) throws InterruptedException {
        assertThat(monitor.awaitSteps(Duration.ofMinutes(2))).as("step thread idle").isTrue();
        Analyses.awaitIdle(monitor);
    }

    private static long heapAfterGc() throws InterruptedException {
        Runtime rt = Runtime.getRuntime();
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
            best = Math.min(best, rt.totalMemory() - rt.freeMemory());
        }
        return best;
    }
}
