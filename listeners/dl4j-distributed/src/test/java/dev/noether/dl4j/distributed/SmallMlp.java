package dev.noether.dl4j.distributed;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

/** A small MLP (8-16-16-2, ReLU, SGD) and generated teacher data: what the data-parallel tests train. */
final class SmallMlp {
    static final int IN = 8;
    static final int OUT = 2;

    private SmallMlp() {}

    static MultiLayerNetwork network() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(42).dataType(DataType.FLOAT).updater(new Sgd(0.05)).weightInit(org.deeplearning4j.nn.weights.WeightInit.XAVIER)
                .list()
                .layer(new DenseLayer.Builder().nIn(IN).nOut(16).activation(Activation.RELU).build())
                .layer(new DenseLayer.Builder().nIn(16).nOut(16).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(16).nOut(OUT).activation(Activation.IDENTITY).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    /** {@code n} single examples of a fixed random linear teacher with tanh, from a fixed seed. */
    static List<DataSet> examples(int n) {
        Random random = new Random(7);
        float[][] teacher = new float[OUT][IN];
        for (float[] row : teacher) for (int j = 0; j < IN; j++) row[j] = (float) random.nextGaussian();
        List<DataSet> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            float[] x = new float[IN];
            for (int j = 0; j < IN; j++) x[j] = (float) random.nextGaussian();
            float[] y = new float[OUT];
            for (int k = 0; k < OUT; k++) {
                double s = 0;
                for (int j = 0; j < IN; j++) s += teacher[k][j] * x[j];
                y[k] = (float) Math.tanh(s);
            }
            out.add(new DataSet(Nd4j.create(x, 1, IN), Nd4j.create(y, 1, OUT)));
        }
        return out;
    }

    /** All examples as one batch. */
    static DataSet merged(List<DataSet> examples) {
        return DataSet.merge(examples);
    }

    /** SHA-256 of the parameters' float bits: equal hashes, bit-identical parameters. */
    static String hash(INDArray params) {
        float[] values = params.dup().data().asFloat();
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 4);
        for (float v : values) bytes.putFloat(v);
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes.array()));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
