package dev.noether.examples.gallery;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.translate.Batchifier;
import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherReportListener;
import dev.noether.djl.NoetherTrainingListener;
import dev.noether.djl.ScalarFreeL2Loss;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * One DJL (PyTorch, CPU) training run of a figure: a model around {@code block}, plain SGD (optionally with
 * weight decay γ on every parameter) or the optimizer given, consecutive minibatches of the samples in a fixed
 * order, and a Noether listener whose every report goes to {@code reports}. The figure never reads the model: it reads what Noether
 * wrote. The probe batch is the first {@code probeRows} samples, fixed for the whole run.
 */
final class DjlRun implements AutoCloseable {
    /** The loss of the run: DJL's ½-weighted L2 (as {@link ScalarFreeL2Loss}) or softmax cross-entropy. */
    enum LossKind { L2, SOFTMAX }

    private final Model model;
    private final Trainer trainer;
    private final NoetherTrainingListener noether;
    private final Samples data;
    private final Shape sample;
    private final NDManager probeManager;
    private int next;

    DjlRun(String name, Block block, Samples data, Shape sample, LossKind loss, double eta, double gamma, long seed,
           int probeRows, NoetherConfig config, MeterRegistry registry, NoetherReportListener reports) {
        this(name, block, data, sample, loss, sgd(eta, gamma), seed, probeRows, config, registry, reports);
    }

    DjlRun(String name, Block block, Samples data, Shape sample, LossKind loss, Optimizer optimizer, long seed,
           int probeRows, NoetherConfig config, MeterRegistry registry, NoetherReportListener reports) {
        if (sample.size() != data.inputs()) {
            throw new IllegalArgumentException("sample shape " + sample + " does not hold " + data.inputs() + " inputs");
        }
        this.data = data;
        this.sample = sample;
        Engine.getInstance().setRandomSeed(Math.toIntExact(seed));
        keepEngineThreads();
        model = Model.newInstance(name);
        model.setBlock(block);
        NoetherTrainingListener.Builder b = NoetherTrainingListener.builder().registry(registry).modelName(name)
                .config(config).addListener(reports);
        probeManager = NDManager.newBaseManager();
        int rows = Math.min(probeRows, data.count());
        NDList probeX = new NDList(probeManager.create(data.xRows(0, rows), batchShape(rows)));
        NDList probeY = new NDList(labels(probeManager, data.yRows(0, rows), rows));
        noether = b.probe(probeX, probeY).probeSamples(rows).build();
        Loss l = loss == LossKind.L2 ? new ScalarFreeL2Loss() : Loss.softmaxCrossEntropyLoss();
        DefaultTrainingConfig cfg = new DefaultTrainingConfig(l).optOptimizer(optimizer).addTrainingListeners(noether);
        trainer = model.newTrainer(cfg);
        trainer.initialize(batchShape(1));
    }

    /** Plain SGD with step η and L2 weight decay γ on every parameter (θ ← θ − η(ĝ + γθ)). */
    static Optimizer sgd(double eta, double gamma) {
        return Optimizer.sgd().setLearningRateTracker(Tracker.fixed((float) eta)).optWeightDecays((float) gamma).build();
    }

    /**
     * Sets libtorch's intra-op thread count back to DJL's setting ({@code ai.djl.pytorch.num_threads}). Once ND4J has
     * run in this process (figure 1's DL4J runs) libtorch's OpenMP thread count is ND4J's, the number of cores:
     * {@code JniUtils.getNumThreads()} read 1 before a DL4J fit and 2 after it, and 300 steps of figure 5's net took
     * 188 s instead of 8 s on the loaded 2-core machine, the second OpenMP thread spinning against the first.
     */
    private static void keepEngineThreads() {
        String threads = System.getProperty("ai.djl.pytorch.num_threads");
        if (threads != null && JniUtils.getNumThreads() != Integer.parseInt(threads.trim())) {
            JniUtils.setNumThreads(Integer.parseInt(threads.trim()));
        }
    }

    /** Trains {@code count} optimizer steps on minibatches of {@code batch} consecutive rows. */
    void steps(int count, int batch) {
        for (int s = 0; s < count; s++) {
            NDManager m = trainer.getManager().newSubManager();
            NDArray x = m.create(data.xRows(next, batch), batchShape(batch));
            NDArray y = labels(m, data.yRows(next, batch), batch);
            next = (next + batch) % data.count();
            try (Batch b = new Batch(m, new NDList(x), new NDList(y), batch, Batchifier.STACK, Batchifier.STACK, 0, 0)) {
                EasyTrain.trainBatch(trainer, b);
                trainer.step();
            }
        }
    }

    private NDArray labels(NDManager m, float[] y, int rows) {
        return m.create(y, new Shape(rows, data.outputs()));
    }

    private Shape batchShape(int rows) {
        return new Shape(rows).addAll(sample);
    }

    /** Closes the trainer: Noether observes and analyses the final state (onTrainingEnd), then the model. */
    @Override
    public void close() {
        try {
            trainer.close();
            noether.close();
        } finally {
            model.close();
            probeManager.close();
        }
    }
}
