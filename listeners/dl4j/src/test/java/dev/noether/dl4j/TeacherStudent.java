package dev.noether.dl4j;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.Random;
import java.util.function.UnaryOperator;

/** Teacher–student regression data and small DL4J MLPs for the tests: y = tanh(T x), x ~ N(0, I). */
final class TeacherStudent {
    private TeacherStudent() {}

    static DataSet data(int samples, int in, int out, long seed) {
        Random r = new Random(seed);
        float[][] t = new float[out][in];
        for (float[] row : t) {
            for (int j = 0; j < in; j++) {
                row[j] = (float) (r.nextGaussian() / Math.sqrt(in));
            }
        }
        float[][] x = new float[samples][in];
        float[][] y = new float[samples][out];
        for (int s = 0; s < samples; s++) {
            for (int j = 0; j < in; j++) {
                x[s][j] = (float) r.nextGaussian();
            }
            for (int i = 0; i < out; i++) {
                double v = 0;
                for (int j = 0; j < in; j++) {
                    v += t[i][j] * x[s][j];
                }
                y[s][i] = (float) Math.tanh(v);
            }
        }
        return new DataSet(Nd4j.createFromArray(x), Nd4j.createFromArray(y));
    }

    /** Rows [from, from + count) of the data, wrapping around. */
    static DataSet batch(DataSet all, int from, int count) {
        int n = all.numExamples();
        int start = from % n;
        if (start + count <= n) {
            return new DataSet(all.getFeatures().get(NDArrayIndex.interval(start, start + count), NDArrayIndex.all()).dup(),
                    all.getLabels().get(NDArrayIndex.interval(start, start + count), NDArrayIndex.all()).dup());
        }
        DataSet first = batch(all, start, n - start);
        DataSet second = batch(all, 0, count - (n - start));
        return DataSet.merge(java.util.List.of(first, second));
    }

    /**
     * An MLP widths[0] → ... → widths[L] with {@code hidden} activations, an identity MSE output layer, and
     * whatever {@code configure} adds (updater, regularization).
     */
    static MultiLayerNetwork mlp(int[] widths, Activation hidden, IUpdater updater, long seed,
                                 UnaryOperator<NeuralNetConfiguration.Builder> configure) {
        NeuralNetConfiguration.ListBuilder list = configure.apply(new NeuralNetConfiguration.Builder()
                .seed(seed).updater(updater).weightInit(WeightInit.XAVIER).biasInit(0.1)).list();
        int layers = widths.length - 1;
        for (int l = 0; l < layers - 1; l++) {
            list.layer(new DenseLayer.Builder().name("fc" + (l + 1)).nIn(widths[l]).nOut(widths[l + 1])
                    .activation(hidden).build());
        }
        list.layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).name("fc" + layers)
                .nIn(widths[layers - 1]).nOut(widths[layers]).activation(Activation.IDENTITY).build());
        MultiLayerNetwork net = new MultiLayerNetwork(list.build());
        net.init();
        return net;
    }
}
