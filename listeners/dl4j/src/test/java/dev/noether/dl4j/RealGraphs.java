package dev.noether.dl4j;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.graph.rnn.DuplicateToTimeSeriesVertex;
import org.deeplearning4j.nn.conf.graph.rnn.LastTimeStepVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.Random;

/**
 * The shapes of graph real programs train, written here (issue 21): a residual tower with a policy head and a
 * value head (two outputs, each with its own labels and loss), and a sequence-to-sequence model (two inputs; an
 * LSTM encoder read at its last unmasked step, repeated along the decoder's time axis and concatenated with the
 * decoder input, an LSTM decoder and a per-step softmax output).
 */
final class RealGraphs {
    private RealGraphs() {}

    /**
     * A board of {@code board}² points with 3 feature planes; a stem conv-BN-ReLU of {@code channels} channels;
     * {@code blocks} residual blocks (conv-BN-ReLU-conv-BN, + skip, ReLU); a policy head (1×1 conv of 2 channels,
     * BN, ReLU, a softmax over the points and "pass") and a value head (1×1 conv, BN, ReLU, dense 16, tanh).
     */
    static ComputationGraph twoHeadTower(int board, int channels, int blocks, long seed) {
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder().seed(seed)
                .updater(new Sgd(0.02)).l2(1e-4).weightInit(WeightInit.RELU).convolutionMode(ConvolutionMode.Same)
                .graphBuilder()
                .addInputs("board")
                .setInputTypes(InputType.convolutional(board, board, 3));
        String last = convBnRelu(g, "stem", channels, 3, "board");
        for (int k = 0; k < blocks; k++) {
            String a = convBnRelu(g, "block" + k + "a", channels, 3, last);
            g.addLayer("block" + k + "b", new ConvolutionLayer.Builder(3, 3).nOut(channels)
                    .activation(Activation.IDENTITY).build(), a);
            g.addLayer("block" + k + "b_bn", new BatchNormalization.Builder().build(), "block" + k + "b");
            g.addVertex("block" + k + "add", new ElementWiseVertex(ElementWiseVertex.Op.Add), "block" + k + "b_bn", last);
            g.addLayer("block" + k + "relu", new ActivationLayer.Builder().activation(Activation.RELU).build(),
                    "block" + k + "add");
            last = "block" + k + "relu";
        }
        String policy = convBnRelu(g, "policyConv", 2, 1, last);
        g.addLayer("policy", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(board * board + 1)
                .activation(Activation.SOFTMAX).build(), policy);
        String value = convBnRelu(g, "valueConv", 1, 1, last);
        g.addLayer("valueFc", new DenseLayer.Builder().nOut(16).activation(Activation.RELU).build(), value);
        g.addLayer("value", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(1)
                .activation(Activation.TANH).build(), "valueFc");
        ComputationGraph graph = new ComputationGraph(g.setOutputs("policy", "value").build());
        graph.init();
        return graph;
    }

    private static String convBnRelu(ComputationGraphConfiguration.GraphBuilder g, String name, int channels, int k,
                                     String input) {
        g.addLayer(name, new ConvolutionLayer.Builder(k, k).nOut(channels).activation(Activation.IDENTITY).build(), input);
        g.addLayer(name + "_bn", new BatchNormalization.Builder().build(), name);
        g.addLayer(name + "_relu", new ActivationLayer.Builder().activation(Activation.RELU).build(), name + "_bn");
        return name + "_relu";
    }

    /**
     * Positions made up on the spot: random stone planes, a policy target one-hot over points and pass, and a value
     * target in [-1, 1] from the stone balance.
     */
    static MultiDataSet towerData(int samples, int board, long seed) {
        Random r = new Random(seed);
        float[][][][] x = new float[samples][3][board][board];
        float[][] policy = new float[samples][board * board + 1];
        float[][] value = new float[samples][1];
        for (int s = 0; s < samples; s++) {
            double balance = 0;
            for (int y = 0; y < board; y++) {
                for (int c = 0; c < board; c++) {
                    double u = r.nextDouble();
                    int plane = u < 0.3 ? 0 : u < 0.6 ? 1 : 2;
                    x[s][plane][y][c] = 1;
                    balance += plane == 0 ? 1 : plane == 1 ? -1 : 0;
                }
            }
            policy[s][r.nextInt(board * board + 1)] = 1;
            value[s][0] = (float) Math.tanh(balance / board);
        }
        return new MultiDataSet(new INDArray[] {Nd4j.createFromArray(x)},
                new INDArray[] {Nd4j.createFromArray(policy), Nd4j.createFromArray(value)});
    }

