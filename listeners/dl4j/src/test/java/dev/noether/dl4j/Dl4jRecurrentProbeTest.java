package dev.noether.dl4j;

import dev.noether.core.model.LayerProbe;
import dev.noether.core.probe.ProbeAllowance;
import dev.noether.core.probe.ProbeResult;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.conf.layers.recurrent.SimpleRnn;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The recurrent probe's moments (METRICS.md §12) against a second route written here with plain arrays: the
 * recurrence unrolled step by step for H_a = E[[x_t; h_{t−1}][x_t; h_{t−1}]ᵀ], and g_b = ∂ℓ_s/∂z_t by central finite
 * differences of the sequence's loss in a perturbed z_t, for G_b = E[g_b g_bᵀ]; samples = (sequence, step) pairs,
 * the masked step left out.
 */
class Dl4jRecurrentProbeTest {
    private static final int IN = 3;
    private static final int H = 4;
    private static final int OUT = 2;
    private static final int B = 3;
    private static final int T = 4;

    @ParameterizedTest
    @ValueSource(strings = {"lstm", "rnn"})
    void recurrentMomentsMatchAnUnrolledLoopAndFiniteDifferences(String cell) {
        Layer recurrent = cell.equals("lstm")
                ? new LSTM.Builder().name("cell").nIn(IN).nOut(H).activation(Activation.TANH).build()
                : new SimpleRnn.Builder().name("cell").nIn(IN).nOut(H).activation(Activation.TANH).build();
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(4).updater(new Sgd(0.1))
                .weightInit(WeightInit.XAVIER).list().layer(recurrent)
                .layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE).name("out").nIn(H).nOut(OUT)
                        .activation(Activation.IDENTITY).build()).build());
        net.init();
        Random r = new Random(3);
        double[][][] x = new double[B][T][IN];
        double[][][] y = new double[B][T][OUT];
        double[][] mask = new double[B][T];
        INDArray features = Nd4j.zeros(B, IN, T);
        INDArray labels = Nd4j.zeros(B, OUT, T);
        INDArray maskArray = Nd4j.zeros(B, T);
        for (int s = 0; s < B; s++) {
            for (int t = 0; t < T; t++) {
                mask[s][t] = s == 1 && t == T - 1 ? 0 : 1; // one masked (trailing) step
                maskArray.putScalar(s, t, mask[s][t]);
                for (int i = 0; i < IN; i++) {
                    x[s][t][i] = r.nextGaussian();
                    features.putScalar(new int[] {s, i, t}, x[s][t][i]);
                    x[s][t][i] = features.getDouble(s, i, t); // the float the network sees
                }
                for (int j = 0; j < OUT; j++) {
                    y[s][t][j] = labels.putScalar(new int[] {s, j, t}, r.nextGaussian()).getDouble(s, j, t);
                }
            }
        }
        Reference ref = new Reference(net, cell.equals("lstm"));

        Dl4jGraph mapped = Dl4jNetworkMapper.map(net, "rnn");
        ProbeResult result = Dl4jProbe.compute(mapped, new ProbeBatch(new INDArray[] {features}, new INDArray[] {labels},
                new INDArray[] {maskArray}, new INDArray[] {maskArray}), ProbeAllowance.unlimited(), Map.of());
        assertThat(result.gaps()).isEmpty();
        LayerProbe probe = result.layers().stream().filter(p -> p.layer() == 0).findFirst().orElseThrow();
        int n = IN + H;
        int m = ref.gates * H;
        double[] ha = new double[n * n];
        double[] gb = new double[m * m];
        int samples = 0;
        for (int s = 0; s < B; s++) {
            double[][] hs = ref.hidden(x[s]);
            for (int t = 0; t < T; t++) {
                if (mask[s][t] == 0) {
                    continue;
                }
                samples++;
                double[] a = new double[n];
                System.arraycopy(x[s][t], 0, a, 0, IN);
                System.arraycopy(hs[t], 0, a, IN, H); // h_{t−1}: hs[t] is the state before step t
                double[] g = new double[m];
                for (int k = 0; k < m; k++) {
                    double eps = 1e-4;
                    g[k] = (ref.loss(x[s], y[s], mask[s], t, k, eps) - ref.loss(x[s], y[s], mask[s], t, k, -eps)) / (2 * eps);
                }
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < n; j++) {
                        ha[i * n + j] += a[i] * a[j];
                    }
                }
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < m; j++) {
                        gb[i * m + j] += g[i] * g[j];
                    }
                }
            }
        }
        assertThat(probe.samples()).isEqualTo(samples).isEqualTo(B * T - 1);
        assertClose(probe.inputMoment(), probe.inputScale(), ha, samples, "H_a");
        assertClose(probe.outputGradientMoment(), probe.gradientScale(), gb, samples, "G_b");
    }

    /**
     * The probe's plan counts a recurrent layer over every step of its sequences (W = [W_x W_h] over B·T rows): long
     * sequences in a short allowance give up sequences, where a plan that counted the LSTM as a dense layer over B
     * rows (or not at all) would run the whole pass, some twenty times over the allowance here.
     */
    @org.junit.jupiter.api.Test
    void aProbeOverLongSequencesGivesUpSequencesToFitItsAllowance() {
        int steps = 200;
        int sequences = 32;
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(4).updater(new Sgd(0.1))
                .weightInit(WeightInit.XAVIER).list()
                .layer(new LSTM.Builder().name("cell").nIn(IN).nOut(32).activation(Activation.TANH).build())
                .layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE).name("out").nIn(32).nOut(OUT)
                        .activation(Activation.IDENTITY).build()).build());
        net.init();
        org.nd4j.linalg.dataset.DataSet data = SequenceTask.data(sequences, IN, steps, 5);
        ProbeBatch batch = new ProbeBatch(new INDArray[] {data.getFeatures()}, new INDArray[] {data.getLabels()},
                new INDArray[] {data.getFeaturesMaskArray()}, new INDArray[] {data.getLabelsMaskArray()});
        Dl4jGraph mapped = Dl4jNetworkMapper.map(net, "long");
        double throughput = 1e9;
        // 20 ms at 1 GMAC/s; the whole pass is 3·32·200·128·35 multiply-adds for the LSTM's products alone (86 M)
        ProbeAllowance allowance = new ProbeAllowance(java.time.Duration.ofMillis(20), throughput, System.nanoTime(),
                java.time.Duration.ofHours(1));
        assertThat(Dl4jProbe.workload(mapped, sequences, steps, Map.of()).cost(sequences, 1024))
                .isGreaterThan(3.0 * sequences * steps * 128 * 35);

        ProbeResult result = Dl4jProbe.compute(mapped, batch, allowance, Map.of());

        assertThat(result.plan().status()).isEqualTo(dev.noether.core.probe.ProbePlan.Status.REDUCED);
        assertThat(result.plan().samples()).isBetween(ProbeAllowance.MIN_SAMPLES, sequences - 1);
        assertThat(result.plan().multiplyAdds()).isLessThanOrEqualTo(0.020 * throughput);
        assertThat(result.gaps()).isEmpty();
        LayerProbe lstm = result.layers().stream().filter(p -> p.layer() == 0).findFirst().orElseThrow();
        // its (sequence, step) rows: at least half of each kept sequence's steps, at most the plan's rows
        assertThat(lstm.samples()).isBetween(Math.min(result.plan().maxRows(), result.plan().samples() * steps / 2),
                result.plan().maxRows());
        assertThat(lstm.outputGradientMoment()).isNotNull();
    }

    private static void assertClose(float[] actual, double scale, double[] sum, int samples, String what) {
        double max = 0;
        for (double v : sum) {
            max = Math.max(max, Math.abs(v / samples));
        }
        assertThat(max).as(what + " is not trivially zero").isGreaterThan(1e-6);
        for (int k = 0; k < sum.length; k++) {
            assertThat(actual[k] * scale * scale).as(what + "[" + k + "]").isCloseTo(sum[k] / samples, within(1e-4 * max));
        }
    }

    /** The network in double precision with plain arrays, written out step by step. */
    private static final class Reference {
        final boolean lstm;
        final int gates;
        final double[][] w;   // (IN, gates·H), DL4J's layout
        final double[][] rw;  // (H, gates·H)
        final double[] b;
        final double[][] wo;  // (H, OUT)
        final double[] bo;

        Reference(MultiLayerNetwork net, boolean lstm) {
            this.lstm = lstm;
            this.gates = lstm ? 4 : 1;
            w = net.getLayer(0).getParam("W").castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).toDoubleMatrix();
            rw = net.getLayer(0).getParam("RW").castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).toDoubleMatrix();
            b = net.getLayer(0).getParam("b").castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).toDoubleVector();
            wo = net.getLayer(1).getParam("W").castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).toDoubleMatrix();
            bo = net.getLayer(1).getParam("b").castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).toDoubleVector();
        }

        /** The states h_{t−1} before each step t (row t), h_{−1} = 0. */
        double[][] hidden(double[][] xs) {
            double[][] before = new double[T][];
            run(xs, -1, -1, 0, before, null);
            return before;
        }

        /** The sequence's loss Σ_t mask_t · mean_j (o_tj − y_tj)² with z_{at}[k] shifted by {@code delta}. */
        double loss(double[][] xs, double[][] ys, double[] mask, int at, int k, double delta) {
            double[][] out = new double[T][];
            run(xs, at, k, delta, new double[T][], out);
            double loss = 0;
            for (int t = 0; t < T; t++) {
                double l = 0;
                for (int j = 0; j < OUT; j++) {
                    double d = out[t][j] - ys[t][j];
                    l += d * d;
                }
                loss += mask[t] * l / OUT;
            }
            return loss;
        }

        private void run(double[][] xs, int at, int k, double delta, double[][] before, double[][] out) {
            double[] h = new double[H];
            double[] c = new double[H];
            for (int t = 0; t < T; t++) {
                before[t] = h.clone();
                double[] z = new double[gates * H];
                for (int q = 0; q < z.length; q++) {
                    double v = b[q];
                    for (int i = 0; i < IN; i++) {
                        v += xs[t][i] * w[i][q];
                    }
                    for (int i = 0; i < H; i++) {
                        v += h[i] * rw[i][q];
                    }
                    z[q] = v + (t == at && q == k ? delta : 0);
                }
                double[] next = new double[H];
                for (int u = 0; u < H; u++) {
                    if (lstm) { // DL4J's blocks: [block input, forget, output, input]
                        double a = Math.tanh(z[u]);
                        double f = sigmoid(z[H + u]);
                        double o = sigmoid(z[2 * H + u]);
                        double i = sigmoid(z[3 * H + u]);
                        c[u] = f * c[u] + i * a;
                        next[u] = o * Math.tanh(c[u]);
                    } else {
                        next[u] = Math.tanh(z[u]);
                    }
                }
                h = next;
                if (out != null) {
                    out[t] = new double[OUT];
                    for (int j = 0; j < OUT; j++) {
                        double v = bo[j];
                        for (int i = 0; i < H; i++) {
                            v += h[i] * wo[i][j];
                        }
                        out[t][j] = v;
                    }
                }
            }
        }

        private static double sigmoid(double v) {
            return 1 / (1 + Math.exp(-v));
        }
    }
}
