package dev.noether.djl;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.initializer.Initializer;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.loss.Loss;
import ai.djl.training.loss.SimpleCompositeLoss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.translate.Batchifier;
import ai.djl.util.Pair;
import dev.noether.core.model.DenseLayer;
import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherMonitor;
import dev.noether.core.runtime.NoetherReport;
import dev.noether.core.runtime.SkipReason;
import dev.noether.core.runtime.Stage;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Training loops and models as real programs write them (issue 21): a loop that calls the trainer's listeners
 * with a {@code BatchData} whose batch is null (reinforcement-learning agents, hand-written loops), a block with
 * two outputs and a composite loss, and a ones-initialized deep convolution stack whose activations are finite
 * but far beyond 10¹⁹. Training stays bit-identical, nothing fails, and expected conditions are one line.
 */
class DjlRealLoopsTest {
    private static final NoetherConfig EVERY_FEW = NoetherConfig.builder().analysisEvery(5).observeEvery(1)
            .minAnalysisInterval(Duration.ZERO).maxAnalysisShare(1).overheadBudget(1).maxProbeTime(Duration.ofMinutes(5)).build();
    private static final Logger NOETHER = Logger.getLogger("dev.noether");
    private final List<LogRecord> logged = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            logged.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void listenToTheLog() {
        NOETHER.addHandler(capture);
    }

    @AfterEach
    void stopListening() {
        NOETHER.removeHandler(capture);
    }

    @Test
    void aLoopThatPassesNoBatchTrainsBitIdenticallyAndIsToldOnceInOneLine() throws InterruptedException {
        float[] without = trainWithoutBatches(40, 40, null);
        List<NoetherReport> reports = new CopyOnWriteArrayList<>();
        NoetherTrainingListener listener = NoetherTrainingListener.builder().registry(new SimpleMeterRegistry())
                .config(EVERY_FEW).addListener(reports::add).build();
        float[] with = trainWithoutBatches(40, 40, listener);
        assertThat(with).containsExactly(without);

        NoetherMonitor monitor = listener.monitor().orElseThrow();
        assertThat(monitor.steps()).isEqualTo(40);
        assertNothingFailed(monitor);
        for (DenseLayer l : monitor.description().layers()) {
            assertThat(monitor.value("layer.weight.norm", "layer", l.name())).as(l.name()).isPresent();
            assertThat(monitor.value("layer.effective.rank", "layer", l.name())).as(l.name()).isPresent();
            assertThat(monitor.value("representation.effective.rank", "layer", l.name())).as(l.name()).isEmpty();
        }
        // the loss, from the predictions the loop did pass
        assertThat(reports).filteredOn(r -> r.kind() == NoetherReport.Kind.STEP && r.step() < 40).hasSize(40)
                .allSatisfy(r -> assertThat(r.value("loss")).isPresent());
        assertThat(warnings()).singleElement().satisfies(r -> {
            assertThat(r.getMessage()).contains("passes no batch to its listeners")
                    .contains("NoetherTrainingListener.builder().probe(inputs, labels)").doesNotContain("\n");
            assertThat(r.getThrown()).isNull();
        });
        assertThat(logged).noneMatch(r -> r.getThrown() != null && r.getLevel().intValue() > Level.FINE.intValue());
    }

    @Test
    void aLoopThatPassesNoBatchUsesTheProbeItIsGiven() throws InterruptedException {
        TeacherStudent probe = TeacherStudent.generate(64, 8, 4, 77);
        NoetherTrainingListener listener;
        try (NDManager m = NDManager.newBaseManager()) {
            listener = NoetherTrainingListener.builder().registry(new SimpleMeterRegistry()).config(EVERY_FEW)
                    .probe(new NDList(m.create(probe.x, new Shape(64, 8))), new NDList(m.create(probe.y, new Shape(64, 4))))
                    .build();
            trainWithoutBatches(40, 40, listener);
        }
        NoetherMonitor monitor = listener.monitor().orElseThrow();
        assertNothingFailed(monitor);
        for (DenseLayer l : monitor.description().layers()) {
            assertThat(monitor.value("representation.effective.rank", "layer", l.name())).as(l.name()).isPresent();
            assertThat(monitor.value("crh.alignment", "layer", l.name(), "side", "a", "relation", "gwa")).isPresent();
        }
        assertThat(warnings()).isEmpty();
    }

    @Test
    void aLoopWhoseFirstBatchesAreNullTakesItsProbeFromTheFirstBatchItPasses() throws InterruptedException {
        NoetherTrainingListener listener = listener();
        trainWithoutBatches(40, 12, listener);
        NoetherMonitor monitor = listener.monitor().orElseThrow();
        assertNothingFailed(monitor);
        assertThat(monitor.latestAnalysis().step()).isGreaterThanOrEqualTo(12);
        for (DenseLayer l : monitor.description().layers()) {
            assertThat(monitor.value("representation.effective.rank", "layer", l.name())).as(l.name()).isPresent();
        }
        assertThat(warnings()).hasSize(1);
    }

