package dev.noether.dl4j;

import dev.noether.core.model.LayerProbe;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The probe moments against an independent computation: per-sample gradients g_b = ∂ℓ_s/∂b by central
 * finite differences of DL4J's own per-example scores (an output bias shift is a pre-activation shift), in
 * double precision, through batch norm, an activation layer and dropout at inference.
 */
class Dl4jProbeTest {
    private static final int SAMPLES = 12;

    @Test
    void momentsMatchFiniteDifferencesOfThePerSampleLoss() {
        MultiLayerNetwork net = network();
        DataSet data = classification(64, 7);
        for (int t = 0; t < 5; t++) {
            net.fit(data); // moves batch norm's running statistics away from their initial values
        }
        INDArray x = data.getFeatures().get(NDArrayIndex.interval(0, SAMPLES),
                NDArrayIndex.all()).dup();
        INDArray y = data.getLabels().get(NDArrayIndex.interval(0, SAMPLES),
                NDArrayIndex.all()).dup();
        INDArray paramsBefore = net.params().dup();
        Dl4jGraph chain = Dl4jNetworkMapper.map(net, "probe");
        List<LayerProbe> probes = Dl4jProbe.compute(chain, x, y);

        assertThat(net.params()).isEqualTo(paramsBefore);
        assertThat(probes).extracting(LayerProbe::layer).containsExactly(0, 1, 2);
        List<INDArray> activations = net.feedForward(x, false);
        int[] inputIndex = {0, 2, 5}; // fc1 sees x, fc2 the batch norm output, out the dropout output
        String[] layers = {"fc1", "fc2", "out"};
        for (int l = 0; l < 3; l++) {
            int layerIndex = net.getLayerWiseConfigurations().getConfs().stream()
                    .map(c -> c.getLayer().getLayerName()).toList().indexOf(layers[l]);
            double[][] ha = activations.get(inputIndex[l]).toDoubleMatrix();
            double[][] w = net.getLayer(layerIndex).getParam("W").toDoubleMatrix(); // nIn × nOut
            double[] b = net.getLayer(layerIndex).getParam("b").toDoubleVector();
            double[][] hb = new double[SAMPLES][b.length];
            for (int s = 0; s < SAMPLES; s++) {
                for (int i = 0; i < b.length; i++) {
                    double v = b[i];
                    for (int j = 0; j < w.length; j++) {
                        v += w[j][i] * ha[s][j];
                    }
                    hb[s][i] = v;
                }
            }
            LayerProbe p = probes.get(l);
            assertThat(p.samples()).isEqualTo(SAMPLES);
            assertClose(p.inputMoment(), secondMoment(ha), layers[l] + " H_a");
            assertClose(p.outputMoment(), secondMoment(hb), layers[l] + " H_b");
            assertClose(p.outputMean(), mean(hb), layers[l] + " E[h_b]");
            assertClose(p.outputGradientMoment(), secondMoment(finiteDifferenceGradients(net, layerIndex, x, y)),
                    layers[l] + " G_b");
        }
        // fc1 is ReLU: the active fraction counts positive pre-activations
        float[] active = probes.get(0).activeFraction();
        double[][] post = activations.get(1).toDoubleMatrix();
        for (int i = 0; i < active.length; i++) {
            int count = 0;
            for (double[] row : post) {
                count += row[i] != 0 ? 1 : 0;
            }
            assertThat(active[i]).isCloseTo((float) count / SAMPLES, within(1e-6f));
        }
    }

    /** g_b[s][i] = ∂ℓ_s/∂b_i, the per-sample loss gradient at the layer's pre-activation. */
    private static double[][] finiteDifferenceGradients(MultiLayerNetwork net, int layer, INDArray x, INDArray y) {
        INDArray b = net.getLayer(layer).getParam("b");
        int m = (int) b.length();
        double h = 1e-6;
        double[][] g = new double[SAMPLES][m];
        DataSet probe = new DataSet(x, y);
        for (int i = 0; i < m; i++) {
            double original = b.getDouble(i);
            b.putScalar(i, original + h);
            double[] up = net.scoreExamples(probe, false).toDoubleVector();
            b.putScalar(i, original - h);
            double[] down = net.scoreExamples(probe, false).toDoubleVector();
            b.putScalar(i, original);
            for (int s = 0; s < SAMPLES; s++) {
                g[s][i] = (up[s] - down[s]) / (2 * h);
            }
        }
        return g;
    }

