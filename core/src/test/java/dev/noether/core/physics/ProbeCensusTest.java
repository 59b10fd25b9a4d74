package dev.noether.core.physics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ProbeCensusTest {

    private static final double TAU = ProbeCensus.DEFAULT_BLOCK_THRESHOLD;

    @Test
    void inactiveCountsNeuronsThatNeverFire() {
        assertThat(ProbeCensus.inactive(new float[] {0f, 0.5f, 0f, 1f, 1e-9f})).isEqualTo(2);
        assertThat(ProbeCensus.inactive(new float[0])).isZero();
    }

    /**
     * 200 samples of 10 pre-activations: 0 = z1, 1 = 2·z1 + noise, 2 = −z1 + noise (block {0,1,2} through
     * |R|), 3 = z2, 4 = 0.5·z2 + 3 + noise (block {3,4}, non-zero mean), 5 = 7 and 8 = 0 (constant,
     * dropped), 6 = z3, 7 = z4, 9 = z3 + strong noise (R ≈ 0.7 with 6: no block).
     */
    private static double[][] structuredSamples() {
        Random random = new Random(42);
        int samples = 200;
        double[][] h = new double[samples][10];
        for (double[] x : h) {
            double z1 = random.nextGaussian();
            double z2 = random.nextGaussian();
            double z3 = random.nextGaussian();
            double z4 = random.nextGaussian();
            x[0] = z1;
            x[1] = 2 * z1 + 0.05 * random.nextGaussian();
            x[2] = -z1 + 0.05 * random.nextGaussian();
            x[3] = z2;
            x[4] = 0.5 * z2 + 3 + 0.05 * random.nextGaussian();
            x[5] = 7;
            x[6] = z3;
            x[7] = z4;
            x[8] = 0;
            x[9] = z3 + random.nextGaussian();
        }
        return h;
    }

    @Test
    void correlationEqualsDirectPearsonOverKeptNeurons() {
        double[][] h = structuredSamples();
        Moments moments = Moments.of(h);

        NeuronCorrelation result = ProbeCensus.correlation(moments.hb, moments.mean, 10, TAU);

        int[] kept = {0, 1, 2, 3, 4, 6, 7, 9};
        assertThat(result.keptNeurons()).containsExactly(kept);
        double sumAbs = 0;
        for (int a = 0; a < kept.length; a++) {
            for (int b = 0; b < kept.length; b++) {
                double direct = pearson(h, kept[a], kept[b]);
                assertThat(result.correlation(a, b)).as("R(%d,%d)", kept[a], kept[b]).isCloseTo(direct, offset(1e-9));
                if (a != b) {
                    sumAbs += Math.abs(direct);
                }
            }
        }
        assertThat(result.meanAbs()).isCloseTo(sumAbs / (kept.length * (kept.length - 1)), offset(1e-9));
        assertThat(result.blocks()).isEqualTo(2);
        assertThat(result.maxBlockSize()).isEqualTo(3);
        assertThat(Math.abs(pearson(h, 6, 9))).isBetween(0.5, 0.85); // the near-miss really is one
    }

    @Test
    void heatmapOrderKeepsEachBlockContiguous() {
        Moments moments = Moments.of(structuredSamples());
        NeuronCorrelation result = ProbeCensus.correlation(moments.hb, moments.mean, 10, TAU);

        int[] kept = result.keptNeurons();
        int[] order = result.order();
        int[] neuronAt = new int[order.length];
        for (int p = 0; p < order.length; p++) {
            neuronAt[p] = kept[order[p]];
        }
        assertThat(neuronAt).containsExactlyInAnyOrder(kept);
        assertContiguous(neuronAt, List.of(0, 1, 2));
        assertContiguous(neuronAt, List.of(3, 4));
    }

    @Test
    void independentNeuronsFormNoBlock() {
        Random random = new Random(3);
        double[][] h = new double[300][6];
        for (double[] x : h) {
            for (int i = 0; i < x.length; i++) {
                x[i] = random.nextGaussian() + i;
            }
        }
        Moments moments = Moments.of(h);
        NeuronCorrelation result = ProbeCensus.correlation(moments.hb, moments.mean, 6, TAU);
        assertThat(result.kept()).isEqualTo(6);
        assertThat(result.blocks()).isZero();
        assertThat(result.maxBlockSize()).isZero();
        assertThat(result.meanAbs()).isLessThan(0.2);
    }

    @Test
    void fewerThanTwoKeptNeuronsGiveNaNMeanAndNoBlock() {
        double[][] h = {{1, 5, 0}, {2, 5, 0}, {4, 5, 0}};
        Moments moments = Moments.of(h);
        NeuronCorrelation result = ProbeCensus.correlation(moments.hb, moments.mean, 3, TAU);
        assertThat(result.keptNeurons()).containsExactly(0);
        assertThat(result.meanAbs()).isNaN();
        assertThat(result.blocks()).isZero();
        assertThat(result.order()).containsExactly(0);
    }

    @Test
    void constantNeuronFromFloatMomentsIsDroppedDespiteRoundOff() {
        // Moments accumulated in float32, as an engine computes them: a constant neuron's E[h²] − μ² is not
        // zero but round-off, far above 1e-12 of the largest variance, and would correlate at random.
        Random random = new Random(5);
        int samples = 256;
        float[][] h = new float[samples][3];
        for (float[] x : h) {
            x[0] = 0.3f;
            x[1] = (float) random.nextGaussian();
            x[2] = (float) random.nextGaussian();
        }
        double[] hb = new double[9];
        double[] mean = new double[3];
        for (int i = 0; i < 3; i++) {
            float sum = 0;
            for (float[] x : h) {
                sum += x[i];
            }
            mean[i] = sum / samples;
            for (int j = 0; j < 3; j++) {
                float sumProducts = 0;
                for (float[] x : h) {
                    sumProducts += x[i] * x[j];
                }
                hb[i * 3 + j] = sumProducts / samples;
            }
        }
        double roundOffVariance = hb[0] - mean[0] * mean[0];
        double largestVariance = Math.max(hb[4] - mean[1] * mean[1], hb[8] - mean[2] * mean[2]);
        assertThat(Math.abs(roundOffVariance)).isGreaterThan(1e-12 * largestVariance); // the trap is real

        NeuronCorrelation result = ProbeCensus.correlation(hb, mean, 3, TAU);
        assertThat(result.keptNeurons()).containsExactly(1, 2);
    }

    @Test
    void wideLayerBlocksAreCountedAndContiguousInTheChainOrdering() {
        // 560 neurons (> 512, so order() takes the nearest-neighbour chain): 100 planted blocks of sizes
        // 2..6 scattered over random indices, each member ±(0.5..1.5)·z_block + 0.1·noise, plus 160
        // independent neurons.
        int m = 560;
        int samples = 400;
        Random random = new Random(9);
        List<Integer> indices = new ArrayList<>();
        for (int i = 0; i < m; i++) {
            indices.add(i);
        }
        Collections.shuffle(indices, random);
        List<List<Integer>> blocks = new ArrayList<>();
        int next = 0;
        for (int b = 0; b < 100; b++) {
            int size = 2 + b % 5;
            blocks.add(new ArrayList<>(indices.subList(next, next + size)));
            next += size;
        }
        int[] blockOf = new int[m];
        double[] loading = new double[m];
        Arrays.fill(blockOf, -1);
        for (int b = 0; b < blocks.size(); b++) {
            for (int i : blocks.get(b)) {
                blockOf[i] = b;
                loading[i] = (random.nextBoolean() ? 1 : -1) * (0.5 + random.nextDouble());
            }
        }
        double[][] h = new double[samples][m];
        double[] z = new double[blocks.size()];
        for (double[] x : h) {
            for (int b = 0; b < z.length; b++) {
                z[b] = random.nextGaussian();
            }
            for (int i = 0; i < m; i++) {
                x[i] = blockOf[i] >= 0
                        ? loading[i] * z[blockOf[i]] + 0.1 * random.nextGaussian()
                        : random.nextGaussian();
            }
        }
        Moments moments = Moments.of(h);

        NeuronCorrelation result = ProbeCensus.correlation(moments.hb, moments.mean, m, TAU);

        assertThat(result.kept()).isEqualTo(m);
        assertThat(result.blocks()).isEqualTo(100);
        assertThat(result.maxBlockSize()).isEqualTo(6);
        int[] order = result.order(); // kept == all, so positions are neuron indices
        assertThat(order).containsExactlyInAnyOrder(IntStream.range(0, m).toArray());
        for (List<Integer> block : blocks) {
            assertContiguous(order, block);
        }
    }

    // ---------------------------------------------------------------- helpers

    private static void assertContiguous(int[] sequence, List<Integer> members) {
        List<Integer> positions = new ArrayList<>();
        for (int p = 0; p < sequence.length; p++) {
            if (members.contains(sequence[p])) {
                positions.add(p);
            }
        }
        assertThat(positions).hasSize(members.size());
        assertThat(positions.get(positions.size() - 1) - positions.get(0))
                .as("span of %s in %s", members, Arrays.toString(sequence))
                .isEqualTo(members.size() - 1);
    }

    /** Textbook Pearson from the samples: Σ(x−x̄)(y−ȳ) / sqrt(Σ(x−x̄)² Σ(y−ȳ)²). */
    private static double pearson(double[][] h, int i, int j) {
        double meanI = 0;
        double meanJ = 0;
        for (double[] x : h) {
            meanI += x[i];
            meanJ += x[j];
        }
        meanI /= h.length;
        meanJ /= h.length;
        double sij = 0;
        double sii = 0;
        double sjj = 0;
        for (double[] x : h) {
            sij += (x[i] - meanI) * (x[j] - meanJ);
            sii += (x[i] - meanI) * (x[i] - meanI);
            sjj += (x[j] - meanJ) * (x[j] - meanJ);
        }
        return sij / Math.sqrt(sii * sjj);
    }

    /** H_b = E[h hᵀ] and μ = E[h] over the samples, as the adapters send them. */
    private static final class Moments {
        final double[] hb;
        final double[] mean;

        private Moments(double[] hb, double[] mean) {
            this.hb = hb;
            this.mean = mean;
        }

        static Moments of(double[][] h) {
            int m = h[0].length;
            double[] hb = new double[m * m];
            double[] mean = new double[m];
            for (double[] x : h) {
                for (int i = 0; i < m; i++) {
                    mean[i] += x[i] / h.length;
                    double xi = x[i] / h.length;
                    for (int j = i; j < m; j++) {
                        hb[i * m + j] += xi * x[j];
                    }
                }
            }
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < i; j++) {
                    hb[i * m + j] = hb[j * m + i];
                }
            }
            return new Moments(hb, mean);
        }
    }
}
