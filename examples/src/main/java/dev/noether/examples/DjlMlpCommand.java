package dev.noether.examples;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.noether.djl.NoetherTrainingListener;
import dev.noether.djl.ScalarFreeL2Loss;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.concurrent.Callable;

/** {@code djl-mlp}: a DJL (PyTorch engine, CPU) MLP learns a teacher, with live Noether metrics. */
@Command(name = "djl-mlp", mixinStandardHelpOptions = true,
        description = "Train a DJL MLP (PyTorch engine, CPU) on a generated teacher-student task with live metrics.")
final class DjlMlpCommand implements Callable<Integer> {
    @Mixin
    TrainingOptions options = new TrainingOptions();

    @Override
    public Integer call() throws Exception {
        if (!options.isValid("djl-mlp")) {
            return 2;
        }
        System.setProperty("ai.djl.offline", "true"); // never call home
        // A small MLP runs fastest on one libtorch thread; more threads oversubscribe small machines badly.
        // -Dai.djl.pytorch.num_threads=N on the command line wins.
        if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_threads", "1");
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }
        TeacherStudentData data = TeacherStudentData.generate(options.samples, options.seed);
        try (DemoSession session = new DemoSession(options, System.out);
             Model model = Model.newInstance("djl-mlp")) {
            Engine.getInstance().setRandomSeed((int) options.seed);
            model.setBlock(network());
            NoetherTrainingListener noether = NoetherTrainingListener.builder()
                    .registry(session.registry())
                    .config(options.noetherConfig())
                    .addListener(session.reportListener())
                    .build();
            DefaultTrainingConfig config = new DefaultTrainingConfig(new ScalarFreeL2Loss()) // DJL 0.36's l2Loss can read freed memory, see its Javadoc
                    .optOptimizer(optimizer())
                    .addTrainingListeners(noether);
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(new Shape(options.batch, TeacherStudentData.INPUTS));
                NDManager manager = trainer.getManager();
                NDArray x = manager.create(data.x, new Shape(data.samples, TeacherStudentData.INPUTS));
                NDArray y = manager.create(data.y, new Shape(data.samples, TeacherStudentData.OUTPUTS));
                ArrayDataset dataset = new ArrayDataset.Builder().setData(x).optLabels(y)
                        .setSampling(options.batch, true, true).build();
                long step = 0;
                while (session.keepTraining(step)) {
                    for (Batch batch : trainer.iterateDataset(dataset)) {
                        try (batch) {
                            EasyTrain.trainBatch(trainer, batch);
                            trainer.step();
                        }
                        session.progress(step);
                        if (!session.keepTraining(++step)) {
                            break;
                        }
                    }
                }
                session.trained(step);
            } // closing the trainer analyses the final state (onTrainingEnd)
            session.finish();
        }
        return 0;
    }

    private SequentialBlock network() {
        SequentialBlock net = new SequentialBlock();
        for (int i = 0; i < options.depth; i++) {
            net.add(Linear.builder().setUnits(options.width).build());
            if (options.normalizes(i)) {
                net.add(options.norm == TrainingOptions.Norm.batch ? BatchNorm.builder().build() : LayerNorm.builder().build());
            }
            switch (options.activation) {
                case relu -> net.add(Activation.reluBlock());
                case tanh -> net.add(Activation.tanhBlock());
                case identity -> { }
            }
        }
        net.add(Linear.builder().setUnits(TeacherStudentData.OUTPUTS).build());
        return net;
    }

    private Optimizer optimizer() {
        Tracker lr = Tracker.fixed((float) options.lr);
        float wd = (float) options.weightDecay;
        return switch (options.optimizer) {
            case sgd -> Optimizer.sgd().setLearningRateTracker(lr).optWeightDecays(wd).build();
            case momentum -> Optimizer.sgd().setLearningRateTracker(lr).optMomentum(0.9f).optWeightDecays(wd).build();
            case adam -> Optimizer.adam().optLearningRateTracker(lr).optWeightDecays(wd).build();
        };
    }
}
