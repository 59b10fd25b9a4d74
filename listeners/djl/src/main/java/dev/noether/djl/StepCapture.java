package dev.noether.djl;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.loss.Loss;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.Trainer;
import ai.djl.training.listener.TrainingListener.BatchData;
import dev.noether.core.model.LayerReductions;
import dev.noether.core.model.LayerSnapshot;
import dev.noether.core.model.OptimizerSettings;
import dev.noether.core.model.SnapshotArrays;
import dev.noether.core.model.StepSnapshot;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;

/**
 * Takes one step's θ and ĝ of every dense layer from the engine (METRICS.md §6, every-step tier). On an
 * accelerator: the per-neuron sums reduced on the device ({@link EngineReductions}), plus full copies of W
 * and b only on the steps whose weights the heavy analysis reads. On the CPU the parameters already live in
 * host memory, and a bulk copy with core's one fused pass costs half as much as the engine's separate ops
 * ({@code DjlStepTierBench}: 0.77 ms against 1.47 ms per observed step for the 784-256-256-10 MLP), so there
 * it hands the full arrays. DJL's gradients are those of the batch-mean loss, which is
 * what core expects. Every temporary array (DJL makes a new handle for each {@code getGradient()}) is closed
 * before returning; {@link #close} releases the engine's previous-W copies.
 */
final class StepCapture implements AutoCloseable {
    private final List<MappedNetwork.DenseParameters> dense;
    private final List<EngineReductions> reductions;
    private final boolean onDevice;
    // the host copies of the steps the heavy analysis does not read, handed back by the monitor
    private final SnapshotArrays arrays = new SnapshotArrays(4);
    private volatile boolean lossUnavailable; // set by the step thread's evaluation

    StepCapture(List<MappedNetwork.DenseParameters> dense) {
        this.dense = dense;
        this.reductions = dense.stream().map(EngineReductions::new).toList();
        this.onDevice = !dense.isEmpty() && !Device.cpu().getDeviceType()
                .equals(dense.get(0).weight().getArray().getDevice().getDeviceType());
    }

    /**
     * The step: engine reductions on an accelerator ({@link #reduced}), full host copies on the CPU
     * ({@link #captureArrays}), recycled except on the steps the heavy analysis may read ({@code weights},
     * {@link dev.noether.core.runtime.NoetherMonitor#wantsWeights}).
     */
    StepSnapshot capture(long step, double loss, OptimizerSettings optimizer, boolean weights) {
        return capture(step, () -> loss, optimizer, weights);
    }

    /**
     * Like {@link #capture(long, double, OptimizerSettings, boolean)} with a loss the step thread evaluates, or none
     * ({@code loss} null: unknown, e.g. the final state, whose loss no batch measured).
     */
    StepSnapshot capture(long step, DoubleSupplier loss, OptimizerSettings optimizer, boolean weights) {
        StepSnapshot.Builder s = StepSnapshot.builder(step).optimizer(optimizer);
        if (loss != null) {
            s.loss(loss);
        }
        return onDevice ? reduced(s, step, weights) : captureArrays(s, weights ? null : arrays);
    }

    /** The step as engine reductions; with full W and b when {@code weights}. */
    StepSnapshot reduced(long step, double loss, OptimizerSettings optimizer, boolean weights) {
        return reduced(StepSnapshot.builder(step).loss(loss).optimizer(optimizer), step, weights);
    }

    private StepSnapshot reduced(StepSnapshot.Builder s, long step, boolean weights) {
        for (int i = 0; i < dense.size(); i++) {
            MappedNetwork.DenseParameters d = dense.get(i);
            LayerReductions r = reductions.get(i).reduce(step);
            if (weights) {
                s.layer(LayerSnapshot.reduced(r, weightRows(d, null),
                        d.bias() == null ? null : values(d.bias().getArray())));
            } else {
                s.layer(LayerSnapshot.reduced(r, null, null));
            }
        }
        return s.build();
    }

    @Override
    public void close() {
        reductions.forEach(EngineReductions::close);
    }

    /** The step as full host copies of θ and ĝ: the host reference the engine reductions are tested against. */
    StepSnapshot captureArrays(long step, double loss, OptimizerSettings optimizer) {
        return captureArrays(step, loss, optimizer, null);
    }

    /** The host copies, into arrays from {@code into} (fresh ones when null). */
    StepSnapshot captureArrays(long step, double loss, OptimizerSettings optimizer, SnapshotArrays into) {
        return captureArrays(StepSnapshot.builder(step).loss(loss).optimizer(optimizer), into);
    }

    private StepSnapshot captureArrays(StepSnapshot.Builder s, SnapshotArrays into) {
        if (into != null) {
            s.recycledTo(into);
        }
        for (MappedNetwork.DenseParameters d : dense) {
            NDArray b = d.bias() == null ? null : d.bias().getArray();
            s.layer(LayerSnapshot.of(weightRows(d, into), b == null ? null : values(b, into), gradientRows(d, into),
                    d.bias() == null ? null : gradient(d.bias(), into)));
        }
        return s.build();
    }

