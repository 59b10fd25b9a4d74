package dev.noether.core.model;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The flat layout an engine hands over in one copy, read back block by block. */
class LayerReductionsTest {

    @Test
    void unpacksRowsBiasColumnsAndDeltaInTheDocumentedOrder() {
        int m = 2;
        int n = 3;
        // rowSq rowGradSq rowDot | biasSq biasGradSq biasDot | colSq colGradSq colDot | delta
        double[] flat = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22};
        LayerReductions r = LayerReductions.unpack(flat, m, n, true, true, true);
        assertThat(r.rowSq()).containsExactly(1, 2);
        assertThat(r.rowGradSq()).containsExactly(3, 4);
        assertThat(r.rowDot()).containsExactly(5, 6);
        assertThat(r.biasSq()).containsExactly(7, 8);
        assertThat(r.biasGradSq()).containsExactly(9, 10);
        assertThat(r.biasDot()).containsExactly(11, 12);
        assertThat(r.colSq()).containsExactly(13, 14, 15);
        assertThat(r.colGradSq()).containsExactly(16, 17, 18);
        assertThat(r.colDot()).containsExactly(19, 20, 21);
        assertThat(r.deltaSquared()).isEqualTo(22);
    }

    @Test
    void withoutBiasGradientsOrDeltaOnlyTheSquaresAreRead() {
        LayerReductions r = LayerReductions.unpack(new double[] {1, 2, 3, 4, 5}, 2, 3, false, false, false);
        assertThat(r.rowSq()).containsExactly(1, 2);
        assertThat(r.colSq()).containsExactly(3, 4, 5);
        assertThat(r.hasGradients()).isFalse();
        assertThat(r.hasBias()).isFalse();
        assertThat(r.deltaSquared()).isNaN();
    }

    @Test
    void aFlatArrayOfTheWrongLengthIsRefusedWithTheLayout() {
        assertThatThrownBy(() -> LayerReductions.unpack(new double[6], 2, 3, false, false, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("expected 5 sums for a 2x3 layer, got 6");
    }
}
