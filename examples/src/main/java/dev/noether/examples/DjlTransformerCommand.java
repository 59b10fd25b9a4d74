package dev.noether.examples;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.transformer.TransformerEncoderBlock;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.noether.core.model.AttentionBlock;
import dev.noether.core.model.DenseLayer;
import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherMonitor;
import dev.noether.core.runtime.NoetherReport;
import dev.noether.djl.NoetherTrainingListener;
import dev.noether.djl.ScalarFreeL2Loss;
import dev.noether.exporter.EventLog;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code djl-transformer}: a small DJL transformer encoder (stacked {@code TransformerEncoderBlock}s, ReLU
 * feed-forward) learns a generated sequence task — a teacher attention head, y = Σ_t softmax_t(x_t·q) V x_t — on the
 * CPU, and prints what Noether sees (METRICS.md §12): the Q/K and V/O double-rotation charges with their exact-SGD
 * residual and {@code symmetry.violation}, dead and distinct heads, and the per-layer, per-head PAH exponents
 * (the talk's Fig. 3, which the page draws from the event log).
 */
@Command(name = "djl-transformer", mixinStandardHelpOptions = true,
        description = "Train a small DJL transformer encoder on a generated sequence task; print the attention "
                + "charges and the per-head PAH exponents (the talk's Fig. 3).")
final class DjlTransformerCommand implements Callable<Integer> {
    private static final int OUTPUTS = 2;

    @Option(names = "--blocks", description = "Encoder blocks (default: ${DEFAULT-VALUE}).")
    int blocks = 3;
    @Option(names = "--embedding", description = "Embedding size (default: ${DEFAULT-VALUE}).")
    int embedding = 16;
    @Option(names = "--heads", description = "Attention heads per block (default: ${DEFAULT-VALUE}).")
    int heads = 4;
    @Option(names = "--tokens", description = "Tokens per sequence (default: ${DEFAULT-VALUE}).")
    int tokens = 8;
    @Option(names = "--samples", description = "Generated sequences (default: ${DEFAULT-VALUE}).")
    int samples = 2048;
    @Option(names = "--steps", description = "Optimizer steps (default: ${DEFAULT-VALUE}).")
    int steps = 1500;
    @Option(names = "--batch", description = "Minibatch size (default: ${DEFAULT-VALUE}).")
    int batch = 32;
    @Option(names = "--lr", description = "Learning rate of plain SGD (default: ${DEFAULT-VALUE}).")
    double lr = 0.05;
    @Option(names = "--weight-decay", description = "L2 weight decay γ on every parameter (default: ${DEFAULT-VALUE}).")
    double weightDecay = 1e-3;
    @Option(names = "--every", description = "Heavy-analysis stride N in steps (default: ${DEFAULT-VALUE}).")
    int every = 100;
    @Option(names = "--events", description = "Write the JSONL event log here, for the page's replay (default: none).")
    Path events;
    @Option(names = "--seed", description = "Random seed for data and initialization (default: ${DEFAULT-VALUE}).")
    long seed = 7;

    @Override
    public Integer call() throws Exception {
        if (blocks < 1 || heads < 1 || embedding % heads != 0 || tokens < 2 || samples < batch || steps < 1 || lr <= 0
                || weightDecay < 0 || every < 1) {
            System.err.println("djl-transformer: --heads must divide --embedding; --blocks, --steps, --every, --lr "
                    + "positive; --samples >= --batch; --weight-decay >= 0");
            return 2;
        }
        System.setProperty("ai.djl.offline", "true");
        if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_threads", "1");
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }
        float[][] data = teacher();
        AtomicReference<NoetherReport> lastAnalysis = new AtomicReference<>();
        try (EventLog log = events == null ? null : EventLog.open(events)) {
            NoetherTrainingListener noether = NoetherTrainingListener.builder()
                    .registry(new SimpleMeterRegistry())
                    .modelName("djl-transformer")
                    // every analysis and its whole probe pass: the demo is what the probe sees
                    .config(NoetherConfig.builder().analysisEvery(every).minAnalysisInterval(Duration.ZERO)
                            .maxAnalysisShare(1).overheadBudget(1).maxProbeTime(Duration.ofSeconds(60)).build())
                    .addListener(report -> {
                        if (log != null) {
                            log.append(report.toRecord());
                        }
                        if (report.kind() == NoetherReport.Kind.ANALYSIS) {
                            lastAnalysis.set(report);
                        }
                    })
                    .build();
            Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed((float) lr))
                    .optWeightDecays((float) weightDecay).build();
            try (Model model = Model.newInstance("djl-transformer")) {
                Engine.getInstance().setRandomSeed((int) seed);
                model.setBlock(network());
                DefaultTrainingConfig config = new DefaultTrainingConfig(new ScalarFreeL2Loss()).optOptimizer(sgd)
                        .addTrainingListeners(noether);
                NoetherMonitor monitor;
                try (Trainer trainer = model.newTrainer(config)) {
                    trainer.initialize(new Shape(batch, tokens, embedding));
                    NDManager manager = trainer.getManager();
                    NDArray x = manager.create(data[0], new Shape(samples, tokens, embedding));
                    NDArray y = manager.create(data[1], new Shape(samples, OUTPUTS));
                    ArrayDataset dataset = new ArrayDataset.Builder().setData(x).optLabels(y)
                            .setSampling(batch, true, true).build();
                    long step = 0;
                    while (step < steps) {
                        for (Batch b : trainer.iterateDataset(dataset)) {
                            try (b) {
                                EasyTrain.trainBatch(trainer, b);
                                trainer.step();
                            }
                            if (++step % 250 == 0 || step == steps) {
                                System.out.printf(Locale.ROOT, "step %d  loss %s%n", step,
                                        fmt(noether.monitor().flatMap(m -> boxed(m.value("loss"))).orElse(Double.NaN)));
                            }
                            if (step >= steps) {
                                break;
                            }
                        }
                    }
                    monitor = noether.monitor().orElseThrow();
                } // closing the trainer analyses the final state (onTrainingEnd)
                print(monitor, lastAnalysis.get());
            }
            if (log != null) {
                System.out.println("event log: " + log.path() + " (" + log.writtenRecords() + " records); the page: "
                        + "java -jar exporter/target/noether-exporter.jar ui " + log.path());
            }
        }
        return 0;
    }

    private SequentialBlock network() {
        SequentialBlock net = new SequentialBlock();
        for (int i = 0; i < blocks; i++) {
            net.add(new TransformerEncoderBlock(embedding, heads, 2 * embedding, 0f, Activation::relu));
        }
        net.add(new LambdaBlock(x -> new NDList(x.singletonOrThrow().mean(new int[] {1})), "meanOverTokens"));
        net.add(Linear.builder().setUnits(OUTPUTS).build());
        return net;
    }

    /** Gaussian tokens; targets from a teacher attention head y = Σ_t softmax_t(x_t·q) V x_t. */
    private float[][] teacher() {
        Random r = new Random(seed);
        double[] q = new double[embedding];
        double[][] v = new double[OUTPUTS][embedding];
        for (int i = 0; i < embedding; i++) {
            q[i] = r.nextGaussian() * 2 / Math.sqrt(embedding);
            for (int k = 0; k < OUTPUTS; k++) {
                v[k][i] = r.nextGaussian() / Math.sqrt(embedding);
            }
        }
        float[] x = new float[samples * tokens * embedding];
        float[] y = new float[samples * OUTPUTS];
        for (int s = 0; s < samples; s++) {
            double[] score = new double[tokens];
            double z = 0;
            for (int t = 0; t < tokens; t++) {
                double dot = 0;
                for (int i = 0; i < embedding; i++) {
                    float xi = (float) r.nextGaussian();
                    x[(s * tokens + t) * embedding + i] = xi;
                    dot += xi * q[i];
                }
                score[t] = Math.exp(dot);
                z += score[t];
            }
            for (int t = 0; t < tokens; t++) {
                for (int k = 0; k < OUTPUTS; k++) {
                    double vx = 0;
                    for (int i = 0; i < embedding; i++) {
                        vx += v[k][i] * x[(s * tokens + t) * embedding + i];
                    }
                    y[s * OUTPUTS + k] += (float) (score[t] / z * vx);
                }
            }
        }
        return new float[][] {x, y};
    }

    private static void print(NoetherMonitor monitor, NoetherReport analysis) {
        System.out.println("attention as Noether sees it (METRICS.md §12):");
        for (AttentionBlock block : monitor.description().attention()) {
            System.out.printf(Locale.ROOT, "%s (%d heads of %d): heads dead %s, distinct %s%n", block.name(),
                    block.heads(), block.headSize(), fmt(monitor.value("heads.dead", "block", block.name()).orElse(Double.NaN)),
                    fmt(monitor.value("heads.distinct", "block", block.name()).orElse(Double.NaN)));
            for (String pair : List.of(block.queryKeyTag(), block.valueOutputTag())) {
                String[] tags = {"pair", pair, "symmetry", "double_rotation"};
                System.out.printf(Locale.ROOT, "  %-3s charge %s  relative %s  drift %s  residual %s  violation %s%n",
                        pair.substring(pair.lastIndexOf(':') + 1), fmt(value(monitor, "charge", tags)),
                        fmt(value(monitor, "charge.relative", tags)), fmt(value(monitor, "charge.drift", tags)),
                        fmt(value(monitor, "charge.residual", tags)), fmt(value(monitor, "symmetry.violation", tags)));
            }
            for (DenseLayer layer : List.of(block.query(), block.key(), block.value(), block.output())) {
                System.out.printf(Locale.ROOT, "  %-52s PAH κ_b %s, per head: %s%n", layer.name(),
                        fmt(value(monitor, "pah.exponent", "layer", layer.name(), "side", layer == block.output() ? "a" : "b")),
                        perHead(analysis, layer.name()));
            }
        }
    }

    /** The per-head exponents of a projection in the last analysis record (event log detail pah.heads). */
    private static String perHead(NoetherReport analysis, String layer) {
        if (analysis == null) {
            return "no analysis";
        }
        Object details = analysis.toRecord().get("details");
        Object layers = details instanceof Map<?, ?> d ? d.get("layers") : null;
        Object one = layers instanceof Map<?, ?> l ? l.get(layer) : null;
        Object pah = one instanceof Map<?, ?> o ? o.get("pah") : null;
        Object heads = pah instanceof Map<?, ?> p ? p.get("heads") : null;
        if (!(heads instanceof Map<?, ?> h) || !(h.get("heads") instanceof List<?> list)) {
            return "no probe";
        }
        StringBuilder out = new StringBuilder();
        for (Object head : list) {
            Map<?, ?> m = (Map<?, ?>) head;
            out.append(out.isEmpty() ? "" : ", ").append(fmt(((Number) m.get("exponent")).doubleValue()));
        }
        return "[" + out + "]";
    }

    private static java.util.Optional<Double> boxed(java.util.OptionalDouble v) {
        return v.isPresent() ? java.util.Optional.of(v.getAsDouble()) : java.util.Optional.empty();
    }

    private static double value(NoetherMonitor monitor, String metric, String... tags) {
        return monitor.value(metric, tags).orElse(Double.NaN);
    }

    private static String fmt(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, Math.abs(v) < 1e-3 && v != 0 ? "%.2e" : "%.3f", v) : "-";
    }
}
