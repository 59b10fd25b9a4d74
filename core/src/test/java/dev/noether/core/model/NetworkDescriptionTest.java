package dev.noether.core.model;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NetworkDescriptionTest {

    @Test
    void reluPairsCarryRescalingAndTheOutputLayerEndsTheChain() {
        NetworkDescription d = NetworkDescription.builder("mlp")
                .dense("fc1", 8, 4, true).activation(Activation.RELU)
                .dense("fc2", 8, 8, true).activation(Activation.LEAKY_RELU).dropout("drop")
                .dense("out", 3, 8, true)
                .build();
        assertThat(d.pairs()).extracting(SymmetryPair::tag).containsExactly("fc1:fc2", "fc2:out");
        assertThat(d.pairs()).extracting(SymmetryPair::symmetry).containsOnly(Symmetry.RESCALING);
        assertThat(d.next(d.layers().get(1)).name()).isEqualTo("out");
        assertThat(d.next(d.layers().get(2))).isNull();
    }

    @Test
    void identityWithoutBiasIsARotationWithBiasOnlyARescaling() {
        NetworkDescription d = NetworkDescription.builder("linear")
                .dense("a", 5, 4, false)
                .dense("b", 5, 5, true)
                .dense("c", 2, 5, false)
                .build();
        assertThat(d.pairs()).extracting(SymmetryPair::toString)
                .containsExactly("a:b(rotation)", "b:c(rescaling)");
    }

    @Test
    void tanhBreaksTheChargeAndNormalizationMakesTheLayerScaleInvariant() {
        NetworkDescription d = NetworkDescription.builder("m")
                .dense("fc1", 8, 4, true).activation(Activation.TANH)
                .dense("fc2", 8, 8, true).normalization(Normalization.BATCH_NORM, "bn").activation(Activation.RELU)
                .dense("fc3", 8, 8, true).activation(Activation.RELU).activation(Activation.SIGMOID)
                .dense("out", 2, 8, true)
                .build();
        assertThat(d.pairs()).isEmpty();
        assertThat(d.layers()).extracting(DenseLayer::isScaleInvariant).containsExactly(false, true, false, false);
        assertThat(d.layers().get(2).activation()).isEqualTo(Activation.SIGMOID);
    }

    @Test
    void unsupportedLayersAreNamedAndBreakTheChainWithoutAShapeCheck() {
        NetworkDescription d = NetworkDescription.builder("m")
                .dense("fc1", 8, 4, true).activation(Activation.RELU)
                .unsupported("conv", "Conv2d is not modelled")
                .dense("fc2", 3, 100, true)
                .build();
        assertThat(d.pairs()).isEmpty();
        assertThat(d.next(d.layers().get(0))).isNull();
        assertThat(d.unsupported()).extracting(UnsupportedLayer::toString).containsExactly("conv (Conv2d is not modelled)");
        assertThat(d.summary()).contains("unsupported [conv (Conv2d is not modelled)]");
    }

    @Test
    void inconsistentShapesNameBothLayersAndShapes() {
        assertThatThrownBy(() -> NetworkDescription.builder("m")
                .dense("fc1", 8, 4, true).activation(Activation.RELU)
                .dense("fc2", 3, 7, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'fc2' takes 7 inputs (shape 3x7)")
                .hasMessageContaining("'fc1', has 8 outputs (shape 8x4)");
        assertThatThrownBy(() -> NetworkDescription.builder("m").dense("x", 0, 3, true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'x' has shape 0x3");
        assertThatThrownBy(() -> NetworkDescription.builder("m").dense("x", 2, 3, true).dense("x", 2, 2, true).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("named 'x'");
    }

    @Test
    void snapshotShapesAreCheckedAgainstTheDescription() {
        DenseLayer layer = NetworkDescription.builder("m").dense("fc", 2, 3, true).build().layers().get(0);
        assertThatThrownBy(() -> LayerSnapshot.of(new float[5], new float[2], null, null).checkShape(layer))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Layer 'fc': weight has 5 values but the description says 2x3 (6)");
    }
}
