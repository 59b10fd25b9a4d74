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

/** 2,000 monitored steps leave neither engine arrays nor heap behind. */
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
            Analyses.awaitIdle(monitor);
            int arrays200 = ProbeRunnerTest.liveArrays(run);
            long heap200 = heapAfterGc();

            run.steps(1800, 16);
            Analyses.awaitIdle(monitor);
            int arrays2000 = ProbeRunnerTest.liveArrays(run);
            long heap2000 = heapAfterGc();

            assertThat(monitor.steps()).isEqualTo(2000);
            assertThat(monitor.errors(Stage.ADAPTER) + monitor.errors(Stage.PROBE)).isZero();
            // one probe per 10 steps unless the analysis thread was busy
            assertThat(registry.find("noether.analysis").tag("tier", "probe").timer().count())
                    .as("probe passes").isGreaterThanOrEqualTo(20);
            assertThat(arrays2000).as("live engine arrays after 2000 steps (200: %d)", arrays200)
                    .isEqualTo(arrays200);
            assertThat(heap2000 - heap200).as("heap growth in bytes from step 200 to 2000")
                    .isLessThan(8L << 20);
        }
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
