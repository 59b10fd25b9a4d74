package dev.noether.core.physics;

import dev.noether.core.linalg.LinearAlgebra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

import java.util.Random;
import org.junit.jupiter.api.Test;

class NeuronCensusTest {

    private static final double ABS = NeuronCensus.DEFAULT_ABS_TOL;
    private static final double REL = NeuronCensus.DEFAULT_REL_TOL;
    private static final double TAU = NeuronCensus.DEFAULT_COS_THRESHOLD;

    // ---------------------------------------------------------------- dead

    @Test
    void deadCountsZeroedTinyAndHalfZeroNeuronsAgainstHandProducts() {
        // Products ‖w_i‖·‖u_i‖ by hand: 15, 15, 0, 0.004, 0, 5, 10, 12, 0.01.
        // Sorted: 0, 0, 0.004, 0.01, 5, 10, 12, 15, 15 -> median 5, relative floor 1e-3 * 5 = 0.005.
        float[][] w = {
            {1, 2, 2}, {2, 1, 2}, {0, 0, 0}, {0.004f, 0, 0}, {0, 0, 0},
            {0, 3, 4}, {2, 0, 0}, {0, 0, 3}, {0.01f, 0, 0}};
        float[][] u = {
            {3, 4}, {4, -3}, {0, 0}, {0, 1}, {3, 4},
            {1, 0}, {3, 4}, {4, 0}, {0, 1}};
        int m = 9;
        float[] wl = rows(w);
        float[] wNext = columns(u, 2);

        boolean[] mask = NeuronCensus.deadMask(wl, null, m, 3, wNext, 2, ABS, REL);

        // 2: w = u = 0; 3: 0.004 < 0.005 (relative); 4: w = 0 only, product 0. 8: 0.01 ≥ 0.005, alive.
        assertThat(mask).containsExactly(false, false, true, true, true, false, false, false, false);
        assertThat(NeuronCensus.dead(wl, null, m, 3, wNext, 2, ABS, REL)).isEqualTo(3);
    }

    @Test
    void absoluteToleranceAppliesWhenEveryNeuronIsTiny() {
        // All products 1e-3 * 1e-4 = 1e-7 ≤ 1e-6 -> all dead, though none is small relative to the median.
        float[] wl = {1e-3f, 0, 0, 1e-3f};
        float[] wNext = {1e-4f, 1e-4f};
        assertThat(NeuronCensus.dead(wl, null, 2, 2, wNext, 1, ABS, REL)).isEqualTo(2);
        // Products 1e-3 * 2e-3 = 2e-6 > 1e-6 -> alive.
        float[] wNextLarger = {2e-3f, 2e-3f};
        assertThat(NeuronCensus.dead(wl, null, 2, 2, wNextLarger, 1, ABS, REL)).isZero();
    }

    @Test
    void biasDoesNotRescueANeuronWithZeroIncomingWeights() {
        float[] wl = {0, 0, 1, 1};
        float[] bias = {5, 5};
        float[] wNext = {1, 1};
        assertThat(NeuronCensus.deadMask(wl, bias, 2, 2, wNext, 1, ABS, REL)).containsExactly(true, false);
    }

    @Test
    void medianOfEvenCountIsMeanOfMiddlePair() {
        // Products 1, 2, 3000, 5000 -> median 1501, floor 1.501: neuron 0 (1) dead, neuron 1 (2) alive.
        // (Lower middle 2 would make the floor 0.002 and kill nobody; upper middle 3000 would kill both.)
        float[] wl = {1, 2, 3000, 5000}; // n = 1
        float[] wNext = {1, 1, 1, 1};    // k = 1
        assertThat(NeuronCensus.deadMask(wl, null, 4, 1, wNext, 1, ABS, REL))
                .containsExactly(true, false, false, false);
    }

