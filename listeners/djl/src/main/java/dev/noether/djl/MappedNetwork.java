package dev.noether.djl;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import dev.noether.core.model.NetworkDescription;

import java.util.List;

/**
 * A DJL block as Noether sees it: the core description, the parameters of its dense layers in description
 * order, and the flattened chain of blocks the probe runs one by one.
 *
 * @param description the core's view (dense layers, pairs, unsupported layers)
 * @param dense       parameters of every dense layer, index i = {@code description.layers().get(i)}
 * @param chain       every leaf block in forward order; null when the model is not a sequential chain
 *                    (then no probe can be run)
 */
record MappedNetwork(NetworkDescription description, List<DenseParameters> dense, List<Link> chain) {

    /** The weight (m × n) and optional bias (m) of one DJL {@code Linear}. */
    record DenseParameters(String name, Parameter weight, Parameter bias) {}

    /** What a leaf block means to the probe. */
    enum Role {
        /** A {@code Linear}: its input and output are measured. */
        DENSE,
        /** An element-wise activation: its output is the post-activation of the dense layer before it. */
        ACTIVATION,
        /** Normalization, dropout, reshape: runs, measures nothing. */
        PASS,
        /** A layer Noether cannot model: runs, and ends the dense layer's segment. */
        OPAQUE
    }

    /**
     * One leaf block of the chain.
     *
     * @param denseIndex the dense layer's index for {@link Role#DENSE}, else -1
     */
    record Link(String name, Block block, Role role, int denseIndex) {}
}
