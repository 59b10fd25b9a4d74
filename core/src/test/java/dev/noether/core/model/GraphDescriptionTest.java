package dev.noether.core.model;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The graph-shaped description of METRICS.md §10: consumers, channel grouping, pairs, invariance, chains. */
class GraphDescriptionTest {
    private static final int[] K5 = {5, 5};
    private static final int[] K3 = {3, 3};

    static NetworkDescription lenet() {
        return NetworkDescription.builder("lenet")
                .conv("c1", LayerKind.CONV2D, 6, 1, true, K5).activation(Activation.RELU).op("p1", Op.MAX_POOL)
                .conv("c2", LayerKind.CONV2D, 16, 6, true, K5).activation(Activation.RELU).op("p2", Op.MAX_POOL)
                .flatten("flat", 16)
                .dense("fc1", 120, 256, true).activation(Activation.RELU)
                .dense("out", 10, 120, true)
                .build();
    }

    @Test
    void lenetHasThreeRescalingPairsGroupedByChannel() {
        NetworkDescription d = lenet();
        assertThat(d.layers()).extracting(DenseLayer::name).containsExactly("c1", "c2", "fc1", "out");
        assertThat(d.pairs()).extracting(SymmetryPair::toString)
                .containsExactly("c1:c2(rescaling)", "c2:fc1(rescaling)", "fc1:out(rescaling)");
        // u_i: the 5x5 kernel columns of c2 reading channel i; the 4x4 positions fc1 reads from channel i
        assertThat(d.pairs()).extracting(SymmetryPair::grouping).containsExactly(
                new ChannelGrouping(6, 25), new ChannelGrouping(16, 16), new ChannelGrouping(120, 1));
        DenseLayer c2 = d.layers().get(1);
        assertThat(c2.kind()).isEqualTo(LayerKind.CONV2D);
        assertThat(c2.inputs()).isEqualTo(150);
        assertThat(c2.inputChannels()).isEqualTo(6);
        assertThat(c2.kernel()).containsExactly(5, 5);
        assertThat(c2.shape()).isEqualTo("16x6x5x5");
        assertThat(d.layers().get(2).shape()).isEqualTo("120x256");
        assertThat(d.layers().get(2).kind().tag()).isEqualTo("dense");
        assertThat(d.next(c2).name()).isEqualTo("fc1");
        assertThat(d.longestChain()).extracting(DenseLayer::name).containsExactly("c1", "c2", "fc1", "out");
        assertThat(d.hidden(d.layers().get(3))).isFalse();
    }

    @Test
    void aTanhBetweenConvolutionsKeepsTheConsumerButBreaksThePair() {
        NetworkDescription d = NetworkDescription.builder("m")
                .conv("a", LayerKind.CONV1D, 4, 2, true, new int[] {3}).activation(Activation.TANH)
                .op("pad", Op.PADDING)
                .conv("b", LayerKind.CONV1D, 5, 4, true, new int[] {3})
                .build();
        assertThat(d.pairs()).isEmpty();
        assertThat(d.next(d.layers().get(0)).name()).isEqualTo("b");
        assertThat(d.grouping(d.layers().get(0))).isEqualTo(new ChannelGrouping(4, 3));
        assertThat(d.layers().get(0).activation()).isEqualTo(Activation.TANH);
    }

    /** conv-BN-ReLU-conv-BN + skip, ReLU, global pooling, a dense head: the residual unit of ResNet. */
    @Test
    void aResidualBlockHasScaleInvariantConvolutionsAndOnlyTheHeadPairsAcrossNothing() {
        NetworkDescription d = NetworkDescription.builder("resnet")
                .conv("stem", LayerKind.CONV2D, 8, 3, false, K3, "input")
                .normalization("bn0", Normalization.BATCH_NORM, "stem").activation("r0", Activation.RELU, "bn0")
                .conv("a", LayerKind.CONV2D, 8, 8, false, K3, "r0")
                .normalization("bnA", Normalization.BATCH_NORM, "a").activation("rA", Activation.RELU, "bnA")
                .conv("b", LayerKind.CONV2D, 8, 8, false, K3, "rA")
                .normalization("bnB", Normalization.BATCH_NORM, "b")
                .merge("add", Merge.ADD, "bnB", "r0").activation("r1", Activation.RELU, "add")
                .op("gap", Op.GLOBAL_AVG_POOL, "r1").flatten("flat", 1, "gap")
                .dense("fc", 10, 8, true, "flat")
                .build();
        assertThat(d.layers()).extracting(DenseLayer::name).containsExactly("stem", "a", "b", "fc");
        assertThat(d.layers()).extracting(DenseLayer::isScaleInvariant).containsExactly(true, true, true, false);
        assertThat(d.pairs()).isEmpty(); // BN after every conv, and the add before the head
        // stem feeds both the block and the skip: no unique consumer; a reads through BN and ReLU into b
        assertThat(d.next(d.layers().get(0))).isNull();
        assertThat(d.next(d.layers().get(1)).name()).isEqualTo("b");
        assertThat(d.grouping(d.layers().get(1))).isEqualTo(new ChannelGrouping(8, 9));
        assertThat(d.next(d.layers().get(2))).isNull(); // b feeds the add
        assertThat(d.hidden(d.layers().get(2))).isTrue();
        assertThat(d.hidden(d.layers().get(3))).isFalse();
        assertThat(d.longestChain()).extracting(DenseLayer::name).containsExactly("stem", "a", "b", "fc");
    }

