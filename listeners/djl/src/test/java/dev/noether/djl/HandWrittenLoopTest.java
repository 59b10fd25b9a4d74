package dev.noether.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.translate.Batchifier;
import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherMonitor;
import dev.noether.core.runtime.Stage;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A loop that notifies its listeners while its own GradientCollector is still open. */
class HandWrittenLoopTest {

    @Test
    void probeLeavesOutPerSampleGradientsButNeverBreaksTheLoop() throws InterruptedException {
        TeacherStudent data = TeacherStudent.generate(128, 8, 4, 91);
        NoetherTrainingListener listener = NoetherTrainingListener.builder().registry(new SimpleMeterRegistry())
                .config(NoetherConfig.builder().observeEvery(1).analysisEvery(5).minAnalysisInterval(Duration.ZERO).maxAnalysisShare(1).overheadBudget(1).build()).build();
        Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.05f)).build();
        try (DjlRun run = new DjlRun(Mlp.relu(16, 4), data, sgd, 5, listener)) {
            Trainer trainer = run.trainer;
            for (int step = 0; step < 20; step++) {
                NDManager m = trainer.getManager().newSubManager();
                NDArray x = m.create(data.xRows(16 * step, 16), new Shape(16, 8));
                NDArray y = m.create(data.yRows(16 * step, 16), new Shape(16, 4));
                try (Batch batch = new Batch(m, new NDList(x), new NDList(y), 16, Batchifier.STACK, Batchifier.STACK, 0, 0)) {
                    try (GradientCollector collector = trainer.newGradientCollector()) {
                        NDList predictions = trainer.forward(batch.getData(), batch.getLabels());
                        collector.backward(trainer.getLoss().evaluate(batch.getLabels(), predictions));
                        TrainingListener.BatchData batchData = new TrainingListener.BatchData(batch,
                                Map.of(x.getDevice(), batch.getLabels()), Map.of(x.getDevice(), predictions));
                        trainer.notifyListeners(l -> l.onTrainingBatch(trainer, batchData));
                    }
                    trainer.step();
                }
            }
            NoetherMonitor monitor = listener.monitor().orElseThrow();
            Analyses.awaitIdle(monitor);
            assertThat(monitor.steps()).isEqualTo(20);
            assertThat(monitor.errors(Stage.ADAPTER) + monitor.errors(Stage.PROBE)).isZero();
            assertThat(monitor.value("loss").getAsDouble()).isPositive();
            assertThat(monitor.value("representation.effective.rank", "layer", "01Linear"))
                    .as("H_b needs no gradients").isPresent();
            assertThat(monitor.value("crh.alignment", "layer", "01Linear", "side", "a", "relation", "rga"))
                    .as("G_b needs per-sample gradients").isEmpty();
        }
    }
}
