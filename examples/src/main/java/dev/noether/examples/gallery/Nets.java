package dev.noether.examples.gallery;

import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.initializer.NormalInitializer;

import java.util.function.Supplier;

/** The DJL networks of the figures. */
final class Nets {
    private Nets() {}

    /** Linear layers of the given widths with {@code activation} between them (none after the last). */
    static SequentialBlock mlp(Supplier<Block> activation, int... widths) {
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
        return mlp(Activation::reluBlock, widths);
    }

    /** Bias-free linear layers, layer l's weights drawn from N(0, sigmas[l]²): a deep linear net. */
    static SequentialBlock deepLinear(int[] widths, float[] sigmas) {
        SequentialBlock b = new SequentialBlock();
        for (int l = 0; l < widths.length; l++) {
            Linear linear = Linear.builder().setUnits(widths[l]).optBias(false).build();
            linear.setInitializer(new NormalInitializer(sigmas[l]), Parameter.Type.WEIGHT);
            b.add(linear);
        }
        return b;
    }
}