    /**
     * The minibatch loss of the step from the predictions the trainer handed to its listeners, with the trainer's
     * own loss, evaluated later by the monitor's step thread: here only labels and predictions are copied
     * (detached from autograd) into a manager of their own, which the evaluation closes. PyTorch's per-op cost
     * made the evaluation itself about a tenth of a small MLP's step on the training thread. Null when the loop
     * passes no predictions. A loss that cannot be evaluated is reported to {@code failed} once and not
     * tried again (noether.loss stays absent).
     */
    DoubleSupplier deferredLoss(Trainer trainer, BatchData batch, Consumer<RuntimeException> failed) {
        if (lossUnavailable || batch == null || batch.getPredictions() == null || batch.getPredictions().isEmpty()) {
            return null;
        }
        NDManager copies = trainer.getManager().newSubManager();
        List<NDList[]> pairs = new ArrayList<>();
        try {
            for (Map.Entry<Device, NDList> e : batch.getPredictions().entrySet()) {
                pairs.add(new NDList[] {copy(batch.getLabels().get(e.getKey()), copies), copy(e.getValue(), copies)});
            }
        } catch (RuntimeException e) {
            copies.close();
            throw e;
        }
        Loss loss = trainer.getLoss();
        return () -> {
            try (copies) {
                double sum = 0;
                for (NDList[] p : pairs) {
                    sum += scalar(loss.evaluate(p[0], p[1]));
                }
                return sum / pairs.size();
            } catch (RuntimeException e) {
                lossUnavailable = true;
                failed.accept(new IllegalStateException("the trainer's loss cannot be evaluated on the batch "
                        + "predictions; noether.loss stays absent", e));
                return Double.NaN;
            }
        };
    }

    /** The loss value as a double: a float32 result is read as it is (exact), saving the engine a conversion op. */
    private static double scalar(NDArray value) {
        return value.getDataType() == DataType.FLOAT32 ? value.getFloat() : value.toType(DataType.FLOAT64, false).getDouble();
    }

    private static NDList copy(NDList arrays, NDManager into) {
        NDList out = new NDList(arrays.size());
        for (NDArray a : arrays) {
            try (NDArray detached = a.stopGradient()) {
                NDArray c = detached.duplicate();
                c.attach(into);
                out.add(c);
            }
        }
        return out;
    }

    private static float[] values(NDArray a) {
        return a.getDataType() == DataType.FLOAT32 ? a.toFloatArray() : convert(a);
    }

    private static float[] convert(NDArray a) {
        try (NDArray f = a.toType(DataType.FLOAT32, false)) {
            return f.toFloatArray();
        }
    }

    /**
     * A float32 array on the CPU is read through a direct view of its memory ({@code toByteBuffer(true)}) in
     * one bulk copy into a recycled array; {@code toFloatArray()} would copy it twice into fresh arrays.
     */
    private static float[] values(NDArray a, SnapshotArrays into) {
        if (into == null || a.getDataType() != DataType.FLOAT32 || !Device.cpu().equals(a.getDevice())) {
            return values(a);
        }
        float[] out = into.take(Math.toIntExact(a.size()));
        a.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer().get(out);
        return out;
    }

    /** W as m × n rows: the weight itself, or a recurrent layer's [W_x W_h] joined row by row. */
    private static float[] weightRows(MappedNetwork.DenseParameters d, SnapshotArrays into) {
        if (d.hiddenWeight() == null) {
            return into == null ? values(d.weight().getArray()) : values(d.weight().getArray(), into);
        }
        NDArray x = d.weight().getArray();
        NDArray h = d.hiddenWeight().getArray();
        return joinRows(values(x), values(h), Math.toIntExact(x.getShape().get(0)), into);
    }

    private static float[] gradientRows(MappedNetwork.DenseParameters d, SnapshotArrays into) {
        if (d.hiddenWeight() == null) {
            return gradient(d.weight(), into);
        }
        float[] gx = gradient(d.weight(), null);
        float[] gh = gradient(d.hiddenWeight(), null);
        return gx == null || gh == null ? null : joinRows(gx, gh, Math.toIntExact(d.weight().getArray().getShape().get(0)), into);
    }

    /** [A B] of two row-major matrices with {@code rows} rows each. */
    static float[] joinRows(float[] a, float[] b, int rows, SnapshotArrays into) {
        int na = a.length / rows;
        int nb = b.length / rows;
        float[] out = into == null ? new float[a.length + b.length] : into.take(a.length + b.length);
        for (int r = 0; r < rows; r++) {
            System.arraycopy(a, r * na, out, r * (na + nb), na);
            System.arraycopy(b, r * nb, out, r * (na + nb) + na, nb);
        }
        return out;
    }

    private static float[] gradient(Parameter p, SnapshotArrays into) {
        NDArray a = p.getArray();
        if (!a.hasGradient()) {
            return null;
        }
        try (NDArray g = a.getGradient()) {
            return values(g, into);
        }
    }
}
