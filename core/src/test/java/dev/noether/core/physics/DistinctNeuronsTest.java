package dev.noether.core.physics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.noether.core.linalg.LinearAlgebra;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The blocked-product count against NeuronCensus.distinct's pairwise loops, on both linear algebras. */
class DistinctNeuronsTest {

    @Test
    void agreesWithThePairwiseCountOnCopiesScalesZerosAndDeadNeuronsAcrossBlocks() {
        Random r = new Random(8);
        int m = 600; // more than two product blocks
        int n = 12;
        int k = 5;
        float[] wl = new float[m * n];
        float[] wNext = new float[k * m];
        for (int i = 0; i < wl.length; i++) {
            wl[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < wNext.length; i++) {
            wNext[i] = (float) r.nextGaussian();
        }
        // neuron 3's positively scaled copies at 4, 300 (another block) and 599; 10 copies w but not u
        for (int copy : new int[] {4, 300, 599, 10}) {
            float scale = 0.5f + copy % 7;
            for (int j = 0; j < n; j++) {
                wl[copy * n + j] = scale * wl[3 * n + j];
            }
            if (copy != 10) {
                for (int q = 0; q < k; q++) {
                    wNext[q * m + copy] = 2 * wNext[q * m + 3];
                }
            }
        }
        for (int j = 0; j < n; j++) {
            wl[20 * n + j] = 0; // no direction: joins nobody
        }
        boolean[] dead = NeuronCensus.deadMask(wl, null, m, n, wNext, k, 1e-6, 1e-3);
        boolean[] someDead = dead.clone();
        someDead[599] = true;
        for (boolean[] mask : new boolean[][] {null, dead, someDead}) {
            int pairwise = NeuronCensus.distinct(wl, m, n, wNext, k, mask, 0.99);
            for (LinearAlgebra.Backend b : new LinearAlgebra.Backend[] {LinearAlgebra.Backend.JAVA,
                LinearAlgebra.Backend.NATIVE}) {
                assertThat(DistinctNeurons.count(wl, m, n, wNext, k, mask, 0.99, LinearAlgebra.of(b)))
                        .as("%s", b).isEqualTo(pairwise);
            }
        }
        int live = 0;
        for (boolean d : someDead) {
            live += d ? 0 : 1;
        }
        assertThat(DistinctNeurons.count(wl, m, n, wNext, k, someDead, 0.99, LinearAlgebra.preferred()))
                .as("the copies 4 and 300 merge with 3").isEqualTo(live - 2);
    }
}
