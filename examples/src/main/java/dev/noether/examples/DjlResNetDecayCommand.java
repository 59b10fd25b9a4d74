package dev.noether.examples;

import ai.djl.Model;
import ai.djl.basicmodelzoo.cv.classification.ResNetV1;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import dev.noether.core.model.DenseLayer;
import dev.noether.core.physics.NeuronCorrelation;
import dev.noether.core.physics.ProbeCensus;
import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherMonitor;
import dev.noether.djl.NoetherTrainingListener;
import dev.noether.exporter.EventLog;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;

/**
 * {@code djl-resnet-decay}: the talk's ResNet-18 observation (neuron blocks in the penultimate layer under weight
 * decay) redrawn on a small ResNet. DJL's model-zoo ResNetV1 is trained twice on the same generated images,
 * without and with weight decay, and every report goes to one JSONL event log (models
 * {@code resnet-no-decay} and {@code resnet-decay}). The penultimate layer is the dense head's input: the
 * channels after the last residual unit's ReLU and global pooling. At the end of each run its Pearson correlation
 * matrix over a fixed batch of 512 images, with the blocks (|r| ≥ 0.9) and the average-linkage order Noether uses,
 * goes to the log as a {@code penultimate.correlation} record; every heavy analysis record also carries the last
 * conv's own channel correlations under {@code details.layers.<layer>.correlation}.
 */
@Command(name = "djl-resnet-decay", mixinStandardHelpOptions = true,
        description = "Train a small DJL ResNet with and without weight decay; penultimate-layer channel correlations "
                + "go to the event log.")
final class DjlResNetDecayCommand implements Callable<Integer> {
    private static final int CLASSES = 10;
    private static final Shape IMAGE = new Shape(1, 28, 28);

    @Option(names = "--layers", description = "ResNetV1 depth: 20, 32, 44, 56 ... (default: ${DEFAULT-VALUE}).")
    int layers = 20;
    @Option(names = "--steps", description = "Optimizer steps per run (default: ${DEFAULT-VALUE}).")
    int steps = 300;
    @Option(names = "--batch", description = "Minibatch size (default: ${DEFAULT-VALUE}).")
    int batch = 32;
    @Option(names = "--lr", description = "Learning rate of plain SGD (default: ${DEFAULT-VALUE}).")
    double lr = 0.05;
    @Option(names = "--weight-decay", description = "L2 decay γ of the second run (default: ${DEFAULT-VALUE}).")
    double weightDecay = 5e-2;
    @Option(names = "--every", description = "Heavy-analysis stride N in steps (default: ${DEFAULT-VALUE}).")
    int every = 100;
    @Option(names = "--events", description = "The JSONL event log (default: ${DEFAULT-VALUE}).")
    Path events = Path.of("resnet-decay.jsonl");
    @Option(names = "--seed", description = "Random seed for data and initialization (default: ${DEFAULT-VALUE}).")
    long seed = 1;

