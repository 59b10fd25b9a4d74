package dev.noether.dl4j;

import dev.noether.core.model.DenseLayer;
import dev.noether.core.model.LayerSnapshot;
import dev.noether.core.model.OptimizerSettings;
import dev.noether.core.model.StepSnapshot;
import dev.noether.core.physics.LayerMoments;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The engine's reductions ({@link EngineReductions}, ND4J ops on DL4J's arrays) against core's host reference
 * ({@link LayerMoments#of(LayerSnapshot, int, int, boolean, boolean, float[])} on the full copies of
 * {@link Dl4jStepCapture#captureArrays}), element for element: convolutions and dense layers with and without
 * bias (DL4J's dense W is (nIn, nOut), transposed by a view), raw gradient sums divided by the batch, over
 * consecutive iterations (so ‖ΔW‖² too).
 */
class Dl4jEngineReductionsTest {

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE"})
    void engineSumsEqualTheHostSumsOfFullCopiesForConvAndDenseLayersWithAndWithoutBias(DataType type) {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(21).dataType(type)
                .updater(new Sgd(0.05)).weightInit(WeightInit.XAVIER).biasInit(0.05).list()
                .layer(new ConvolutionLayer.Builder(3, 3).name("conv1").nOut(4).activation(Activation.RELU).build())
                .layer(new ConvolutionLayer.Builder(3, 3).name("conv2").nOut(3).hasBias(false)
                        .activation(Activation.RELU).build())
                .layer(new org.deeplearning4j.nn.conf.layers.DenseLayer.Builder().name("fc").nOut(12).hasBias(false)
                        .activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).name("out").nOut(10)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutionalFlat(10, 10, 1)).build());
        net.init();
        Dl4jGraph graph = Dl4jNetworkMapper.map(net, "reductions");
        List<DenseLayer> layers = graph.description().layers();
        assertThat(layers).hasSize(4);
        Dl4jStepCapture capture = new Dl4jStepCapture(graph);
        // float differences are exact in float64 on both sides; but the host copies are float, so a float64
        // network (reduced in float64 on the engine) differs by float rounding: ~1e-7 on the sums, and
        // 2^-24·|w|/|Δw| ~ 1e-5 on ‖ΔW‖²
        Reductions same = type == DataType.FLOAT ? new Reductions(1e-11, 1e-11) : new Reductions(1e-6, 1e-4);
        float[][] previous = new float[layers.size()][];
        int[] compared = {0};
        net.addListeners(new BaseTrainingListener() {
            @Override
            public void onGradientCalculation(Model model) {
                long t = graph.iteration();
                StepSnapshot engine = capture.reduced(OptimizerSettings.unknown(), t == 1);
                StepSnapshot host = Dl4jStepCapture.captureArrays(graph, OptimizerSettings.unknown());
                for (DenseLayer layer : layers) {
                    int i = layer.index();
                    LayerSnapshot e = engine.layer(i);
                    e.checkShape(layer);
                    assertThat(e.hasWeights()).isEqualTo(t == 1);
                    if (t == 1) {
                        assertThat(e.weight()).containsExactly(host.layer(i).weight());
                    }
                    LayerMoments expected = LayerMoments.of(host.layer(i), layer.outputs(), layer.inputs(), true, true,
                            previous[i]);
                    LayerMoments actual = LayerMoments.of(e.reductions(), true, true, t > 0);
                    same.assertSame(layer.name() + " iteration " + t, actual, expected);
                    assertThat(actual.hasGradients).isTrue();
                    assertThat(actual.biasSq == null).isEqualTo(i == 1 || i == 2);
                    previous[i] = host.layer(i).weight();
                }
                compared[0]++;
            }
        });
        DataSet data = GeneratedImages.of(48, 1, 10, 10, 5, true);
        for (int t = 0; t < 3; t++) {
            net.fit(GeneratedImages.batch(data, t, 16));
        }
        assertThat(compared[0]).isEqualTo(3);
    }
}
