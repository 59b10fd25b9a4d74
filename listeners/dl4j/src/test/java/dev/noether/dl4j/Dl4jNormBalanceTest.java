package dev.noether.dl4j;

import dev.noether.core.runtime.NoetherConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * METRICS.md §9.4: SGD noise balances the layer norms of a deep linear net; full-batch GD keeps them.
 *
 * <p>To isolate the noise effect the net starts at a minimum of the full-batch loss: the targets are its
 * own outputs plus noise orthogonal to every feature column (Xᵀε = 0), so the full-batch gradient is zero
 * and GD stays put, while each single-sample gradient is not, and SGD wanders along the valley of equal
 * loss that the rotation symmetry creates, towards balanced norms. (From a generic start the norms also
 * change by learning, which moves the coefficient of variation under GD too.)
 */
class Dl4jNormBalanceTest {
    private static final int[] WIDTHS = {6, 8, 8, 8, 8, 3};
    /** Unequal norms of the intermediate layers fc2, fc3, fc4. */
    private static final double[] SCALES = {1, 2.0, 0.5, 1.5, 1};
    private static final int STEPS = 3000;

    @Test
    void sgdNoiseBalancesTheNormsOfADeepLinearNetWhileFullBatchGdKeepsThem() {
        double[] sgd = imbalance(0.01, 1);
        double[] gd = imbalance(0.01, 128);
        assertThat(sgd[0]).isEqualTo(gd[0]).isGreaterThan(0.4);
        assertThat(sgd[1]).isLessThan(0.9 * sgd[0]);
        assertThat(gd[1]).isCloseTo(gd[0], org.assertj.core.api.Assertions.within(1e-4 * gd[0]));
    }

    /** norm.imbalance at the first and the last step. */
    private static double[] imbalance(double eta, int batch) {
        MultiLayerNetwork net = deepLinear(eta);
        INDArray x = TeacherStudent.data(128, 6, 3, 11).getFeatures();
        DataSet data = new DataSet(x, net.output(x).add(orthogonalNoise(x, 3, 2.0, 3)));
        NoetherListener listener = NoetherListener.builder().registry(new SimpleMeterRegistry()).modelName("linear")
                .config(NoetherConfig.builder().analysisEvery(1000).observeEvery(1).build()).build();
        net.addListeners(listener);
        double[] out = new double[2];
        for (int t = 0; t < STEPS; t++) {
            net.fit(TeacherStudent.batch(data, batch * t, batch));
            if (t == 0) {
                out[0] = listener.monitor().orElseThrow().value("norm.imbalance").getAsDouble();
            }
        }
        out[1] = listener.monitor().orElseThrow().value("norm.imbalance").getAsDouble();
        listener.close();
        return out;
    }

    /** Identity activations, no biases, the layers scaled to unequal norms. */
    private static MultiLayerNetwork deepLinear(double eta) {
        NeuralNetConfiguration.ListBuilder list = new NeuralNetConfiguration.Builder().seed(5).updater(new Sgd(eta))
                .weightInit(WeightInit.XAVIER).list();
        int layers = WIDTHS.length - 1;
        for (int l = 0; l < layers - 1; l++) {
            list.layer(new DenseLayer.Builder().name("fc" + (l + 1)).nIn(WIDTHS[l]).nOut(WIDTHS[l + 1])
                    .hasBias(false).activation(Activation.IDENTITY).build());
        }
        list.layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).name("fc" + layers).hasBias(false)
                .nIn(WIDTHS[layers - 1]).nOut(WIDTHS[layers]).activation(Activation.IDENTITY).build());
        MultiLayerNetwork net = new MultiLayerNetwork(list.build());
        net.init();
        for (int l = 0; l < layers; l++) {
            net.getLayer(l).getParam("W").muli(SCALES[l]);
        }
        return net;
    }

    /** Gaussian noise (samples × outputs) with every column orthogonal to every feature column: Xᵀε = 0. */
    static INDArray orthogonalNoise(INDArray features, int outputs, double sigma, long seed) {
        double[][] x = features.toDoubleMatrix();
        int n = x.length;
        int d = x[0].length;
        double[][] basis = new double[d][n];
        for (int k = 0; k < d; k++) {
            for (int s = 0; s < n; s++) {
                basis[k][s] = x[s][k];
            }
            for (int j = 0; j < k; j++) {
                subtractProjection(basis[k], basis[j]);
            }
        }
        Random r = new Random(seed);
        float[][] noise = new float[n][outputs];
        for (int i = 0; i < outputs; i++) {
            double[] e = new double[n];
            for (int s = 0; s < n; s++) {
                e[s] = sigma * r.nextGaussian();
            }
            for (double[] q : basis) {
                subtractProjection(e, q);
            }
            for (int s = 0; s < n; s++) {
                noise[s][i] = (float) e[s];
            }
        }
        return Nd4j.createFromArray(noise);
    }

    private static void subtractProjection(double[] v, double[] direction) {
        double c = dot(v, direction) / dot(direction, direction);
        for (int s = 0; s < v.length; s++) {
            v[s] -= c * direction[s];
        }
    }

    private static double dot(double[] a, double[] b) {
        double sum = 0;
        for (int s = 0; s < a.length; s++) {
            sum += a[s] * b[s];
        }
        return sum;
    }
}