    /**
     * Encoder input (B, V, T_in) with a mask of each sample's length, decoder input (B, V, T_out): encoder LSTM,
     * its last unmasked step, a dense bridge, repeated over the decoder's steps, concatenated with the decoder
     * input, decoder LSTM, a per-step softmax over the V tokens.
     */
    static ComputationGraph seq2seq(int vocabulary, int hidden, long seed) {
        ComputationGraph graph = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(seed)
                .updater(new Sgd(0.05)).weightInit(WeightInit.XAVIER).graphBuilder()
                .addInputs("encoderIn", "decoderIn")
                .setInputTypes(InputType.recurrent(vocabulary), InputType.recurrent(vocabulary))
                .addLayer("encoder", new LSTM.Builder().nOut(hidden).activation(Activation.TANH).build(), "encoderIn")
                .addVertex("thought", new LastTimeStepVertex("encoderIn"), "encoder")
                .addLayer("bridge", new DenseLayer.Builder().nOut(hidden).activation(Activation.IDENTITY).build(), "thought")
                .addVertex("repeat", new DuplicateToTimeSeriesVertex("decoderIn"), "bridge")
                .addVertex("merge", new MergeVertex(), "repeat", "decoderIn")
                .addLayer("decoder", new LSTM.Builder().nOut(hidden).activation(Activation.TANH).build(), "merge")
                .addLayer("out", new RnnOutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(vocabulary)
                        .activation(Activation.SOFTMAX).build(), "decoder")
                .setOutputs("out").build());
        graph.init();
        return graph;
    }

    /**
     * Sequences to reverse: encoder one-hot tokens over {@code inSteps} steps, the first 2..inSteps of them kept
     * by the mask; the decoder reads the target shifted by one step (token 0 first) and predicts the first
     * {@code outSteps} reversed tokens.
     */
    static MultiDataSet seq2seqData(int samples, int vocabulary, int inSteps, int outSteps, long seed) {
        Random r = new Random(seed);
        float[][][] enc = new float[samples][vocabulary][inSteps];
        float[][] mask = new float[samples][inSteps];
        float[][][] dec = new float[samples][vocabulary][outSteps];
        float[][][] target = new float[samples][vocabulary][outSteps];
        for (int s = 0; s < samples; s++) {
            int length = 2 + r.nextInt(inSteps - 1);
            int[] tokens = new int[length];
            for (int t = 0; t < length; t++) {
                tokens[t] = 1 + r.nextInt(vocabulary - 1);
                enc[s][tokens[t]][t] = 1;
                mask[s][t] = 1;
            }
            for (int t = 0; t < outSteps; t++) {
                int next = t < length ? tokens[length - 1 - t] : 0;
                target[s][next][t] = 1;
                dec[s][t == 0 ? 0 : argmax(target[s], t - 1)][t] = 1;
            }
        }
        return new MultiDataSet(new INDArray[] {Nd4j.createFromArray(enc), Nd4j.createFromArray(dec)},
                new INDArray[] {Nd4j.createFromArray(target)},
                new INDArray[] {Nd4j.createFromArray(mask), null}, null);
    }

    private static int argmax(float[][] oneHot, int t) {
        for (int v = 0; v < oneHot.length; v++) {
            if (oneHot[v][t] == 1) {
                return v;
            }
        }
        return 0;
    }

    /** Rows {@code from} .. {@code from + count} of every array of {@code all} (null entries stay null). */
    static MultiDataSet rows(MultiDataSet all, int from, int count) {
        return new MultiDataSet(rows(all.getFeatures(), from, count), rows(all.getLabels(), from, count),
                rows(all.getFeaturesMaskArrays(), from, count), rows(all.getLabelsMaskArrays(), from, count));
    }

    private static INDArray[] rows(INDArray[] arrays, int from, int count) {
        if (arrays == null) {
            return null;
        }
        INDArray[] out = new INDArray[arrays.length];
        for (int i = 0; i < arrays.length; i++) {
            out[i] = arrays[i] == null ? null : arrays[i].get(org.nd4j.linalg.indexing.NDArrayIndex.interval(from, from + count)).dup();
        }
        return out;
    }

    /** Every parameter, as float bits. */
    static float[] parameters(ComputationGraph graph) {
        return graph.params().dup().castTo(DataType.FLOAT).data().asFloat();
    }
}
