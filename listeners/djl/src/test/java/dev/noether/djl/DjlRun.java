package dev.noether.djl;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.translate.Batchifier;
import ai.djl.util.Pair;

import java.util.ArrayList;
import java.util.List;

/**
 * One real DJL training run for the tests: a model around {@code block}, L2 loss (DJL's, bit for bit, but safe
 * from a garbage collection between forward and backward: {@link ScalarFreeL2Loss}), the given optimizer and
 * listeners, and the usual loop of {@link EasyTrain#trainBatch} and {@code trainer.step()} over consecutive
 * rows of the data.
 */
final class DjlRun implements AutoCloseable {
    final Model model;
    final Trainer trainer;
    private final TeacherStudent data;
    private final Shape sample;
    private int next;

    DjlRun(Block block, TeacherStudent data, Optimizer optimizer, long seed, TrainingListener... listeners) {
        this(block, data, new Shape(data.inputs), optimizer, seed, listeners);
    }

    /** A run on images: each row of {@code data.x} is one sample of shape {@code sample} (e.g. (C, H, W)). */
    DjlRun(Block block, TeacherStudent data, Shape sample, Optimizer optimizer, long seed, TrainingListener... listeners) {
        if (sample.size() != data.inputs) {
            throw new IllegalArgumentException("sample shape " + sample + " does not hold " + data.inputs + " inputs");
        }
        this.data = data;
        this.sample = sample;
        Engine.getInstance().setRandomSeed(Math.toIntExact(seed));
        model = Model.newInstance("mlp");
        model.setBlock(block);
        DefaultTrainingConfig config = new DefaultTrainingConfig(new ScalarFreeL2Loss()).optOptimizer(optimizer);
        if (listeners.length > 0) {
            config.addTrainingListeners(listeners);
        }
        trainer = model.newTrainer(config);
        trainer.initialize(batchShape(1));
    }

    /** Trains {@code count} steps of {@code batch} consecutive rows each. */
    void steps(int count, int batch) {
        for (int s = 0; s < count; s++) {
            try (Batch b = nextBatch(batch)) {
                EasyTrain.trainBatch(trainer, b);
                trainer.step();
            }
        }
    }

    /** Forward and backward on the next batch (listeners notified), without the optimizer step. */
    void backward(int batch) {
        try (Batch b = nextBatch(batch)) {
            EasyTrain.trainBatch(trainer, b);
        }
    }

    private Batch nextBatch(int batch) {
        NDManager m = trainer.getManager().newSubManager();
        NDArray x = m.create(data.xRows(next, batch), batchShape(batch));
        NDArray y = m.create(data.yRows(next, batch), new Shape(batch, data.outputs));
        next = (next + batch) % data.samples;
        return new Batch(m, new NDList(x), new NDList(y), batch, Batchifier.STACK, Batchifier.STACK, 0, 0);
    }

    Shape batchShape(int batch) {
        return new Shape(batch).addAll(sample);
    }

    /** Every parameter's values, in the block's order. */
    List<float[]> parameters() {
        List<float[]> out = new ArrayList<>();
        for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
            out.add(p.getValue().getArray().toFloatArray());
        }
        return out;
    }

    @Override
    public void close() {
        trainer.close();
        model.close();
    }
}
