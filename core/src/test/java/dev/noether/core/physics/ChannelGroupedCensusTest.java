package dev.noether.core.physics;

import dev.noether.core.linalg.LinearAlgebra;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Dead and distinct channels of a convolution (METRICS.md §10): u_i is every weight of the next convolution
 * that reads channel i, W2[:, i, :, :], a k×g block of columns in the k×(m·g) matrix.
 */
class ChannelGroupedCensusTest {
    private static final int M = 5;   // channels
    private static final int N = 8;   // C_in·∏k of the layer
    private static final int K = 3;   // C_out of the next convolution
    private static final int G = 4;   // its 2x2 kernel

    private static int u(int o, int channel, int p) {
        return (o * M + channel) * G + p;
    }

    private static float[] gaussian(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }

    @Test
    void aChannelIsDeadOnlyWhenItsWholeKernelBlockVanishes() {
        Random r = new Random(7);
        float[] w = gaussian(r, M * N);
        float[] next = gaussian(r, K * M * G);
        for (int o = 0; o < K; o++) {
            for (int p = 0; p < G; p++) {
                next[u(o, 2, p)] = 0; // channel 2: no next-layer weight reads it
            }
            next[u(o, 4, 0)] = 0;      // channel 4: one kernel position zeroed, the others still read it
        }
        boolean[] dead = NeuronCensus.deadMask(w, null, M, N, next, K, G, 1e-6, 1e-3);
        assertThat(dead).containsExactly(false, false, true, false, false);
        // read column by column (the dense reading, wrong here) the matrix is not even the right shape
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> NeuronCensus.deadMask(w, null, M, N, next, K, 1e-6, 1e-3))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void channelsMergeWhenFiltersAndWholeKernelBlocksArePositivelyProportional() {
        Random r = new Random(8);
        float[] w = gaussian(r, M * N);
        float[] next = gaussian(r, K * M * G);
        for (int j = 0; j < N; j++) {
            w[1 * N + j] = 2 * w[j];       // channel 1 copies channel 0's filter
            w[3 * N + j] = 0.5f * w[j];    // so does channel 3
        }
        for (int o = 0; o < K; o++) {
            for (int p = 0; p < G; p++) {
                next[u(o, 1, p)] = 0.25f * next[u(o, 0, p)]; // and its whole block of outgoing weights
                next[u(o, 3, p)] = p == 0 ? -next[u(o, 0, p)] : next[u(o, 0, p)]; // one position flipped
            }
        }
        // {0, 1} merge; 3 differs in one kernel position of its u_i; 2 and 4 are generic
        assertThat(DistinctNeurons.count(w, M, N, next, K, G, null, 0.99, LinearAlgebra.preferred())).isEqualTo(4);
        boolean[] dead = {false, true, false, false, false};
        assertThat(DistinctNeurons.count(w, M, N, next, K, G, dead, 0.99, LinearAlgebra.preferred())).isEqualTo(4);
    }
}
