package dev.noether.examples;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherMonitor;
import io.micrometer.core.instrument.MeterRegistry;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.time.Duration;
import java.util.List;

/** One equivalent architecture (3 hidden ReLU layers of 24, plain SGD with L2) trained briefly on each engine. */
final class ExpositionRuns {
    private static final int STEPS = 60;

    private ExpositionRuns() {}

    static NoetherConfig config() {
        return NoetherConfig.builder().observeEvery(1).analysisEvery(20).minAnalysisInterval(Duration.ZERO)
                .maxAnalysisShare(1).overheadBudget(1).build();
    }

    static TrainingOptions options() {
        TrainingOptions o = new TrainingOptions();
        o.width = 24;
        o.depth = 3;
        o.samples = 256;
        o.batch = 32;
        o.lr = 0.05;
        o.weightDecay = 1e-3;
        o.norm = TrainingOptions.Norm.none; // the DJL network above has none
        return o;
    }

    static void djl(MeterRegistry registry) throws Exception {
        System.setProperty("ai.djl.pytorch.num_threads", "1");
        TrainingOptions o = options();
        TeacherStudentData data = TeacherStudentData.generate(o.samples, 1);
        try (Model model = Model.newInstance("mlp")) {
            Engine.getInstance().setRandomSeed(1);
            SequentialBlock net = new SequentialBlock();
            for (int i = 0; i < o.depth; i++) {
                net.add(Linear.builder().setUnits(o.width).build()).add(Activation.reluBlock());
            }
            net.add(Linear.builder().setUnits(TeacherStudentData.OUTPUTS).build());
            model.setBlock(net);
            dev.noether.djl.NoetherTrainingListener noether = dev.noether.djl.NoetherTrainingListener.builder()
                    .registry(registry).modelName("mlp").config(config()).build();
            DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.l2Loss())
                    .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed((float) o.lr))
                            .optWeightDecays((float) o.weightDecay).build())
                    .addTrainingListeners(noether);
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(new Shape(o.batch, TeacherStudentData.INPUTS));
                NDManager m = trainer.getManager();
                ArrayDataset set = new ArrayDataset.Builder()
                        .setData(m.create(data.x, new Shape(data.samples, TeacherStudentData.INPUTS)))
                        .optLabels(m.create(data.y, new Shape(data.samples, TeacherStudentData.OUTPUTS)))
                        .setSampling(o.batch, false, true).build();
                int step = 0;
                while (step < STEPS) {
                    for (Batch batch : trainer.iterateDataset(set)) {
                        try (batch) {
                            EasyTrain.trainBatch(trainer, batch);
                            trainer.step();
                        }
                        if (++step >= STEPS) {
                            break;
                        }
                    }
                }
                awaitAnalysis(noether.monitor().orElseThrow());
            }
        }
    }

    static void dl4j(MeterRegistry registry) throws Exception {
        TrainingOptions o = options();
        TeacherStudentData data = TeacherStudentData.generate(o.samples, 1);
        MultiLayerNetwork net = Dl4jNetworks.mlp(o, TeacherStudentData.INPUTS, TeacherStudentData.OUTPUTS,
                org.nd4j.linalg.activations.Activation.IDENTITY, LossFunctions.LossFunction.MSE);
        try (dev.noether.dl4j.NoetherListener noether = dev.noether.dl4j.NoetherListener.builder()
                .registry(registry).modelName("mlp").config(config()).build()) {
            net.addListeners(noether);
            DataSet set = new DataSet(Nd4j.create(data.x, new long[] {data.samples, TeacherStudentData.INPUTS}, 'c'),
                    Nd4j.create(data.y, new long[] {data.samples, TeacherStudentData.OUTPUTS}, 'c'));
            List<DataSet> batches = set.batchBy(o.batch);
            for (int step = 0; step < STEPS; step++) {
                net.fit(batches.get(step % batches.size()));
            }
            awaitAnalysis(noether.monitor().orElseThrow());
        }
    }

    private static void awaitAnalysis(NoetherMonitor monitor) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while ((monitor.latestAnalysis() == null || monitor.isAnalysisRunning()) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }
}