    /**
     * A DenseLayer with identity activation followed by an ActivationLayer (ReLU): a neuron fires when the
     * activation layer's output is non-zero. Neuron 2 is biased so that it never fires; the active fractions
     * are counted here on DL4J's own forward pass.
     */
    @Test
    void activeFractionIsTakenAfterASeparateActivationLayer() {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(4)
                .dataType(DataType.DOUBLE).updater(new Sgd(0.1)).weightInit(WeightInit.XAVIER).list()
                .layer(new DenseLayer.Builder().name("fc1").nIn(5).nOut(6).activation(Activation.IDENTITY).build())
                .layer(new ActivationLayer.Builder().name("relu").activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).name("out").nIn(6).nOut(3)
                        .activation(Activation.IDENTITY).build())
                .build());
        net.init();
        net.getLayer(0).getParam("b").putScalar(2, -100.0);
        DataSet data = classification(SAMPLES, 9);
        List<LayerProbe> probes = Dl4jProbe.compute(Dl4jNetworkMapper.map(net, "act"), data.getFeatures(), data.getLabels());
        float[] active = probes.get(0).activeFraction();
        double[][] post = net.feedForward(data.getFeatures(), false).get(2).toDoubleMatrix(); // the ReLU's output
        for (int i = 0; i < active.length; i++) {
            int count = 0;
            for (double[] row : post) {
                count += row[i] != 0 ? 1 : 0;
            }
            assertThat(active[i]).as("neuron %d", i).isCloseTo((float) count / SAMPLES, within(1e-6f));
        }
        assertThat(active[2]).isZero();
    }

    private static MultiLayerNetwork network() {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(3)
                .dataType(DataType.DOUBLE).updater(new Sgd(0.1)).weightInit(WeightInit.XAVIER).biasInit(0.1).list()
                .layer(new DenseLayer.Builder().name("fc1").nIn(5).nOut(8).activation(Activation.RELU).build())
                .layer(new BatchNormalization.Builder().name("bn").nOut(8).build())
                .layer(new DenseLayer.Builder().name("fc2").nIn(8).nOut(7).activation(Activation.IDENTITY).build())
                .layer(new ActivationLayer.Builder().name("act").activation(Activation.TANH).build())
                .layer(new DropoutLayer.Builder(0.5).name("drop").build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).name("out").nIn(7).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .build());
        net.init();
        return net;
    }

    private static DataSet classification(int samples, long seed) {
        Random r = new Random(seed);
        double[][] x = new double[samples][5];
        double[][] y = new double[samples][3];
        for (int s = 0; s < samples; s++) {
            for (int j = 0; j < 5; j++) {
                x[s][j] = r.nextGaussian();
            }
            y[s][Math.floorMod((int) Math.round(x[s][0] + 2 * x[s][1]), 3)] = 1;
        }
        return new DataSet(Nd4j.createFromArray(x), Nd4j.createFromArray(y));
    }

    private static double[] secondMoment(double[][] v) {
        int d = v[0].length;
        double[] out = new double[d * d];
        for (double[] row : v) {
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    out[i * d + j] += row[i] * row[j] / v.length;
                }
            }
        }
        return out;
    }

    private static double[] mean(double[][] v) {
        double[] out = new double[v[0].length];
        for (double[] row : v) {
            for (int i = 0; i < out.length; i++) {
                out[i] += row[i] / v.length;
            }
        }
        return out;
    }

    private static void assertClose(float[] actual, double[] expected, String what) {
        assertThat(actual).as(what).hasSize(expected.length);
        double scale = 0;
        for (double e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        assertThat(scale).as(what + " is not trivially zero").isGreaterThan(1e-6);
        for (int k = 0; k < expected.length; k++) {
            assertThat((double) actual[k]).as(what + "[" + k + "]").isCloseTo(expected[k], within(1e-5 * scale));
        }
    }
}