    /**
     * A shared trunk and two heads joined as a list (two outputs), trained with a composite loss: every layer gets
     * G_b from the loss of the head it feeds, and nothing is left out.
     */
    @Test
    void aBlockWithTwoOutputsIsProbedWholeAndTrainsBitIdentically() throws InterruptedException {
        float[] without = trainTwoHeads(null);
        NoetherTrainingListener listener = listener();
        float[] with = trainTwoHeads(listener);
        assertThat(with).containsExactly(without);
        NoetherMonitor monitor = listener.monitor().orElseThrow();
        assertNothingFailed(monitor);
        assertThat(monitor.skipped(SkipReason.PROBE_PART)).isZero();
        assertThat(monitor.description().layers()).hasSize(3);
        for (DenseLayer l : monitor.description().layers()) {
            assertThat(monitor.value("representation.effective.rank", "layer", l.name())).as(l.name()).isPresent();
            assertThat(monitor.value("crh.alignment", "layer", l.name(), "side", "a", "relation", "gwa"))
                    .as(l.name()).isPresent();
        }
    }

    /**
     * A ones-initialized deep network (DJL's own ResNet-50 integration test initializes so): thirteen 3×3
     * convolutions of 4 channels with every weight 1, probed on a batch of ones, where the last convolution's
     * activations reach 4·10¹⁹: finite, but their float32 squares overflow. Noether counts nothing non-finite (its
     * moments are taken of power-of-two-scaled vectors, named in the record) and trains bit-identically. It trains
     * on inputs of 10⁻¹² so that its own gradients stay moderate: on ones, whether the first step's gradients
     * overflow depends on rounding (Σ_k (p_k − y_k) = ε multiplied by 36¹², measured both ways on this engine).
     */
    @Test
    void aFiniteOnesInitializedDeepConvNetCountsNothing() throws InterruptedException {
        float[] without = trainOnes(null);
        List<NoetherReport> reports = new CopyOnWriteArrayList<>();
        NoetherTrainingListener listener;
        Shape probeShape = new Shape(8, 1, 12, 12);
        try (NDManager m = NDManager.newBaseManager()) {
            listener = NoetherTrainingListener.builder().registry(new SimpleMeterRegistry()).config(EVERY_FEW)
                    .probe(new NDList(m.ones(probeShape)), new NDList(m.ones(new Shape(8, 1)))).addListener(reports::add)
                    .build();
            float[] with = trainOnes(listener);
            assertThat(with).containsExactly(without);
        }
        NoetherMonitor monitor = listener.monitor().orElseThrow();
        assertNothingFailed(monitor);
        for (DenseLayer l : monitor.description().layers()) {
            assertThat(monitor.nonFinite(l.index())).as(l.name()).isZero();
            assertThat(monitor.value("representation.effective.rank", "layer", l.name())).as(l.name()).isPresent();
        }
        assertThat(reports).filteredOn(r -> r.kind() == NoetherReport.Kind.ANALYSIS).isNotEmpty()
                .allSatisfy(r -> assertThat(r.toRecord().toString()).doesNotContain("nonfinite").contains("probe.scale"));
    }

    private static NoetherTrainingListener listener() {
        return NoetherTrainingListener.builder().registry(new SimpleMeterRegistry()).config(EVERY_FEW).build();
    }

    private List<LogRecord> warnings() {
        return logged.stream().filter(r -> r.getLevel().intValue() >= Level.WARNING.intValue()).toList();
    }

    private static void assertNothingFailed(NoetherMonitor monitor) throws InterruptedException {
        Analyses.awaitIdle(monitor);
        for (Stage stage : Stage.values()) {
            assertThat(monitor.errors(stage)).as(stage.tag()).isZero();
        }
        assertThat(monitor.skipped(SkipReason.PROBE_COST)).isZero();
    }

