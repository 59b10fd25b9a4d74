package dev.noether.dl4j;

import dev.noether.core.model.LayerProbe;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The probe's backward pass through a residual ComputationGraph (conv-BN-ReLU-conv-BN + skip Add, a concat,
 * global pooling, a dense head) against finite differences of DL4J's own per-example scores, in double
 * precision: a shift of layer l's bias is a shift of its pre-activation, so (ℓ_s(b + h e_i) − ℓ_s(b − h e_i))/2h
 * = Σ_positions g_b[s, position, i]. The residual block runs on 1 × 1 feature maps, where that sum is g_b itself.
 */
class Dl4jGraphProbeTest {
    private static final int SAMPLES = 10;

    @Test
    void gradientMomentsThroughAddConcatBatchNormAndPoolingMatchFiniteDifferences() {
        ComputationGraph graph = residualGraph();
        Random r = new Random(3);
        double[][][][] x = new double[64][2][3][3];
        double[][] y = new double[64][3];
        for (int s = 0; s < 64; s++) {
            for (int c = 0; c < 2; c++) {
                for (int h = 0; h < 3; h++) {
                    for (int w = 0; w < 3; w++) {
                        x[s][c][h][w] = r.nextGaussian();
                    }
                }
            }
            y[s][Math.floorMod((int) Math.round(x[s][0][1][1] + 2 * x[s][1][0][2]), 3)] = 1;
        }
        DataSet data = new DataSet(Nd4j.createFromArray(x), Nd4j.createFromArray(y));
        for (int t = 0; t < 5; t++) {
            graph.fit(data); // moves batch norm's running statistics away from their initial values
        }
        INDArray px = Nd4j.createFromArray(x).get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, SAMPLES)).dup();
        INDArray py = Nd4j.createFromArray(y).get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, SAMPLES)).dup();
        INDArray paramsBefore = graph.params().dup();
        Dl4jGraph mapped = Dl4jNetworkMapper.map(graph, "residual");
        List<LayerProbe> probes = Dl4jProbe.compute(mapped, px, py);
        assertThat(graph.params()).isEqualTo(paramsBefore);
        assertThat(mapped.linear()).extracting(Dl4jNode::name)
                .containsExactly("stem", "convA", "convB", "side", "fc", "out");
        assertThat(probes).hasSize(6);
        for (int l = 0; l < probes.size(); l++) {
            String name = mapped.linear().get(l).name();
            assertThat(probes.get(l).samples()).as(name).isEqualTo(SAMPLES); // 1 × 1 maps: one position
            Dl4jConvProbeTest.assertClose(probes.get(l).outputGradientMoment(),
                    Dl4jConvProbeTest.secondMoment(finiteDifferenceGradients(graph, name, px, py)), name + " G_b");
        }
    }

    /**
     * stem: 3×3 conv (3×3 → 1×1); block: convA-bnA-relu-convB-bnB + stem, relu; side: 1×1 conv of the stem,
     * concatenated with the block; global average pooling; fc; out.
     */
    static ComputationGraph residualGraph() {
        ComputationGraph graph = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(8)
                .dataType(DataType.DOUBLE).updater(new Sgd(0.05)).weightInit(WeightInit.XAVIER).biasInit(0.1)
                .convolutionMode(ConvolutionMode.Same).graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.convolutional(3, 3, 2))
                .addLayer("stem", new ConvolutionLayer.Builder(3, 3).convolutionMode(ConvolutionMode.Truncate)
                        .nOut(4).activation(Activation.RELU).build(), "in")
                .addLayer("convA", new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.IDENTITY).build(), "stem")
                .addLayer("bnA", new BatchNormalization.Builder().build(), "convA")
                .addLayer("reluA", new ActivationLayer.Builder().activation(Activation.RELU).build(), "bnA")
                .addLayer("convB", new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.IDENTITY).build(), "reluA")
                .addLayer("bnB", new BatchNormalization.Builder().build(), "convB")
                .addVertex("add", new ElementWiseVertex(ElementWiseVertex.Op.Add), "bnB", "stem")
                .addLayer("reluB", new ActivationLayer.Builder().activation(Activation.RELU).build(), "add")
                .addLayer("side", new ConvolutionLayer.Builder(1, 1).nOut(3).activation(Activation.TANH).build(), "stem")
                .addVertex("concat", new MergeVertex(), "reluB", "side")
                .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "concat")
                .addLayer("fc", new DenseLayer.Builder().nOut(6).activation(Activation.RELU).build(), "pool")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "fc")
                .setOutputs("out").build());
        graph.init();
        return graph;
    }

    private static double[][] finiteDifferenceGradients(ComputationGraph graph, String layer, INDArray x, INDArray y) {
        INDArray b = graph.getLayer(layer).getParam("b");
        int m = (int) b.length();
        double h = 1e-6;
        double[][] g = new double[SAMPLES][m];
        DataSet probe = new DataSet(x, y);
        for (int i = 0; i < m; i++) {
            double original = b.getDouble(i);
            b.putScalar(i, original + h);
            double[] up = graph.scoreExamples(probe, false).toDoubleVector();
            b.putScalar(i, original - h);
            double[] down = graph.scoreExamples(probe, false).toDoubleVector();
            b.putScalar(i, original);
            for (int s = 0; s < SAMPLES; s++) {
                g[s][i] = (up[s] - down[s]) / (2 * h);
            }
        }
        return g;
    }
}
