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
            .minAnalysisInterval(Duration.ZERO).maxAnalysisShare(1).maxProbeTime(Duration.ofMinutes(5)).build();
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
     * DJL's ones-initialized deep networks (its own ResNet-50 integration test): finite weights, gradients and
     * activations, the deepest activations beyond 10¹⁹, whose float32 squares overflow. Noether counts nothing
     * non-finite (its moments are taken of power-of-two-scaled vectors, named in the record) and trains the
     * step bit-identically.
     */
    @Test
    void aFiniteOnesInitializedDeepConvNetCountsNothing() throws InterruptedException {
        float[] without = trainOnes(null, null);
        List<NoetherReport> reports = new CopyOnWriteArrayList<>();
        NoetherTrainingListener listener = NoetherTrainingListener.builder().registry(new SimpleMeterRegistry())
                .config(EVERY_FEW).addListener(reports::add).build();
        double[] largest = new double[1];
        float[] with = trainOnes(listener, largest);
        assertThat(with).containsExactly(without);
        assertThat(largest[0]).as("the last convolution's largest activation").isGreaterThan(1e20).isFinite();

        NoetherMonitor monitor = listener.monitor().orElseThrow();
        assertNothingFailed(monitor);
        for (DenseLayer l : monitor.description().layers()) {
            assertThat(monitor.nonFinite(l.index())).as(l.name()).isZero();
            assertThat(monitor.value("representation.effective.rank", "layer", l.name())).as(l.name()).isPresent();
        }
        assertThat(reports).filteredOn(r -> r.kind() == NoetherReport.Kind.ANALYSIS).isNotEmpty()
                .allSatisfy(r -> assertThat(r.toRecord().toString()).doesNotContain("nonfinite").contains("probe.scale"));
    }

    /**
     * A pass planned smaller than the batch (issue 21, the probe within its allowance) measures the plan's first
     * samples, the dense layers exactly as a whole pass over those samples, each convolution at most the plan's
     * rows at its seeded positions; the convolutions' output positions come from the mapped model's shapes.
     */
    @Test
    void aReducedPlanMeasuresItsFirstSamplesAtItsPositions() {
        TeacherStudent images = TeacherStudent.generate(64, 784, 10, 3);
        try (DjlRun run = new DjlRun(ConvNets.lenet(10), images, ConvNets.MNIST,
                Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.05f)).build(), 4)) {
            run.steps(2, 16);
            MappedNetwork net = new DjlNetworkMapper(run.trainer.getManager()).map("m", run.model.getBlock());
            try (NDManager m = run.trainer.getManager().newSubManager();
                 ProbeBatch batch = ProbeBatch.copyOf(new NDList(m.create(images.xRows(0, 32), new Shape(32, 1, 28, 28))),
                         new NDList(m.create(images.yRows(0, 32), new Shape(32, 10))), 32, run.trainer.getManager(), Device.cpu());
                 ProbeBatch first = ProbeBatch.copyOf(batch.inputs(), batch.labels(), 12, run.trainer.getManager(), Device.cpu())) {
                ProbeRunner runner = new ProbeRunner(net, batch);
                dev.noether.core.probe.ProbeWorkload work = runner.workload();
                double budget = (work.cost(12, 12) + work.cost(13, 13)) / 2; // 12 samples, one position each, fit
                double throughput = 1e9;
                dev.noether.core.probe.ProbeResult reduced = runner.compute(run.trainer, new dev.noether.core.probe.ProbeAllowance(
                        Duration.ofNanos((long) (budget / throughput * 1e9)), throughput, System.nanoTime(), Duration.ofHours(1)));
                assertThat(reduced.plan().status()).isEqualTo(dev.noether.core.probe.ProbePlan.Status.REDUCED);
                assertThat(reduced.plan().samples()).isEqualTo(12);
                assertThat(reduced.gaps()).isEmpty();
                List<dev.noether.core.model.LayerProbe> whole = new ProbeRunner(net, first).compute(run.trainer);
                int[] outputPositions = {28 * 28, 10 * 10}; // the two convolutions of LeNet on 28 × 28
                for (dev.noether.core.model.LayerProbe p : reduced.layers()) {
                    if (p.layer() >= 2) { // the dense layers
                        assertThat(p.samples()).isEqualTo(12);
                        assertThat(p.inputMoment()).containsExactly(whole.get(p.layer()).inputMoment());
                        assertThat(p.outputGradientMoment()).containsExactly(whole.get(p.layer()).outputGradientMoment());
                    } else {
                        int rows = 12 * dev.noether.core.model.ProbePositions.kept(outputPositions[p.layer()], 12,
                                reduced.plan().maxRows());
                        assertThat(p.samples()).isEqualTo(rows).isLessThanOrEqualTo(reduced.plan().maxRows());
                    }
                }
                assertThat(reduced.plan().multiplyAdds()).isLessThanOrEqualTo(budget);
            }
        }
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
     * Sixteen 3×3 convolutions of 4 channels (padding 1, ReLU), global average pooling and a dense head, every
     * weight 1 (biases 0, DJL's default), one SGD step on ones, as DJL's own integration test trains its
     * ResNet-50. {@code largest}, when given, receives the last convolution's largest activation.
     */
    private static float[] trainOnes(NoetherTrainingListener listener, double[] largest) {
        Engine.getInstance().setRandomSeed(29);
        SequentialBlock block = new SequentialBlock();
        for (int i = 0; i < 16; i++) {
            block.add(Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1)).setFilters(4).build())
                    .add(Activation.reluBlock());
        }
        block.add(Pool.globalAvgPool2dBlock()).add(Blocks.batchFlattenBlock()).add(Linear.builder().setUnits(10).build());
        try (Model model = Model.newInstance("ones")) {
            model.setBlock(block);
            // DJL's default optimizer (Adam): an update of about its learning rate whatever the gradient's size
            DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                    .optInitializer(Initializer.ONES, Parameter.Type.WEIGHT);
            if (listener != null) {
                config.addTrainingListeners(listener);
            }
            try (Trainer trainer = model.newTrainer(config)) {
                Shape shape = new Shape(8, 1, 12, 12);
                trainer.initialize(shape);
                NDManager m = trainer.getManager();
                try (Batch b = new Batch(m.newSubManager(), new NDList(m.ones(shape)), new NDList(m.ones(new Shape(8, 1))),
                        8, Batchifier.STACK, Batchifier.STACK, 0, 1)) {
                    EasyTrain.trainBatch(trainer, b);
                    trainer.step();
                }
                if (largest != null) {
                    Block convs = new SequentialBlock();
                    for (int i = 0; i < 32; i++) {
                        ((SequentialBlock) convs).add(block.getChildren().get(i).getValue());
                    }
                    NDList out = convs.forward(new ai.djl.training.ParameterStore(m, false), new NDList(m.ones(shape)), false);
                    largest[0] = out.singletonOrThrow().abs().max().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
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
