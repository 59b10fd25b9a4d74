package dev.noether.djl;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv1d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import dev.noether.core.model.DenseLayer;
import dev.noether.core.model.NetworkDescription;
import dev.noether.core.model.SymmetryPair;
import dev.noether.core.model.UnsupportedLayer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class DjlNetworkMapperTest {
    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    private MappedNetwork map(SequentialBlock block, long inputs) {
        block.initialize(manager, DataType.FLOAT32, new Shape(2, inputs));
        return new DjlNetworkMapper(manager).map("m", block);
    }

    /** The plan's leaves in forward order. */
    static java.util.List<MappedNetwork.Leaf> leaves(MappedNetwork.Step step) {
        java.util.List<MappedNetwork.Leaf> out = new java.util.ArrayList<>();
        if (step instanceof MappedNetwork.Leaf leaf) {
            out.add(leaf);
        } else if (step instanceof MappedNetwork.Sequence s) {
            s.steps().forEach(c -> out.addAll(leaves(c)));
        } else if (step instanceof MappedNetwork.Parallel p) {
            p.branches().forEach(c -> out.addAll(leaves(c)));
        }
        return out;
    }

    private static Linear linear(int units) {
        return Linear.builder().setUnits(units).build();
    }

    @Test
    void namedActivationBlocksDecideTheSymmetries() {
        SequentialBlock block = new SequentialBlock()
                .add(linear(6)).add(Activation.reluBlock())
                .add(linear(5)).add(Activation.leakyReluBlock(0.1f))
                .add(linear(4)).add(Activation.tanhBlock())
                .add(linear(3)).add(Blocks.identityBlock())
                .add(Linear.builder().setUnits(2).optBias(false).build());
        NetworkDescription d = map(block, 7).description();

        assertThat(d.layers()).extracting(DenseLayer::name)
                .containsExactly("01Linear", "03Linear", "05Linear", "07Linear", "09Linear");
        assertThat(d.layers()).extracting(DenseLayer::outputs).containsExactly(6, 5, 4, 3, 2);
        assertThat(d.layers()).extracting(DenseLayer::inputs).containsExactly(7, 6, 5, 4, 3);
        assertThat(d.layers()).extracting(DenseLayer::activation).containsExactly(dev.noether.core.model.Activation.RELU,
                dev.noether.core.model.Activation.LEAKY_RELU, dev.noether.core.model.Activation.TANH,
                dev.noether.core.model.Activation.IDENTITY, dev.noether.core.model.Activation.IDENTITY);
        // tanh breaks the rescaling symmetry; identity with a bias on 07Linear keeps rescaling only
        assertThat(d.pairs()).extracting(SymmetryPair::tag)
                .containsExactly("01Linear:03Linear", "03Linear:05Linear", "07Linear:09Linear");
        assertThat(d.unsupported()).isEmpty();
    }

    @Test
    void anonymousLambdasAreRecognisedByWhatTheyCompute() {
        SequentialBlock block = new SequentialBlock()
                .add(linear(6)).add(Activation::relu)
                .add(linear(5)).add(x -> Activation.leakyRelu(x, 0.2f))
                .add(linear(4)).add(Activation::gelu)
                .add(linear(3)).add(Activation::sigmoid)
                .add(linear(2));
        NetworkDescription d = map(block, 7).description();

        assertThat(d.layers()).extracting(DenseLayer::activation).containsExactly(dev.noether.core.model.Activation.RELU,
                dev.noether.core.model.Activation.LEAKY_RELU, dev.noether.core.model.Activation.GELU,
                dev.noether.core.model.Activation.SIGMOID, dev.noether.core.model.Activation.IDENTITY);
        assertThat(d.unsupported()).isEmpty();
    }

    @Test
    void nestedBlocksAreFlattenedWithDjlStyleNames() {
        SequentialBlock inner = new SequentialBlock().add(linear(5)).add(Activation.reluBlock());
        SequentialBlock block = new SequentialBlock().add(Blocks.batchFlattenBlock()).add(inner).add(linear(3));
        MappedNetwork net = map(block, 4);

        assertThat(net.description().layers()).extracting(DenseLayer::name)
                .containsExactly("02SequentialBlock_01Linear", "03Linear");
        assertThat(net.description().pairs()).extracting(SymmetryPair::tag)
                .containsExactly("02SequentialBlock_01Linear:03Linear");
        assertThat(leaves(net.plan())).extracting(MappedNetwork.Leaf::role).containsExactly(MappedNetwork.Role.PASS,
                MappedNetwork.Role.LINEAR, MappedNetwork.Role.ACTIVATION, MappedNetwork.Role.LINEAR);
        // the parameters are DJL's own, named as DJL names them
        assertThat(net.dense().get(0).weight().getArray().getShape()).isEqualTo(new Shape(5, 4));
        assertThat(net.dense().get(1).bias().getArray().getShape()).isEqualTo(new Shape(3));
    }

    @Test
    void normalizationMakesTheLayerBeforeItScaleInvariantAndDropoutKeepsThePair() {
        SequentialBlock block = new SequentialBlock()
                .add(linear(6)).add(BatchNorm.builder().build()).add(Activation.reluBlock())
                .add(linear(5)).add(Activation.reluBlock()).add(Dropout.builder().optRate(0.5f).build())
                .add(linear(4)).add(LayerNorm.builder().build())
                .add(linear(3));
        NetworkDescription d = map(block, 7).description();

        assertThat(d.layers()).extracting(DenseLayer::isScaleInvariant).containsExactly(true, false, true, false);
        assertThat(d.pairs()).extracting(SymmetryPair::tag).containsExactly("04Linear:07Linear");
    }

    @Test
    void unknownLayersAreNamedAsUnsupportedAndTheRestIsStillMapped() {
        SequentialBlock block = new SequentialBlock()
                .add(linear(8)).add(Activation.reluBlock())
                .add(new LambdaBlock(x -> new NDList(x.singletonOrThrow().reshape(-1, 1, 8)), "toChannels"))
                .add(Conv1d.builder().setKernelShape(new Shape(3)).setFilters(2).build())
                .add(x -> new NDList(x.singletonOrThrow().mul(2)))
                .add(Blocks.batchFlattenBlock())
                .add(linear(4)).add(Activation.reluBlock())
                .add(linear(2));
        NetworkDescription d = map(block, 5).description();

        assertThat(d.unsupported()).extracting(UnsupportedLayer::name).containsExactly("03LambdaBlock", "05LambdaBlock");
        assertThat(d.unsupported()).extracting(UnsupportedLayer::reason).containsExactly(
                "LambdaBlock 'toChannels' is not an activation, pooling or flatten Noether recognises",
                "LambdaBlock 'anonymous' is not an activation, pooling or flatten Noether recognises");
        // the convolution between the two unknown lambdas is still a layer: 2 channels x 1 input channel x 3
        assertThat(d.layers()).extracting(DenseLayer::name).containsExactly("01Linear", "04Conv1d", "07Linear", "09Linear");
        assertThat(d.layers().get(1).shape()).isEqualTo("2x1x3");
        assertThat(d.pairs()).extracting(SymmetryPair::tag).containsExactly("07Linear:09Linear");
    }

    private MappedNetwork mapImages(ai.djl.nn.Block block, Shape sample) {
        block.initialize(manager, DataType.FLOAT32, new Shape(2).addAll(sample));
        return new DjlNetworkMapper(manager).map("m", block);
    }

    /** Bad input (issue 12): what a dense-over-channels reading cannot hold is a named skip; the rest is mapped. */
    @Test
    void groupedTransposedAndAsymmetricallyPaddedConvolutionsAreNamedSkipsAndTheRestIsMapped() {
        SequentialBlock block = new SequentialBlock()
                .add(ai.djl.nn.convolutional.Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(4)
                        .optGroups(2).build())
                .add(Activation.reluBlock())
                .add(ai.djl.nn.convolutional.Conv2dTranspose.builder().setKernelShape(new Shape(2, 2)).setFilters(3).build())
                // asymmetric padding: DJL's Conv2d pads symmetrically, so it takes an explicit pad in a lambda
                .add(new LambdaBlock(x -> new NDList(x.singletonOrThrow().pad(new Shape(0, 1, 0, 1), 0)), "padRightBottom"))
                .add(ai.djl.nn.convolutional.Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(5)
                        .optBias(false).optDilation(new Shape(2, 2)).build())
                .add(Activation.reluBlock())
                .add(ai.djl.nn.pooling.Pool.maxPool2dBlock(new Shape(2, 2)))
                .add(Blocks.batchFlattenBlock())
                .add(linear(3));
        NetworkDescription d = mapImages(block, new Shape(2, 9, 9)).description();

        assertThat(d.unsupported()).extracting(UnsupportedLayer::name)
                .containsExactly("01Conv2d", "03Conv2dTranspose", "04LambdaBlock");
        assertThat(d.unsupported().get(0).reason()).startsWith("grouped/depthwise convolution (groups=2)");
        assertThat(d.unsupported().get(1).reason()).contains("transposed convolution");
        assertThat(d.unsupported().get(2).reason()).contains("'padRightBottom'");
        // 9x9 → grouped 7x7 → transposed 8x8 → padded 9x9 → dilated 3x3: 5x5 → pool 2x2: 4 positions per channel
        // the skipped convolutions' weights are weight-only layers, after the graph's (METRICS.md §12)
        assertThat(d.layers()).extracting(DenseLayer::name)
                .containsExactly("05Conv2d", "09Linear", "01Conv2d", "03Conv2dTranspose");
        assertThat(d.layers().get(2).isWeightOnly()).isTrue();
        assertThat(d.layers().get(2).shape()).isEqualTo("4x9"); // (4, 1, 3, 3): first dimension × the rest
        assertThat(d.unsupported().get(1).reason()).contains("weight metrics only for 03Conv2dTranspose");
        assertThat(d.layers().get(0).shape()).isEqualTo("5x3x3x3");
        assertThat(d.layers().get(0).hasBias()).isFalse();
        assertThat(d.pairs()).singleElement().satisfies(p -> {
            assertThat(p.tag()).isEqualTo("05Conv2d:09Linear");
            assertThat(p.grouping().positions()).isEqualTo(4);
        });
    }

    @Test
    void parallelBlocksJoinedBySumConcatOrAnythingElse() {
        java.util.function.Supplier<ai.djl.nn.Block> conv = () -> ai.djl.nn.convolutional.Conv2d.builder()
                .setKernelShape(new Shape(1, 1)).setFilters(2).build();
        SequentialBlock block = new SequentialBlock()
                .add(conv.get())
                .add(new ai.djl.nn.ParallelBlock(l -> new NDList(l.get(0).head().add(l.get(1).head())),
                        java.util.List.of(new SequentialBlock().add(conv.get()), Blocks.identityBlock())))
                .add(new ai.djl.nn.ParallelBlock(l -> new NDList(ai.djl.ndarray.NDArrays.concat(
                        new NDList(l.get(0).head(), l.get(1).head()), 1)), java.util.List.of(conv.get(), conv.get())))
                .add(new ai.djl.nn.ParallelBlock(l -> new NDList(l.get(0).head().mul(l.get(1).head())),
                        java.util.List.of(conv.get(), conv.get())))
                .add(Blocks.batchFlattenBlock())
                .add(linear(3));
        MappedNetwork net = mapImages(block, new Shape(1, 3, 3));
        NetworkDescription d = net.description();

        assertThat(d.layers()).extracting(DenseLayer::name).containsExactly("01Conv2d",
                "02ParallelBlock_01SequentialBlock_01Conv2d", "03ParallelBlock_01Conv2d", "03ParallelBlock_02Conv2d",
                "04ParallelBlock_01Conv2d", "04ParallelBlock_02Conv2d", "06Linear");
        assertThat(d.unsupported()).extracting(UnsupportedLayer::name).containsExactly("04ParallelBlock");
        assertThat(d.pairs()).isEmpty(); // fan-out into the branches, merges and the unknown join break every pair
        assertThat(d.hidden(d.layers().get(4))).isTrue();
        assertThat(d.longestChain()).hasSize(5);
        assertThat(leaves(net.plan())).hasSize(9);
    }
}
