package dev.noether.core.model;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Recurrent and weight-only layers in the description (METRICS.md §12). */
class EveryWeightDescriptionTest {

    @Test
    void weightOnlyLayersComeAfterTheGraphAndStayOutOfIt() {
        NetworkDescription d = NetworkDescription.builder("m")
                .unsupported("emb", "EmbeddingLayer is not modelled")
                .weightOnly("emb", LayerKind.EMBEDDING, 6, 12)
                .dense("fc1", 8, 6, true).activation(Activation.RELU)
                .dense("fc2", 2, 8, true)
                .build();
        assertThat(d.layers()).extracting(DenseLayer::name).containsExactly("fc1", "fc2", "emb");
        DenseLayer emb = d.layers().get(2);
        assertThat(emb.index()).isEqualTo(2);
        assertThat(emb.isWeightOnly()).isTrue();
        assertThat(emb.shape()).isEqualTo("6x12");
        assertThat(emb.kind().tag()).isEqualTo("embedding");
        assertThat(d.next(emb)).isNull();
        assertThat(d.hidden(emb)).isFalse();
        // the chain form continued from the unsupported node, not from the weight: fc1 reads emb's node
        assertThat(d.pairs()).extracting(SymmetryPair::tag).containsExactly("fc1:fc2");
        assertThat(d.longestChain()).extracting(DenseLayer::name).containsExactly("fc1", "fc2");
        assertThat(d.unsupported()).extracting(UnsupportedLayer::name).containsExactly("emb");
    }

    @Test
    void aLayerTagIsUniqueAcrossGraphAndWeightOnlyLayers() {
        assertThatThrownBy(() -> NetworkDescription.builder("m").dense("fc", 2, 2, true)
                .weightOnly("fc", LayerKind.OTHER, 2, 2)).hasMessageContaining("'fc'");
        assertThatThrownBy(() -> NetworkDescription.builder("m").weightOnly("w", LayerKind.DENSE, 2, 2))
                .hasMessageContaining("not a weight-only kind");
        assertThatThrownBy(() -> NetworkDescription.builder("m").dense("x", 2, 2, true)
                .linear("r", LayerKind.LSTM, 8, 2, true, new int[0])).hasMessageContaining("recurrent(...)");
    }

    @Test
    void aRecurrentLayerIsMeasuredButCarriesNoPairAndNoShapeCheckAcrossIt() {
        // dense(3 → 5) → LSTM(5 inputs, 4 units: 16 × 9) → dense reading h (4), no shape shared across the LSTM
        NetworkDescription d = NetworkDescription.builder("m")
                .dense("in", 5, 3, true).activation(Activation.RELU)
                .recurrent("lstm", LayerKind.LSTM, 4, 4, 5, 4, true)
                .dense("out", 2, 4, true)
                .build();
        DenseLayer lstm = d.layers().get(1);
        assertThat(lstm.shape()).isEqualTo("16x9");
        assertThat(lstm.gates()).isEqualTo(4);
        assertThat(lstm.units()).isEqualTo(4);
        assertThat(lstm.hiddenStart()).isEqualTo(5);
        assertThat(lstm.isRecurrent()).isTrue();
        assertThat(d.hidden(lstm)).isTrue();
        assertThat(d.pairs()).isEmpty();
        assertThat(d.next(d.layers().get(0))).isNull();
        assertThat(d.next(lstm)).isNull();
        assertThat(d.longestChain()).extracting(DenseLayer::name).doesNotContain("lstm");
    }

    @Test
    void aGruIsTwoLayersAndOnlyItsHiddenPartHasRecurrentColumns() {
        NetworkDescription d = NetworkDescription.builder("m")
                .recurrent("gru_x", LayerKind.GRU, 4, 3, 5, 0, false)
                .recurrent("gru_h", LayerKind.GRU, 4, 3, 0, 4, false)
                .build();
        assertThat(d.layers().get(0).hiddenStart()).isEqualTo(-1);
        assertThat(d.layers().get(1).hiddenStart()).isZero();
        assertThat(d.layers().get(1).shape()).isEqualTo("12x4");
        assertThatThrownBy(() -> NetworkDescription.builder("m").recurrent("r", LayerKind.RNN, 4, 1, 3, 5, false))
                .hasMessageContaining("one column per unit");
    }
}