    /**
     * A hand-written loop in the style of DJL's reinforcement-learning agents: forward and backward in its own
     * collector, then the listeners told of the step with the labels and predictions but no batch (the first
     * {@code nullSteps} steps; after that, the batch), then the update. Returns the parameters.
     */
    private static float[] trainWithoutBatches(int steps, int nullSteps, NoetherTrainingListener listener) {
        TeacherStudent data = TeacherStudent.generate(256, 8, 4, 13);
        Engine.getInstance().setRandomSeed(21);
        try (Model model = Model.newInstance("agent")) {
            model.setBlock(Mlp.relu(16, 16, 4));
            DefaultTrainingConfig config = new DefaultTrainingConfig(new ScalarFreeL2Loss())
                    .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.05f)).build());
            if (listener != null) {
                config.addTrainingListeners(listener);
            }
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(new Shape(1, 8));
                for (int t = 0; t < steps; t++) {
                    try (NDManager batchManager = trainer.getManager().newSubManager()) {
                        NDArray x = batchManager.create(data.xRows(t * 16, 16), new Shape(16, 8));
                        NDArray y = batchManager.create(data.yRows(t * 16, 16), new Shape(16, 4));
                        NDList predictions;
                        try (GradientCollector collector = trainer.newGradientCollector()) {
                            predictions = trainer.forward(new NDList(x));
                            collector.backward(trainer.getLoss().evaluate(new NDList(y), predictions));
                        }
                        Batch batch = t < nullSteps ? null : new Batch(batchManager, new NDList(x), new NDList(y), 16,
                                Batchifier.STACK, Batchifier.STACK, t, steps);
                        Device device = x.getDevice();
                        TrainingListener.BatchData batchData = new TrainingListener.BatchData(batch,
                                Map.of(device, new NDList(y)), Map.of(device, predictions));
                        trainer.notifyListeners(l -> l.onTrainingBatch(trainer, batchData));
                        trainer.step();
                    }
                }
                return parameters(model);
            }
        }
    }

    /** trunk Linear(16)-ReLU, then heads Linear(3) and Linear(2) joined as two outputs; L2 on each. */
    private static float[] trainTwoHeads(NoetherTrainingListener listener) {
        TeacherStudent data = TeacherStudent.generate(256, 8, 5, 17);
        Engine.getInstance().setRandomSeed(23);
        Block heads = new ParallelBlock(list -> new NDList(list.get(0).singletonOrThrow(), list.get(1).singletonOrThrow()),
                List.of(Linear.builder().setUnits(3).build(), Linear.builder().setUnits(2).build()));
        SequentialBlock block = new SequentialBlock().add(Linear.builder().setUnits(16).build())
                .add(Activation.reluBlock()).add(heads);
        try (Model model = Model.newInstance("two-heads")) {
            model.setBlock(block);
            Loss loss = new SimpleCompositeLoss().addLoss(new IndexedL2(0)).addLoss(new IndexedL2(1));
            DefaultTrainingConfig config = new DefaultTrainingConfig(loss)
                    .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.05f)).build());
            if (listener != null) {
                config.addTrainingListeners(listener);
            }
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(new Shape(1, 8));
                for (int t = 0; t < 30; t++) {
                    try (NDManager m = trainer.getManager().newSubManager()) {
                        NDArray x = m.create(data.xRows(t * 16, 16), new Shape(16, 8));
                        NDArray y = m.create(data.yRows(t * 16, 16), new Shape(16, 5));
                        NDList labels = new NDList(y.get(":, 0:3"), y.get(":, 3:5"));
                        try (Batch b = new Batch(m, new NDList(x), labels, 16, Batchifier.STACK, Batchifier.STACK, t, 30)) {
                            EasyTrain.trainBatch(trainer, b);
                            trainer.step();
                        }
                    }
                }
                return parameters(model);
            }
        }
    }

    /** DJL's L2 loss on one output of several: label i against prediction i. */
    private static final class IndexedL2 extends Loss {
        private final int index;

        IndexedL2(int index) {
            super("L2_" + index);
            this.index = index;
        }

        @Override
        public NDArray evaluate(NDList labels, NDList predictions) {
            NDArray diff = labels.get(index).sub(predictions.get(index));
            return diff.square().mul(0.5f).mean();
        }
    }

    /**
     * Thirteen 3×3 convolutions of 4 channels (padding 1, ReLU), global average pooling and a dense head, every
     * convolution weight 1 (biases 0; the head DJL's default), three steps of DJL's default optimizer on inputs of
     * 10⁻¹².
     */
    private static float[] trainOnes(NoetherTrainingListener listener) {
        Engine.getInstance().setRandomSeed(29);
        SequentialBlock block = new SequentialBlock();
        for (int i = 0; i < 13; i++) {
            Conv2d conv = Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1)).setFilters(4).build();
            conv.setInitializer(Initializer.ONES, Parameter.Type.WEIGHT);
            block.add(conv).add(Activation.reluBlock());
        }
        block.add(Pool.globalAvgPool2dBlock()).add(Blocks.batchFlattenBlock()).add(Linear.builder().setUnits(10).build());
        try (Model model = Model.newInstance("ones")) {
            model.setBlock(block);
            DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss());
            if (listener != null) {
                config.addTrainingListeners(listener);
            }
            try (Trainer trainer = model.newTrainer(config)) {
                Shape shape = new Shape(8, 1, 12, 12);
                trainer.initialize(shape);
                NDManager m = trainer.getManager();
                for (int t = 0; t < 3; t++) {
                    try (Batch b = new Batch(m.newSubManager(), new NDList(m.ones(shape).mul(1e-12f)),
                            new NDList(m.arange(8f).reshape(8, 1)), 8, Batchifier.STACK, Batchifier.STACK, t, 3)) {
                        EasyTrain.trainBatch(trainer, b);
                        trainer.step();
                    }
                }
                return parameters(model);
            }
        }
    }

    private static float[] parameters(Model model) {
        List<Float> all = new ArrayList<>();
        for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
            for (float v : p.getValue().getArray().toFloatArray()) {
                all.add(v);
            }
        }
        float[] out = new float[all.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = all.get(i);
        }
        return out;
    }
}
