package dev.noether.djl;

import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;

import java.util.function.Supplier;

/** Sequential MLPs for the tests. */
final class Mlp {
    private Mlp() {}

    /** Linear layers of the given output widths with {@code activation} between them (none after the last). */
    static SequentialBlock of(Supplier<Block> activation, int... widths) {
        SequentialBlock b = new SequentialBlock();
        for (int l = 0; l < widths.length; l++) {
            b.add(Linear.builder().setUnits(widths[l]).build());
            if (l + 1 < widths.length) {
                b.add(activation.get());
            }
        }
        return b;
    }

    static SequentialBlock relu(int... widths) {
        return of(Activation::reluBlock, widths);
    }
}
