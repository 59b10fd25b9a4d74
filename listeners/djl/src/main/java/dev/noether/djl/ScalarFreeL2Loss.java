package dev.noether.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.loss.Loss;

/**
 * DJL's {@code L2Loss} (mean of ½(y − ŷ)²), bit for bit, without a {@code Number} operand in the autograd graph.
 *
 * <p>Why: on DJL 0.36's PyTorch engine {@code NDArray.mul(Number)} wraps the number with {@code torch::from_blob}
 * over a JVM direct buffer and closes that array right after the op; autograd still holds the scalar for the
 * backward pass, and a garbage collection between forward and backward frees its memory. The backward pass then
 * reads freed memory: gradients go wrong or NaN at random, with or without Noether, more often the more the JVM
 * collects (see {@code TrainingUnchangedTest#parametersStayBitIdenticalWhileTheJvmCollectsGarbage}). Here the
 * ½ is an engine-allocated array ({@code full}), which autograd keeps alive by reference count.
 *
 * <p>A drop-in for {@code Loss.l2Loss()} until DJL fixes it: {@code new DefaultTrainingConfig(new ScalarFreeL2Loss())}.
 * The demo trains with it; the listener README says which other DJL losses take a {@code Number} operand.
 */
public final class ScalarFreeL2Loss extends Loss {

    /** The loss, named {@code L2Loss} as DJL's. */
    public ScalarFreeL2Loss() {
        super("L2Loss");
    }

    @Override
    public NDArray evaluate(NDList label, NDList prediction) {
        NDArray pred = prediction.singletonOrThrow();
        NDArray squared = label.singletonOrThrow().reshape(pred.getShape()).sub(pred).square();
        try (NDArray half = pred.getManager().full(squared.getShape(), 0.5f, squared.getDataType())) {
            return squared.mul(half).mean(); // ×½ is exact, so this equals DJL's square().mul(0.5f).mean()
        }
    }
}
