package dev.noether.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherReport;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * {@code noether.loss} of each step is the trainer's loss on that step's batch, although the listener only
 * copies labels and predictions and the monitor's step thread evaluates it: checked against ½(y − ŷ)²
 * averaged here in plain Java, from predictions of the same parameters taken before the step.
 */
class StepLossTest {
    @Test
    void theStepLossIsTheMeanSquaredErrorOfThatStepsBatch() {
        TeacherStudent data = TeacherStudent.generate(32, 6, 3, 11);
        List<NoetherReport> steps = new CopyOnWriteArrayList<>();
        NoetherTrainingListener listener = NoetherTrainingListener.builder().registry(new SimpleMeterRegistry())
                .config(NoetherConfig.builder().analysisEvery(Integer.MAX_VALUE).observeEvery(1).build())
                .addListener(r -> {
                    if (r.kind() == NoetherReport.Kind.STEP) {
                        steps.add(r);
                    }
                }).build();
        Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.05f)).build();
        double[] expected = new double[5];
        try (DjlRun run = new DjlRun(Mlp.relu(16, 3), data, sgd, 5, listener)) {
            for (int t = 0; t < expected.length; t++) {
                expected[t] = meanHalfSquaredError(run, data); // the whole data set is every step's batch
                run.steps(1, data.samples);
            }
            assertThat(listener.monitor().orElseThrow().awaitSteps(Duration.ofSeconds(10))).isTrue();
        }
        // the training steps, then the final state at training end (step 5: no batch, no loss)
        assertThat(steps).extracting(NoetherReport::step).containsExactly(0L, 1L, 2L, 3L, 4L, 5L);
        for (NoetherReport r : steps.subList(0, expected.length)) {
            double e = expected[(int) r.step()];
            assertThat(r.value("loss").getAsDouble()).as("loss at step %d", r.step()).isCloseTo(e, within(1e-6 * e));
        }
        assertThat(expected[expected.length - 1]).isLessThan(expected[0]); // it trained
    }

    private static double meanHalfSquaredError(DjlRun run, TeacherStudent data) {
        try (NDManager m = run.trainer.getManager().newSubManager()) {
            NDArray x = m.create(data.xRows(0, data.samples), run.batchShape(data.samples));
            float[] prediction = run.trainer.evaluate(new NDList(x)).singletonOrThrow().toFloatArray();
            float[] y = data.yRows(0, data.samples);
            double sum = 0;
            for (int i = 0; i < y.length; i++) {
                double d = (double) y[i] - prediction[i];
                sum += 0.5 * d * d;
            }
            return sum / y.length;
        }
    }
}
