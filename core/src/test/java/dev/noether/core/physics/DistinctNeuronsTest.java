package dev.noether.core.physics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

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

    @Test
    void theProjectionScreenOnWideInputsGivesThePairwiseCountWithNearCopiesNearMissesAndChains() {
        Random r = new Random(9);
        int m = 700; // three product blocks
        int n = 3 * DistinctNeurons.SCREEN_MIN_INPUTS; // screened
        int k = 6;
        float[] wl = gaussian(r, m * n);
        float[] wNext = gaussian(r, k * m);
        // w-cosines about 1/√(1 + ε²): ε = 0.1 joins (≈ 0.995), ε = 0.175 misses (≈ 0.985)
        nearCopy(r, wl, n, 5, 6, 0.1f);
        nearCopy(r, wl, n, 5, 650, 0.1f); // across blocks
        nearCopy(r, wl, n, 7, 8, 0.175f);
        nearCopy(r, wl, n, 30, 31, 0.1f); // a chain 30 – 31 – 32 …
        nearCopy(r, wl, n, 31, 32, 0.1f);
        nearCopy(r, wl, n, 40, 41, 0.1f); // … and a w-copy whose u is not
        for (int[] pair : new int[][] {{5, 6}, {5, 650}, {7, 8}, {30, 31}, {31, 32}}) {
            for (int q = 0; q < k; q++) {
                wNext[q * m + pair[1]] = 3 * wNext[q * m + pair[0]];
            }
        }
        boolean[] dead = new boolean[m];
        dead[650] = true;
        for (boolean[] mask : new boolean[][] {null, dead}) {
            int pairwise = pairwiseDistinct(wl, m, n, wNext, k, mask, 0.99);
            for (LinearAlgebra.Backend b : new LinearAlgebra.Backend[] {LinearAlgebra.Backend.JAVA,
                LinearAlgebra.Backend.NATIVE}) {
                LinearAlgebra la = LinearAlgebra.of(b);
                assertThat(DistinctNeurons.count(wl, m, n, wNext, k, 1, mask, 0.99, la, true)).as("screened, %s", b)
                        .isEqualTo(pairwise);
                assertThat(DistinctNeurons.count(wl, m, n, wNext, k, 1, mask, 0.99, la, false)).as("all cosines, %s", b)
                        .isEqualTo(pairwise);
            }
        }
        int live = m - 1;
        assertThat(DistinctNeurons.count(wl, m, n, wNext, k, dead, 0.99, LinearAlgebra.preferred()))
                .as("6 joins 5; 31 and 32 join 30; 8 and 41 stay apart").isEqualTo(live - 3);
    }

    @Test
    void aLayerCloseToCollapseTakesTheDenseProductsAndStillCountsExactly() {
        Random r = new Random(10);
        int m = 300;
        int n = 2 * DistinctNeurons.SCREEN_MIN_INPUTS;
        int k = 3;
        float[] base = gaussian(r, n);
        float[] wl = new float[m * n];
        for (int i = 0; i < m; i++) {
            // every pair at cos ≈ 0.92: over a third of the pairs pass the screen, none joins but the copies
            for (int j = 0; j < n; j++) {
                wl[i * n + j] = base[j] + 0.3f * (float) r.nextGaussian();
            }
        }
        float[] wNext = gaussian(r, k * m);
        for (int i = 1; i < m; i += 50) {
            nearCopy(r, wl, n, i, i + 1, 0.05f);
            for (int q = 0; q < k; q++) {
                wNext[q * m + i + 1] = wNext[q * m + i];
            }
        }
        int pairwise = pairwiseDistinct(wl, m, n, wNext, k, null, 0.99);
        assertThat(pairwise).as("the planted copies join").isEqualTo(m - 6);
        for (LinearAlgebra.Backend b : new LinearAlgebra.Backend[] {LinearAlgebra.Backend.JAVA,
            LinearAlgebra.Backend.NATIVE}) {
            assertThat(DistinctNeurons.count(wl, m, n, wNext, k, 1, null, 0.99, LinearAlgebra.of(b), true))
                    .as("%s", b).isEqualTo(pairwise);
        }
    }

    @Test
    void theScreenIsAContractionThatKeepsAPairJustAboveTheThresholdAndDropsOneJustBelow() {
        int n = 2 * DistinctNeurons.SCREEN_MIN_INPUTS;
        int kk = DistinctNeurons.SCREEN_DIMENSION;
        double[] p = DistinctNeurons.projection(n);
        for (int a = 0; a < kk; a++) {
            for (int b = 0; b < kk; b++) {
                double dot = 0;
                for (int j = 0; j < n; j++) {
                    dot += p[j * kk + a] * p[j * kk + b];
                }
                assertThat(dot).as("PᵀP[%d][%d]", a, b).isCloseTo(a == b ? 1 : 0, within(1e-12));
            }
        }
        // w_0 ⊥ range(P) and w_j = w_0 + δ_j p_0 (p_0 P's first column): the projected distance of the unit rows
        // is √(1 − cos²), a hair below the true √(2(1 − cos)), so the screen is tight at the threshold
        Random r = new Random(11);
        double[] w0 = new double[n];
        for (int j = 0; j < n; j++) {
            w0[j] = r.nextGaussian();
        }
        for (int a = 0; a < kk; a++) {
            double c = 0;
            for (int j = 0; j < n; j++) {
                c += p[j * kk + a] * w0[j];
            }
            for (int j = 0; j < n; j++) {
                w0[j] -= c * p[j * kk + a];
            }
        }
        double norm = Math.sqrt(java.util.Arrays.stream(w0).map(x -> x * x).sum());
        for (double cosine : new double[] {0.9902, 0.9898}) {
            double delta = Math.sqrt(1 / (cosine * cosine) - 1);
            float[] wl = new float[2 * n];
            for (int j = 0; j < n; j++) {
                wl[j] = (float) (w0[j] / norm);
                wl[n + j] = (float) (w0[j] / norm + delta * p[j * kk]);
            }
            assertThat(cosine(wl, 0, 1, n, 1)).isCloseTo(cosine, within(1e-6));
            float[] wNext = {1, 1}; // k = 1: the same u for both
            for (LinearAlgebra.Backend b : new LinearAlgebra.Backend[] {LinearAlgebra.Backend.JAVA,
                LinearAlgebra.Backend.NATIVE}) {
                assertThat(DistinctNeurons.count(wl, 2, n, wNext, 1, 1, null, 0.99, LinearAlgebra.of(b), true))
                        .as("cos %s (%s)", cosine, b).isEqualTo(cosine > 0.99 ? 1 : 2);
            }
        }
    }

    /** Row {@code to} of the m×n W := row {@code from} + ε·‖row‖/√n·(standard normal noise). */
    private static void nearCopy(Random r, float[] w, int n, int from, int to, float eps) {
        double norm = 0;
        for (int j = 0; j < n; j++) {
            norm += w[from * n + j] * w[from * n + j];
        }
        float scale = (float) (eps * Math.sqrt(norm / n));
        for (int j = 0; j < n; j++) {
            w[to * n + j] = w[from * n + j] + scale * (float) r.nextGaussian();
        }
    }

    private static float[] gaussian(Random r, int size) {
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
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
