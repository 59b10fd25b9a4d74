package dev.noether.djl;

import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.Stage;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The listener observes; it never changes what training computes. */
class TrainingUnchangedTest {
    private static final int STEPS = 200;

    @Test
    void parametersAreBitIdenticalWithAndWithoutTheListener() {
        TeacherStudent data = TeacherStudent.generate(256, 8, 4, 41);
        List<float[]> initial;
        List<float[]> without;
        try (DjlRun run = new DjlRun(Mlp.relu(32, 32, 4), data, sgd(), 9)) {
            initial = run.parameters();
            run.steps(STEPS, 16);
            without = run.parameters();
        }
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        // a probe (forward, per-sample backward) every 5 steps: the most intrusive setting
        NoetherTrainingListener listener = NoetherTrainingListener.builder().registry(registry)
                .config(NoetherConfig.builder().observeEvery(1).analysisEvery(5).minAnalysisInterval(Duration.ZERO).maxAnalysisShare(1).build()).build();
        List<float[]> with;
        try (DjlRun run = new DjlRun(Mlp.relu(32, 32, 4), data, sgd(), 9, listener)) {
            assertThat(run.parameters()).usingRecursiveComparison().isEqualTo(initial);
            run.steps(STEPS, 16);
            with = run.parameters();
        }
        Timer probes = registry.find("noether.analysis").tag("tier", "probe").timer();
        assertThat(probes.count()).as("probes run during training").isGreaterThanOrEqualTo(3);
        assertThat(listener.monitor().orElseThrow().errors(Stage.ADAPTER)).isZero();
        assertThat(with).as("training moved the parameters").usingRecursiveComparison().isNotEqualTo(initial);
        assertThat(with).hasSameSizeAs(without);
        for (int i = 0; i < with.size(); i++) {
            assertThat(with.get(i)).as("parameter %d", i).isEqualTo(without.get(i));
        }
    }

    private static Optimizer sgd() {
        return Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.1f)).optWeightDecays(0.01f).build();
    }
}
