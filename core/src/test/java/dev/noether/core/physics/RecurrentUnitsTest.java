package dev.noether.core.physics;

import dev.noether.core.linalg.LinearAlgebra;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The unit census of a recurrent layer (METRICS.md §12): a unit is its row in every gate block. */
class RecurrentUnitsTest {
    private static final int H = 5;
    private static final int GATES = 4;
    private static final int IN = 3;
    private static final int N = IN + H;

    /** A random LSTM W (gates·H × (IN + H)) with unit 1 silenced (all its gate rows 0) and unit 3 a copy of unit 2. */
    private static float[] lstm() {
        Random r = new Random(5);
        float[] w = new float[GATES * H * N];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian();
        }
        for (int g = 0; g < GATES; g++) {
            java.util.Arrays.fill(w, (g * H + 1) * N, (g * H + 2) * N, 0f);
            System.arraycopy(w, (g * H + 2) * N, w, (g * H + 3) * N, N);
        }
        // units 2 and 3 read alike and are read alike: the columns reading h_2 and h_3 in every row are equal
        for (int row = 0; row < GATES * H; row++) {
            w[row * N + IN + 3] = w[row * N + IN + 2];
        }
        return w;
    }

    @Test
    void incomingAndOutgoingWeightsFollowTheGateBlocks() {
        float[] w = lstm();
        float[] in = RecurrentUnits.incoming(w, H, GATES, N);
        // unit 4's incoming = row 4 of gate 0, then row 4 of gate 1, ...
        for (int g = 0; g < GATES; g++) {
            for (int j = 0; j < N; j++) {
                assertThat(in[(4 * GATES + g) * N + j]).isEqualTo(w[(g * H + 4) * N + j]);
            }
        }
        float[] out = RecurrentUnits.outgoing(w, H, GATES, N, IN);
        for (int row = 0; row < GATES * H; row++) {
            assertThat(out[row * H + 2]).isEqualTo(w[row * N + IN + 2]);
        }
    }

    @Test
    void aSilencedUnitIsDeadAndACopyIsNotDistinct() {
        float[] w = lstm();
        boolean[] dead = RecurrentUnits.deadMask(w, H, GATES, N, IN, 1e-6, 1e-3);
        assertThat(dead).containsExactly(false, true, false, false, false);
        int distinct = RecurrentUnits.distinct(w, H, GATES, N, IN, dead, 0.99, LinearAlgebra.of(LinearAlgebra.Backend.JAVA));
        assertThat(distinct).isEqualTo(3); // units 0, 2 = 3, 4
    }
}
