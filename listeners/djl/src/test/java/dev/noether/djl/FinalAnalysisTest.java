package dev.noether.djl;

import dev.noether.core.runtime.SkipReason;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherMonitor;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * METRICS.md §6 and §9.3 on DJL: a short run (well under 2 s of training) gets one regular analysis, at step 0
 * (the time floor skips the rest); only the final analysis at
 * {@code onTrainingEnd} can show where it ended. The quadratic model ℓ = ½(u w x − y)² + (γ/2)(u² + w²) with
 * x = y = 1 (E[xy] = 1): just above γ_c = 1 the neuron decays to u = w = 0 (dead), just below it settles at
 * u w = 1 − γ (alive).
 */
class FinalAnalysisTest {
    private static final String[] HIDDEN = {"layer", "01Linear"};
    private static final int STEPS = 1500;

    @Test
    void justAboveTheThresholdTheFinalAnalysisReportsTheNeuronDead() {
        NoetherMonitor m = train(1.1f);
        assertThat(m.latestAnalysis().step()).isEqualTo(STEPS);
        assertThat(m.latestAnalysis().value("neurons.dead", HIDDEN).getAsDouble()).isEqualTo(1);
        assertThat(m.skipped(SkipReason.TIMEOUT)).isZero();
    }

    @Test
    void justBelowTheThresholdTheFinalAnalysisReportsTheNeuronAlive() {
        NoetherMonitor m = train(0.9f);
        assertThat(m.latestAnalysis().step()).isEqualTo(STEPS);
        assertThat(m.latestAnalysis().value("neurons.dead", HIDDEN).getAsDouble()).isZero();
    }

    private static NoetherMonitor train(float gamma) {
        int samples = 16;
        float[] ones = new float[samples];
        java.util.Arrays.fill(ones, 1f);
        TeacherStudent data = new TeacherStudent(samples, 1, 1, ones, ones.clone());
        SequentialBlock block = new SequentialBlock()
                .add(Linear.builder().setUnits(1).optBias(false).build())
                .add(Linear.builder().setUnits(1).optBias(false).build());
        // N = 50 and a time floor of an hour: as a short run under the default 2 s floor, deterministically
        NoetherTrainingListener listener = NoetherTrainingListener.builder().registry(new SimpleMeterRegistry())
                .config(NoetherConfig.builder().minAnalysisInterval(Duration.ofHours(1)).build()).build();
        Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.2f)).optWeightDecays(gamma).build();
        try (DjlRun run = new DjlRun(block, data, sgd, 3, listener)) {
            run.steps(STEPS, samples); // about 0.5 s on the 2-core machine
            assertThat(listener.monitor().orElseThrow().latestAnalysis().step())
                    .as("the only regular analysis is the first").isZero();
        } // close() -> trainer.close() -> onTrainingEnd -> the final analysis
        return listener.monitor().orElseThrow();
    }
}