    @Test
    void theLongestChainSkipsAProjectionShortcut() {
        NetworkDescription d = NetworkDescription.builder("m")
                .conv("c0", LayerKind.CONV2D, 4, 3, true, K3)
                .activation("r0", Activation.RELU, "c0")
                .conv("proj", LayerKind.CONV2D, 8, 4, false, new int[] {1, 1}, "r0")
                .conv("c1", LayerKind.CONV2D, 8, 4, true, K3, "r0").activation("r1", Activation.RELU, "c1")
                .conv("c2", LayerKind.CONV2D, 8, 8, true, K3, "r1")
                .merge("add", Merge.ADD, "c2", "proj")
                .op("gap", Op.GLOBAL_MAX_POOL, "add").flatten("flat", 1, "gap")
                .dense("fc", 2, 8, true, "flat")
                .build();
        assertThat(d.longestChain()).extracting(DenseLayer::name).containsExactly("c0", "c1", "c2", "fc");
        assertThat(d.pairs()).extracting(SymmetryPair::tag).containsExactly("c1:c2");
    }

    @Test
    void aFlattenWithUnknownPositionsTakesThemFromTheDenseLayer() {
        NetworkDescription d = NetworkDescription.builder("m")
                .conv("c", LayerKind.CONV3D, 2, 1, true, new int[] {2, 2, 2}).activation(Activation.LEAKY_RELU)
                .op("pool", Op.AVG_POOL).op("drop", Op.DROPOUT).flatten("flat", 0)
                .dense("fc", 3, 54, true)
                .build();
        assertThat(d.pairs()).singleElement().extracting(SymmetryPair::grouping).isEqualTo(new ChannelGrouping(2, 27));
        assertThat(d.layers().get(0).shape()).isEqualTo("2x1x2x2x2");
    }

    @Test
    void anUnsupportedNodeIsNamedAndTheRestOfTheGraphIsStillDescribed() {
        NetworkDescription d = NetworkDescription.builder("m")
                .conv("c1", LayerKind.CONV2D, 4, 3, true, K3).activation(Activation.RELU)
                .unsupported("lstm", "LSTM is not modelled")
                .dense("fc1", 8, 123, true).activation(Activation.RELU)
                .dense("fc2", 2, 8, true)
                .build();
        assertThat(d.unsupported()).extracting(UnsupportedLayer::name).containsExactly("lstm");
        assertThat(d.layers()).hasSize(3);
        assertThat(d.pairs()).extracting(SymmetryPair::tag).containsExactly("fc1:fc2");
        assertThat(d.next(d.layers().get(0))).isNull();
        assertThat(d.hidden(d.layers().get(0))).isTrue();
    }

    @Test
    void aConcatIntoALayerBreaksThePairsOfEveryInput() {
        NetworkDescription d = NetworkDescription.builder("m")
                .dense("a", 4, 3, true, "input").activation("ra", Activation.RELU, "a")
                .dense("b", 5, 3, true, "input").activation("rb", Activation.RELU, "b")
                .merge("cat", Merge.CONCAT, "ra", "rb")
                .dense("c", 2, 9, true, "cat")
                .build();
        assertThat(d.pairs()).isEmpty();
        assertThat(d.next(d.layers().get(0))).isNull();
        assertThat(d.longestChain()).extracting(DenseLayer::name).containsExactly("a", "c");
    }

    @Test
    void chainSugarNodesWithRepeatedNamesAreKeptApart() {
        NetworkDescription d = NetworkDescription.builder("m")
                .dense("a", 4, 3, true).dropout("drop").activation(Activation.RELU)
                .dense("b", 4, 4, true).dropout("drop").activation(Activation.RELU)
                .unsupported("Linear", "x").unsupported("Linear", "y")
                .build();
        assertThat(d.pairs()).extracting(SymmetryPair::tag).containsExactly("a:b");
        assertThat(d.unsupported()).extracting(UnsupportedLayer::name).containsExactly("Linear", "Linear");
    }

    @Test
    void shapesThatDoNotFitNameBothLayers() {
        assertThatThrownBy(() -> NetworkDescription.builder("m")
                .conv("c1", LayerKind.CONV2D, 6, 1, true, K5).op("p", Op.MAX_POOL)
                .conv("c2", LayerKind.CONV2D, 16, 8, true, K5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'c2' reads 8 channels").hasMessageContaining("'c1', has 6 output channels");
        assertThatThrownBy(() -> NetworkDescription.builder("m")
                .conv("c1", LayerKind.CONV2D, 6, 1, true, K5).flatten("f", 16)
                .dense("fc", 10, 95, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'fc' takes 95 inputs").hasMessageContaining("x 16 positions per channel");
        assertThatThrownBy(() -> NetworkDescription.builder("m")
                .conv("c1", LayerKind.CONV2D, 6, 1, true, new int[] {5}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("kernel of 1 dimensions");
        // a forward reference is checked when the graph is built
        assertThatThrownBy(() -> NetworkDescription.builder("m")
                .dense("b", 3, 7, true, "ra")
                .dense("a", 4, 2, true, "input").activation("ra", Activation.RELU, "a")
                .build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'b' takes 7 inputs");
    }

    @Test
    void aCycleAndAnUnknownInputAreNamed() {
        assertThatThrownBy(() -> NetworkDescription.builder("m")
                .dense("a", 4, 4, true, "add")
                .activation("r", Activation.RELU, "a")
                .merge("add", Merge.ADD, "r", "input")
                .build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cycle through [a, r, add]");
        assertThatThrownBy(() -> NetworkDescription.builder("m").dense("a", 4, 4, true, "inptu").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'a' reads 'inptu', which is neither a node nor a graph input [input]");
        NetworkDescription declared = NetworkDescription.builder("m").input("pixels")
                .dense("a", 4, 4, true, "pixels").build();
        assertThat(declared.layers()).hasSize(1);
    }
}
