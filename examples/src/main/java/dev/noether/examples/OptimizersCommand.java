package dev.noether.examples;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
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
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.noether.core.runtime.NoetherConfig;
import dev.noether.dl4j.NoetherListener;
import dev.noether.djl.NoetherTrainingListener;
import dev.noether.djl.ScalarFreeL2Loss;
import dev.noether.exporter.NoetherExporter;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code optimizers}: the same network (32 → 64 → 64 → 64 → 8, ReLU) on the same teacher–student data, trained with
 * plain SGD, heavy-ball momentum, Nesterov, Adam and AdamW one after the other, each with its own exporter and page.
 * Then one table: per optimizer and pair, the mean over training of what moved the charge
 * ({@code charge.drift.rate.part}: decay, optimizer, gradient, step) and the observed rate, the layers' balance at
 * the start and at the end ({@code norm.spread}), and the loss. DJL's PyTorch engine has no Nesterov update, so
 * that one trains on DL4J (ND4J), the same layers with the same initialization scheme; the others on DJL.
 */
@Command(name = "optimizers", mixinStandardHelpOptions = true,
        description = "Train one MLP with SGD, momentum, Nesterov, Adam and AdamW and compare what moves its Noether charges.")
final class OptimizersCommand implements Callable<Integer> {
    static final int WIDTH = 64;
    static final int HIDDEN = 3;
    private static final String[] PARTS = {"decay", "optimizer", "gradient", "step"};

    @Option(names = "--steps", description = "Training steps per optimizer (default: ${DEFAULT-VALUE}).")
    int steps = 3000;

    @Option(names = "--samples", description = "Generated training samples (default: ${DEFAULT-VALUE}).")
    int samples = 4096;

    @Option(names = "--batch", description = "Minibatch size (default: ${DEFAULT-VALUE}).")
    int batch = 64;

    @Option(names = "--port", description = "Page and metrics port of the first optimizer, the next ones on the "
            + "following ports; 0 picks free ports (default: ${DEFAULT-VALUE}).")
    int port = 9464;

    @Option(names = "--events", description = "Write each optimizer's event log into this folder (default: none).")
    Path events;

    @Option(names = "--seed", description = "Random seed for data and initialization (default: ${DEFAULT-VALUE}).")
    long seed = 42;

    @Option(names = "--hold", description = "Keep the five pages up after the table until Ctrl-C.")
    boolean hold;

    @Option(names = "--noether", paramLabel = "key=value,...", description = "Noether settings by NoetherConfig's "
            + "builder names (default: observeEvery=5, runs of two or three steps in five, whatever they cost; "
            + "observeEvery=auto leaves it to the overhead budget).")
    String noether;

    /** One optimizer of the comparison: its name, engine and settings as the table prints them. */
    record Contender(String name, String engine, String settings) {}

    static final List<Contender> CONTENDERS = List.of(
            new Contender("sgd", "DJL", "η 0.05, L2 γ 3e-3"),
            new Contender("momentum", "DJL", "η 0.005, μ 0.9, L2 γ 3e-3"),
            new Contender("nesterov", "DL4J", "η 0.005, μ 0.9, L2 γ 3e-3"),
            new Contender("adam", "DJL", "η 1e-3, L2 γ 3e-3"),
            new Contender("adamw", "DJL", "η 1e-3, decoupled wd 0.1 (δ = 1e-4)"));

