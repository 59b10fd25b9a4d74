package dev.noether.djl;

import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import dev.noether.core.model.NetworkDescription;

import java.util.List;
import java.util.function.Function;

/**
 * A DJL block as Noether sees it: the core description, the parameters of its linear layers (Linear and
 * convolutions) in description order, and the plan the probe interprets block by block.
 *
 * @param description the core's view (layers, pairs, unsupported nodes)
 * @param dense       parameters of every linear layer, index i = {@code description.layers().get(i)}
 * @param plan        the block tree in forward order; null when the model cannot be run piecewise (then no
 *                    probe is run)
 */
record MappedNetwork(NetworkDescription description, List<DenseParameters> dense, Step plan) {

    /**
     * The weight (m × n, or a convolution's (C_out, C_in, k…), or a weight-only layer's (d0, d1, …) read as
     * d0 × the rest) and optional bias (m) of one layer. A recurrent layer's W = [W_x W_h] is two parameters:
     * {@code weight} (W_x, m × n_in) and {@code hiddenWeight} (W_h, m × H), joined row by row.
     */
    record DenseParameters(String name, Parameter weight, Parameter bias, Parameter hiddenWeight) {
        DenseParameters(String name, Parameter weight, Parameter bias) {
            this(name, weight, bias, null);
        }
    }

    /** What a leaf block means to the probe. */
    enum Role {
        /** A {@code Linear} or convolution: its input and output are measured. */
        LINEAR,
        /** An element-wise activation: its output is the post-activation of the open linear layer. */
        ACTIVATION,
        /** Normalization, dropout, pooling, flatten: runs, measures nothing. */
        PASS,
        /** A block Noether cannot model: runs, and ends the open layer's post-activation. */
        OPAQUE
    }

    /** One node of the probe plan. */
    sealed interface Step permits Sequence, Parallel, Leaf {}

    /** Children run one after another, as in a {@code SequentialBlock}. */
    record Sequence(List<Step> steps) implements Step {}

    /** Branches run on the same input and joined, as in a {@code ParallelBlock} (named as in the description). */
    record Parallel(String name, List<Step> branches, Function<List<NDList>, NDList> join) implements Step {}

    /**
     * One leaf block.
     *
     * @param layer the linear layer's index for {@link Role#LINEAR}, else -1
     * @param conv  the convolution's geometry for a convolution, else null
     */
    record Leaf(String name, Block block, Role role, int layer, ConvGeometry conv) implements Step {}

    /**
     * Kernel, stride, symmetric zero padding and dilation per spatial dimension of an ungrouped, channels-first
     * convolution: which input patches exist (METRICS.md §10); and its output positions per sample when the
     * model's input shape told them (0 when not known: the probe's cost model then learns them from a pass).
     */
    record ConvGeometry(long[] kernel, long[] stride, long[] padding, long[] dilation, int outputPositions) {
        int dims() {
            return kernel.length;
        }
    }
}
