package dev.noether.core.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.DoubleSupplier;

/**
 * Everything the every-step tier needs from one training step: parameters θ(t) and minibatch loss
 * gradients ĝ(t) of every dense layer (in description order), taken after backward and before the
 * optimizer update, plus the loss and the optimizer settings of the update about to be applied.
 *
 * <p>A snapshot built {@linkplain Builder#recycledTo recycled to} a {@link SnapshotArrays} gives its arrays
 * back there when the monitor {@linkplain #release() releases} it; the monitor never hands such a snapshot to
 * the heavy analysis, which keeps its weights for seconds.
 */
public final class StepSnapshot {
    private final long step;
    private final DoubleSupplier lossSource; // null for a loss given as a number
    private double loss;
    private boolean lossEvaluated; // guarded by this
    private final OptimizerSettings optimizer;
    private final List<LayerSnapshot> layers;
    private final SnapshotArrays recycle;
    private final AtomicBoolean released = new AtomicBoolean();

    private StepSnapshot(Builder b) {
        this.step = b.step;
        this.loss = b.loss;
        this.lossSource = b.lossSource;
        this.optimizer = b.optimizer;
        this.layers = List.copyOf(b.layers);
        this.recycle = b.recycle;
    }

    private StepSnapshot(StepSnapshot s, long step) {
        this.step = step;
        this.loss = s.loss;
        this.lossSource = s.lossSource;
        this.optimizer = s.optimizer;
        this.layers = s.layers;
        this.recycle = s.recycle;
    }

    /**
     * This snapshot as step {@code step}: the same arrays (now owned by the result; release only the result). For
     * an adapter whose worker's steps continue across networks, so that a network's iteration is not its step.
     */
    public StepSnapshot atStep(long step) {
        return step == this.step ? this : new StepSnapshot(this, step);
    }

    /** Starts the snapshot of training step {@code step} (0-based, increasing by one per update). */
    public static Builder builder(long step) {
        return new Builder(step);
    }

    public long step() {
        return step;
    }

    /**
     * The minibatch loss, NaN when unknown. A loss given as a {@link Builder#loss(DoubleSupplier) supplier} is
     * evaluated by the first call, on the caller's thread (the monitor's step thread), and kept.
     */
    public synchronized double loss() {
        if (lossSource != null && !lossEvaluated) {
            lossEvaluated = true;
            loss = lossSource.getAsDouble();
        }
        return loss;
    }


    public OptimizerSettings optimizer() {
        return optimizer;
    }

    /** The dense layers' snapshots, in the description's order. */
    public List<LayerSnapshot> layers() {
        return layers;
    }

    /** The snapshot of the dense layer at {@code index} of the description. */
    public LayerSnapshot layer(int index) {
        return layers.get(index);
    }

    /** True when the arrays go back to a {@link SnapshotArrays} on {@link #release()}. */
    public boolean isRecycled() {
        return recycle != null;
    }

    /**
     * Gives the arrays back to their {@link SnapshotArrays} (once; later calls do nothing). Called by the
     * monitor when no step needs the snapshot any more; nobody may read the arrays afterwards. Does nothing
     * for a snapshot that is not recycled.
     */
    public void release() {
        if (recycle == null || !released.compareAndSet(false, true)) {
            return;
        }
        List<float[]> arrays = new ArrayList<>(4 * layers.size());
        for (LayerSnapshot l : layers) {
            arrays.add(l.weight());
            arrays.add(l.bias());
            arrays.add(l.weightGradient());
            arrays.add(l.biasGradient());
        }
        recycle.giveSnapshot(arrays);
    }

    /** Builds a {@link StepSnapshot}; layers are added in the description's order. */
    public static final class Builder {
        private final long step;
        private double loss = Double.NaN;
        private DoubleSupplier lossSource;
        private OptimizerSettings optimizer = OptimizerSettings.unknown();
        private final List<LayerSnapshot> layers = new ArrayList<>();
        private SnapshotArrays recycle;

        private Builder(long step) {
            this.step = step;
        }

        public Builder loss(double loss) {
            this.loss = loss;
            this.lossSource = null;
            return this;
        }

        /**
         * A loss that is evaluated off the training thread, when the monitor's step thread sums the step (an
         * adapter whose engine makes the evaluation cost a noticeable part of a step); the supplier handles
         * its own failures (returning NaN) and frees what it holds once called.
         */
        public Builder loss(DoubleSupplier loss) {
            this.lossSource = Objects.requireNonNull(loss, "loss");
            this.loss = Double.NaN;
            return this;
        }

        public Builder optimizer(OptimizerSettings optimizer) {
            this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
            return this;
        }

        /** The next dense layer, in the order of {@link NetworkDescription#layers()}. */
        public Builder layer(LayerSnapshot layer) {
            layers.add(Objects.requireNonNull(layer, "layer"));
            return this;
        }

        /**
         * The layers' arrays were taken from {@code arrays} and go back there on {@link StepSnapshot#release()};
         * only for arrays no one else holds.
         */
        public Builder recycledTo(SnapshotArrays arrays) {
            this.recycle = Objects.requireNonNull(arrays, "arrays");
            return this;
        }

        public StepSnapshot build() {
            return new StepSnapshot(this);
        }
    }
}