    @Test
    void rejectsMismatchedDimensions() {
        assertThatThrownBy(() -> NeuronCensus.dead(new float[5], null, 2, 3, new float[2], 1, ABS, REL))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> NeuronCensus.dead(new float[6], new float[3], 2, 3, new float[2], 1, ABS, REL))
                .isInstanceOf(IllegalArgumentException.class);
    }

    // ---------------------------------------------------------------- distinct

    @Test
    void exactAndPositivelyScaledCopiesFormOneCluster() {
        Layer layer = Layer.random(12, 64, 32, 1);
        layer.copyNeuron(1, 3, 1f, 1f);
        layer.copyNeuron(1, 5, 2f, 3f); // 2·w_1, 3·u_1: same neuron up to rescaling

        assertThat(layer.distinct(null)).isEqualTo(10);
    }

    @Test
    void negatedCopyIsADifferentNeuron() {
        Layer layer = Layer.random(12, 64, 32, 2);
        layer.copyNeuron(1, 3, -1f, -1f);
        assertThat(layer.distinct(null)).isEqualTo(12);
    }

    @Test
    void nearDuplicateJoinsAboveThresholdOnly() {
        Layer joined = Layer.random(10, 64, 32, 3);
        joined.tiltIncoming(2, 7, 0.995, 11);
        joined.copyOutgoing(2, 7);
        assertThat(joined.cosIncoming(2, 7)).isCloseTo(0.995, offset(1e-6));
        assertThat(joined.distinct(null)).isEqualTo(9);

        Layer apart = Layer.random(10, 64, 32, 3);
        apart.tiltIncoming(2, 7, 0.98, 11);
        apart.copyOutgoing(2, 7);
        assertThat(apart.cosIncoming(2, 7)).isCloseTo(0.98, offset(1e-6));
        assertThat(apart.distinct(null)).isEqualTo(10);
    }

    @Test
    void bothDirectionsMustAgree() {
        Layer layer = Layer.random(10, 64, 32, 4);
        layer.copyIncoming(2, 7); // identical w ...
        layer.tiltOutgoing(2, 7, 0.98, 12); // ... but u only at cos 0.98
        assertThat(layer.distinct(null)).isEqualTo(10);
        layer.tiltOutgoing(2, 7, 0.995, 12);
        assertThat(layer.distinct(null)).isEqualTo(9);
    }

    @Test
    void chainsJoinTransitively() {
        // w_a, w_b, w_c in one plane, consecutive cosines 0.995, so cos(w_a, w_c) = 2·0.995² − 1 ≈ 0.980:
        // a–c is not a direct link, yet all three are one cluster through b.
        int n = 64;
        int k = 32;
        Layer layer = Layer.random(8, n, k, 5);
        double theta = Math.acos(0.995);
        double[] e1 = new double[n];
        double[] e2 = new double[n];
        e1[0] = 1;
        e2[1] = 1;
        for (int s = 0; s < 3; s++) {
            int neuron = 2 + s; // neurons 2, 3, 4
            for (int j = 0; j < n; j++) {
                layer.wl[neuron * n + j] = (float) (Math.cos(s * theta) * e1[j] + Math.sin(s * theta) * e2[j]);
            }
            layer.copyOutgoing(2, neuron);
        }
        assertThat(layer.cosIncoming(2, 4)).isLessThan(TAU);
        assertThat(layer.distinct(null)).isEqualTo(6);
    }

    @Test
    void deadNeuronsAreExcluded() {
        Layer layer = Layer.random(12, 64, 32, 6);
        layer.copyNeuron(1, 3, 1f, 1f);
        boolean[] dead = new boolean[12];
        dead[0] = true; // a unique neuron: one cluster fewer
        dead[3] = true; // a copy of live neuron 1: its cluster remains
        assertThat(layer.distinct(null)).isEqualTo(11);
        assertThat(layer.distinct(dead)).isEqualTo(10);
    }

    @Test
    void zeroedNeuronsFoundDeadDoNotFormAClusterOfTheirOwn() {
        Layer layer = Layer.random(12, 64, 32, 7);
        layer.zero(4);
        layer.zero(9);
        boolean[] dead = NeuronCensus.deadMask(layer.wl, null, 12, 64, layer.wNext, 32, ABS, REL);
        assertThat(layer.distinct(dead)).isEqualTo(10);
        // Without the mask the two zero neurons have no direction and stay single clusters each.
        assertThat(layer.distinct(null)).isEqualTo(12);
    }

    @Test
    void plantedPrototypesAreRecoveredAcrossTiles() {
        // 300 neurons of 200 inputs (a tile holds 163 rows, so pairs cross tiles and hit the 4-wide remainder),
        // each a positive multiple of one of 97 random prototypes plus a perturbation of relative size 1e-3.
        int m = 300;
        int n = 200;
        int k = 50;
        int prototypes = 97;
        Random random = new Random(8);
        double[][] protoW = gaussian(random, prototypes, n);
        double[][] protoU = gaussian(random, prototypes, k);
        float[] wl = new float[m * n];
        float[] wNext = new float[k * m];
        for (int i = 0; i < m; i++) {
            int p = i < prototypes ? i : random.nextInt(prototypes); // every prototype used at least once
            double scaleW = 0.5 + random.nextDouble();
            double scaleU = 0.5 + random.nextDouble();
            for (int j = 0; j < n; j++) {
                wl[i * n + j] = (float) (scaleW * (protoW[p][j] + 1e-3 * random.nextGaussian()));
            }
            for (int r = 0; r < k; r++) {
                wNext[r * m + i] = (float) (scaleU * (protoU[p][r] + 1e-3 * random.nextGaussian()));
            }
        }
        assertThat(DistinctNeurons.count(wl, m, n, wNext, k, null, TAU, LinearAlgebra.preferred())).isEqualTo(prototypes);
    }

    // ---------------------------------------------------------------- helpers

    private static float[] rows(float[][] w) {
        int n = w[0].length;
        float[] out = new float[w.length * n];
        for (int i = 0; i < w.length; i++) {
            System.arraycopy(w[i], 0, out, i * n, n);
        }
        return out;
    }

    /** W_{l+1} (k×m) whose column i is u[i]. */
    private static float[] columns(float[][] u, int k) {
        int m = u.length;
        float[] out = new float[k * m];
        for (int i = 0; i < m; i++) {
            for (int r = 0; r < k; r++) {
                out[r * m + i] = u[i][r];
            }
        }
        return out;
    }

    private static double[][] gaussian(Random random, int rows, int cols) {
        double[][] out = new double[rows][cols];
        for (double[] row : out) {
            for (int j = 0; j < cols; j++) {
                row[j] = random.nextGaussian();
            }
        }
        return out;
    }

    /** A random layer pair whose neurons' directions are edited in place. */
    private static final class Layer {
        final int m;
        final int n;
        final int k;
        final float[] wl;
        final float[] wNext;

        private Layer(int m, int n, int k, float[] wl, float[] wNext) {
            this.m = m;
            this.n = n;
            this.k = k;
            this.wl = wl;
            this.wNext = wNext;
        }

        static Layer random(int m, int n, int k, long seed) {
            Random random = new Random(seed);
            float[] wl = new float[m * n];
            float[] wNext = new float[k * m];
            for (int i = 0; i < wl.length; i++) {
                wl[i] = (float) random.nextGaussian();
            }
            for (int i = 0; i < wNext.length; i++) {
                wNext[i] = (float) random.nextGaussian();
            }
            return new Layer(m, n, k, wl, wNext);
        }

        int distinct(boolean[] dead) {
            return DistinctNeurons.count(wl, m, n, wNext, k, dead, TAU, LinearAlgebra.preferred());
        }

        void copyNeuron(int from, int to, float scaleW, float scaleU) {
            for (int j = 0; j < n; j++) {
                wl[to * n + j] = scaleW * wl[from * n + j];
            }
            for (int r = 0; r < k; r++) {
                wNext[r * m + to] = scaleU * wNext[r * m + from];
            }
        }

        void copyIncoming(int from, int to) {
            for (int j = 0; j < n; j++) {
                wl[to * n + j] = wl[from * n + j];
            }
        }

        void copyOutgoing(int from, int to) {
            for (int r = 0; r < k; r++) {
                wNext[r * m + to] = wNext[r * m + from];
            }
        }

        void zero(int neuron) {
            copyNeuron(neuron, neuron, 0f, 0f);
        }

        /** Sets w_to = cos·ŵ_from + sin·e with e ⟂ w_from a random unit vector: cos(w_to, w_from) = cos. */
        void tiltIncoming(int from, int to, double cos, long seed) {
            float[] row = tilted(incoming(from), cos, seed);
            System.arraycopy(row, 0, wl, to * n, n);
        }

        void tiltOutgoing(int from, int to, double cos, long seed) {
            float[] column = tilted(outgoing(from), cos, seed);
            for (int r = 0; r < k; r++) {
                wNext[r * m + to] = column[r];
            }
        }

        double cosIncoming(int a, int b) {
            return cosine(incoming(a), incoming(b));
        }

        private double[] incoming(int i) {
            double[] v = new double[n];
            for (int j = 0; j < n; j++) {
                v[j] = wl[i * n + j];
            }
            return v;
        }

        private double[] outgoing(int i) {
            double[] v = new double[k];
            for (int r = 0; r < k; r++) {
                v[r] = wNext[r * m + i];
            }
            return v;
        }

        private static float[] tilted(double[] base, double cos, long seed) {
            int len = base.length;
            double[] unit = scaled(base, 1 / Math.sqrt(dotProduct(base, base)));
            Random random = new Random(seed);
            double[] e = new double[len];
            for (int j = 0; j < len; j++) {
                e[j] = random.nextGaussian();
            }
            double along = dotProduct(e, unit);
            for (int j = 0; j < len; j++) {
                e[j] -= along * unit[j];
            }
            e = scaled(e, 1 / Math.sqrt(dotProduct(e, e)));
            double sin = Math.sqrt(1 - cos * cos);
            float[] out = new float[len];
            for (int j = 0; j < len; j++) {
                out[j] = (float) (1.7 * (cos * unit[j] + sin * e[j])); // 1.7: the norm must not matter
            }
            return out;
        }

        private static double cosine(double[] a, double[] b) {
            return dotProduct(a, b) / Math.sqrt(dotProduct(a, a) * dotProduct(b, b));
        }

        private static double dotProduct(double[] a, double[] b) {
            double s = 0;
            for (int j = 0; j < a.length; j++) {
                s += a[j] * b[j];
            }
            return s;
        }

        private static double[] scaled(double[] v, double c) {
            double[] out = new double[v.length];
            for (int j = 0; j < v.length; j++) {
                out[j] = c * v[j];
            }
            return out;
        }
    }
}