    @Override
    public Integer call() throws Exception {
        if (steps < 1 || batch < 1 || every < 1 || lr <= 0 || weightDecay < 0) {
            System.err.println("djl-resnet-decay: --steps, --batch, --every, --lr must be positive, --weight-decay >= 0");
            return 2;
        }
        System.setProperty("ai.djl.offline", "true");
        if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_threads", "1");
        }
        Blobs data = Blobs.generate(Math.max(1024, batch * 8), seed);
        try (EventLog log = EventLog.open(events)) {
            double[] without = train("resnet-no-decay", 0, data, log);
            double[] with = train("resnet-decay", weightDecay, data, log);
            System.out.printf(Locale.ROOT, "penultimate-layer channels after %d steps (γ = 0 -> γ = %g):%n",
                    steps, weightDecay);
            System.out.printf(Locale.ROOT, "  correlated blocks %.0f -> %.0f, largest block %.0f -> %.0f, "
                            + "mean |r| %.3f -> %.3f, live channels %.0f -> %.0f, loss %.3f -> %.3f%n",
                    without[0], with[0], without[1], with[1], without[2], with[2], without[3], with[3], without[4], with[4]);
            System.out.println("event log: " + log.path() + " (" + log.writtenRecords() + " records)");
        }
        return 0;
    }

    /** Trains one run; returns blocks, largest block, mean |r|, distinct channels of the penultimate conv, loss. */
    private double[] train(String name, double gamma, Blobs data, EventLog log) throws Exception {
        NoetherTrainingListener noether = NoetherTrainingListener.builder()
                .registry(new SimpleMeterRegistry())
                .modelName(name)
                // the demo is what the probe sees: its whole pass each time, not a budgeted share of training
                .config(NoetherConfig.builder().analysisEvery(every).minAnalysisInterval(Duration.ZERO)
                        .maxAnalysisShare(1).overheadBudget(1).maxProbeTime(Duration.ofSeconds(60)).build())
                .addListener(report -> log.append(report.toRecord()))
                .build();
        Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed((float) lr))
                .optWeightDecays((float) gamma).build();
        try (Model model = Model.newInstance(name)) {
            Engine.getInstance().setRandomSeed((int) seed);
            model.setBlock(ResNetV1.builder().setImageShape(IMAGE).setNumLayers(layers).setOutSize(CLASSES).build());
            DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                    .optOptimizer(sgd).addTrainingListeners(noether);
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(new Shape(batch).addAll(IMAGE));
                NDManager manager = trainer.getManager();
                NDArray x = manager.create(data.pixels, new Shape(data.samples).addAll(IMAGE));
                NDArray y = manager.create(data.labels, new Shape(data.samples, 1));
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
                NoetherMonitor monitor = noether.monitor().orElseThrow();
                while (monitor.isAnalysisRunning()) {
                    Thread.sleep(50);
                }
                List<DenseLayer> layers = monitor.description().layers();
                String lastConv = layers.get(layers.size() - 2).name();
                NeuronCorrelation r = penultimate(model.getBlock(), manager, x);
                Map<String, Object> record = new LinkedHashMap<>();
                record.put("type", "penultimate.correlation");
                record.put("model", name);
                record.put("step", steps);
                record.put("weight_decay", gamma);
                record.put("blocks", r.blocks());
                record.put("block_max_size", r.maxBlockSize());
                record.put("correlation_mean_abs", r.meanAbs());
                record.put("channels", r.keptNeurons());
                record.put("order", r.order());
                record.put("matrix", r.correlationMatrix());
                log.append(record);
                System.out.printf(Locale.ROOT, "%s: %d steps, %d layers, last analysis at step %s; last conv %s: "
                                + "neuron.blocks %.0f, distinct %.0f%n",
                        name, steps, layers.size(), monitor.latestAnalysis() == null ? "-" : monitor.latestAnalysis().step(),
                        lastConv, value(monitor, "neuron.blocks", "layer", lastConv),
                        value(monitor, "neurons.distinct", "layer", lastConv));
                return new double[] {r.blocks(), r.maxBlockSize(), r.meanAbs(), r.kept(), value(monitor, "loss")};
            }
        }
    }

    /**
     * Pearson correlations of the dense head's input channels over the first 512 images, in inference mode: the
     * blocks before the first {@code Linear} of the model's top-level sequence, run one by one.
     */
    private static NeuronCorrelation penultimate(Block model, NDManager manager, NDArray images) {
        try (NDManager m = manager.newSubManager()) {
            ParameterStore store = new ParameterStore(m, false);
            long rows = Math.min(512, images.getShape().get(0));
            NDList h = new NDList(images.get("0:" + rows));
            for (Pair<String, Block> child : ((SequentialBlock) model).getChildren()) {
                if (child.getValue() instanceof Linear) {
                    break;
                }
                h = child.getValue().forward(store, h, false);
            }
            NDArray f = h.singletonOrThrow().reshape(rows, -1);
            int channels = Math.toIntExact(f.getShape().get(1));
            double[] second = toDouble(f.transpose().matMul(f).div(rows).toFloatArray());
            double[] mean = toDouble(f.mean(new int[] {0}).toFloatArray());
            return ProbeCensus.correlation(second, mean, channels, 0.9);
        }
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    private static double value(NoetherMonitor monitor, String metric, String... tags) {
        return monitor.value(metric, tags).orElse(Double.NaN);
    }

    /** Generated images: a bright Gaussian blob at one of 10 places plus noise; the label is the place. */
    private record Blobs(int samples, float[] pixels, float[] labels) {
        static Blobs generate(int samples, long seed) {
            Random r = new Random(seed);
            float[] pixels = new float[samples * 28 * 28];
            float[] labels = new float[samples];
            for (int s = 0; s < samples; s++) {
                int c = r.nextInt(CLASSES);
                labels[s] = c;
                double cy = 6 + 16 * (c / 5), cx = 4 + 5 * (c % 5);
                for (int yy = 0; yy < 28; yy++) {
                    for (int xx = 0; xx < 28; xx++) {
                        double d2 = (yy - cy) * (yy - cy) + (xx - cx) * (xx - cx);
                        pixels[s * 784 + yy * 28 + xx] = (float) (Math.exp(-d2 / 8) + 0.3 * r.nextGaussian());
                    }
                }
            }
            return new Blobs(samples, pixels, labels);
        }
    }
}