    @Override
    public Integer call() throws Exception {
        if (steps < 10 || samples < batch || batch < 1 || port < 0 || port > 65535 - CONTENDERS.size()) {
            System.err.println("optimizers: --steps must be at least 10, --batch between 1 and --samples, --port 0..65530");
            return 2;
        }
        // a comparison of physics, not of cost: observe a run of steps in every five
        NoetherConfig config = NoetherConfig.resolve(NoetherConfig.builder().observeEvery(5).build(), "--noether",
                noether, Map.of(), Map.of());
        System.setProperty("ai.djl.offline", "true");
        if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_threads", "1");
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }
        if (events != null) {
            Files.createDirectories(events);
        }
        TeacherStudentData data = TeacherStudentData.generate(samples, seed);
        PrintStream out = System.out;
        out.printf(Locale.ROOT, "One %d-%s-%d ReLU MLP, %d steps of %d samples per optimizer.%n", TeacherStudentData.INPUTS,
                String.join("-", Collections.nCopies(HIDDEN, String.valueOf(WIDTH))), TeacherStudentData.OUTPUTS,
                steps, batch);
        List<NoetherExporter> pages = new ArrayList<>();
        List<ChargeBudgetTable.Row> rows = new ArrayList<>();
        try {
            for (int k = 0; k < CONTENDERS.size(); k++) {
                Contender c = CONTENDERS.get(k);
                NoetherExporter.Builder b = NoetherExporter.builder().port(port == 0 ? 0 : port + k);
                if (events != null) {
                    b.eventLog(events.resolve(c.name() + ".jsonl"));
                }
                NoetherExporter exporter = b.start();
                pages.add(exporter);
                out.printf(Locale.ROOT, "%-9s (%s, %s): page at %s%n", c.name(), c.engine(), c.settings(), exporter.pageUrl());
                ChargeBudgetTable.Collector collector = new ChargeBudgetTable.Collector();
                long start = System.nanoTime();
                if (c.engine().equals("DJL")) {
                    trainDjl(c.name(), data, exporter, config, collector);
                } else {
                    trainDl4j(data, exporter, config, collector);
                }
                rows.add(collector.row(c, (System.nanoTime() - start) / 1e9));
            }
            ChargeBudgetTable.print(rows, out);
            if (hold) {
                out.println("The pages stay up until Ctrl-C.");
                CountDownLatch forever = new CountDownLatch(1);
                Runtime.getRuntime().addShutdownHook(new Thread(forever::countDown));
                forever.await();
            }
        } finally {
            pages.forEach(NoetherExporter::close);
        }
        return 0;
    }

    private Optimizer djlOptimizer(String name) {
        return switch (name) {
            case "sgd" -> Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.05f)).optWeightDecays(3e-3f).build();
            case "momentum" -> Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.005f)).optMomentum(0.9f)
                    .optWeightDecays(3e-3f).build();
            case "adam" -> Optimizer.adam().optLearningRateTracker(Tracker.fixed(1e-3f)).optWeightDecays(3e-3f).build();
            case "adamw" -> Optimizer.adamW().optLearningRateTracker(Tracker.fixed(1e-3f)).optWeightDecays(0.1f).build();
            default -> throw new IllegalArgumentException(name);
        };
    }

    private void trainDjl(String name, TeacherStudentData data, NoetherExporter exporter, NoetherConfig config,
                          ChargeBudgetTable.Collector collector) throws Exception {
        try (Model model = Model.newInstance(name)) {
            Engine.getInstance().setRandomSeed((int) seed);
            SequentialBlock net = new SequentialBlock();
            for (int i = 0; i < HIDDEN; i++) {
                net.add(Linear.builder().setUnits(WIDTH).build()).add(Activation.reluBlock());
            }
            net.add(Linear.builder().setUnits(TeacherStudentData.OUTPUTS).build());
            model.setBlock(net);
            NoetherTrainingListener noether = NoetherTrainingListener.builder().registry(exporter.registry())
                    .modelName(name).config(config).addListener(exporter.reportListener()).addListener(collector).build();
            DefaultTrainingConfig training = new DefaultTrainingConfig(new ScalarFreeL2Loss())
                    .optOptimizer(djlOptimizer(name)).addTrainingListeners(noether);
            try (Trainer trainer = model.newTrainer(training)) {
                trainer.initialize(new Shape(batch, TeacherStudentData.INPUTS));
                NDManager manager = trainer.getManager();
                NDArray x = manager.create(data.x, new Shape(data.samples, TeacherStudentData.INPUTS));
                NDArray y = manager.create(data.y, new Shape(data.samples, TeacherStudentData.OUTPUTS));
                ArrayDataset dataset = new ArrayDataset.Builder().setData(x).optLabels(y)
                        .setSampling(batch, true, true).build();
                long step = 0;
                while (step < steps) {
                    for (Batch b : trainer.iterateDataset(dataset)) {
                        try (b) {
                            EasyTrain.trainBatch(trainer, b);
                            trainer.step();
                        }
                        if (++step >= steps) {
                            break;
                        }
                    }
                }
            } // closing the trainer observes and analyses the final state
            noether.monitor().ifPresent(collector::finished);
        }
    }

    private void trainDl4j(TeacherStudentData data, NoetherExporter exporter, NoetherConfig config,
                           ChargeBudgetTable.Collector collector) {
        NeuralNetConfiguration.ListBuilder list = new NeuralNetConfiguration.Builder().seed(seed)
                .updater(new Nesterovs(0.005, 0.9)).l2(3e-3).l2Bias(3e-3).weightInit(WeightInit.XAVIER).list();
        int in = TeacherStudentData.INPUTS;
        for (int i = 0; i < HIDDEN; i++) {
            list.layer(new DenseLayer.Builder().nIn(in).nOut(WIDTH)
                    .activation(org.nd4j.linalg.activations.Activation.RELU).build());
            in = WIDTH;
        }
        list.layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(in).nOut(TeacherStudentData.OUTPUTS)
                .activation(org.nd4j.linalg.activations.Activation.IDENTITY).build());
        MultiLayerNetwork net = new MultiLayerNetwork(list.build());
        net.init();
        DataSet set = new DataSet(Nd4j.create(data.x, new long[] {data.samples, TeacherStudentData.INPUTS}, 'c'),
                Nd4j.create(data.y, new long[] {data.samples, TeacherStudentData.OUTPUTS}, 'c'));
        set.shuffle(seed);
        List<DataSet> batches = set.batchBy(batch);
        if (batches.size() > 1 && batches.get(batches.size() - 1).numExamples() < batch) {
            batches = batches.subList(0, batches.size() - 1);
        }
        try (NoetherListener noether = NoetherListener.builder().registry(exporter.registry()).modelName("nesterov")
                .config(config).addListener(exporter.reportListener()).addListener(collector).build()) {
            net.addListeners(noether);
            for (int step = 0; step < steps; step++) {
                net.fit(batches.get(step % batches.size()));
            }
            noether.finish();
            noether.monitor().ifPresent(collector::finished);
        }
    }
}
