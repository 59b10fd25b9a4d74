package dev.noether.core.physics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.noether.core.linalg.LinearAlgebra;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The blocked-product count against plain pairwise loops written out here, on both linear algebras. */
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
            int pairwise = pairwiseDistinct(wl, m, n, wNext, k, mask, 0.99);
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

    /** The definition, literally: union-find over live pairs whose w- and u-cosines both pass. */
    private static int pairwiseDistinct(float[] wl, int m, int n, float[] wNext, int k, boolean[] dead, double tau) {
        int[] parent = new int[m];
        int clusters = 0;
        for (int i = 0; i < m; i++) {
            parent[i] = i;
            clusters += dead != null && dead[i] ? 0 : 1;
        }
        for (int i = 0; i < m; i++) {
            for (int j = i + 1; j < m; j++) {
                if ((dead != null && (dead[i] || dead[j])) || cosine(wl, i, j, n, 1) <= tau
                        || cosine(wNext, i, j, k, m) <= tau) {
                    continue;
                }
                int a = root(parent, i);
                int b = root(parent, j);
                if (a != b) {
                    parent[b] = a;
                    clusters--;
                }
            }
        }
        return clusters;
    }

    /** cos of rows i, j of W_l (stride 1, length n) or of columns i, j of W_{l+1} (stride m, length k). */
    private static double cosine(float[] x, int i, int j, int len, int stride) {
        double dot = 0;
        double ni = 0;
        double nj = 0;
        for (int q = 0; q < len; q++) {
            double a = stride == 1 ? x[i * len + q] : x[q * stride + i];
            double b = stride == 1 ? x[j * len + q] : x[q * stride + j];
            dot += a * b;
            ni += a * a;
            nj += b * b;
        }
        return ni == 0 || nj == 0 ? 0 : dot / Math.sqrt(ni * nj);
    }

    private static int root(int[] parent, int i) {
        while (parent[i] != i) {
            i = parent[i];
        }
        return i;
    }
}
