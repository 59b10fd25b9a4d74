package dev.noether.dl4j;

import dev.noether.core.model.LayerSnapshot;
import dev.noether.core.model.OptimizerSettings;
import dev.noether.core.model.StepSnapshot;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * θ(t) and ĝ(t) as handed to core, against element-wise reads of DL4J's arrays: W transposed to out × in,
 * gradients divided by the batch size, taken before the update.
 */
class Dl4jStepCaptureTest {

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE"})
    void snapshotIsTheTransposedWeightsAndTheBatchMeanGradientBeforeTheUpdate(DataType type) {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(4).dataType(type)
                .updater(new Sgd(0.1)).weightInit(WeightInit.XAVIER).biasInit(0.1).list()
                .layer(new DenseLayer.Builder().name("a").nIn(5).nOut(7).activation(Activation.RELU).build())
                .layer(new DenseLayer.Builder().name("b").nIn(7).nOut(4).hasBias(false).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).name("c").nIn(4).nOut(2)
                        .activation(Activation.IDENTITY).build())
                .build());
        net.init();
        Dl4jGraph chain = Dl4jNetworkMapper.map(net, "capture");
        List<StepSnapshot> snapshots = new ArrayList<>();
        List<double[][][]> expected = new ArrayList<>();
        net.addListeners(new BaseTrainingListener() {
            @Override
            public void onGradientCalculation(Model model) {
                snapshots.add(Dl4jStepCapture.captureArrays(chain, OptimizerSettings.unknown()));
                double[][][] layers = new double[3][][];
                for (int l = 0; l < 3; l++) {
                    INDArray w = net.getLayer(l).getParam("W");
                    INDArray g = net.gradient().getGradientFor(l + "_W");
                    layers[l] = new double[][] {transposed(w, 1), transposed(g, 9)};
                }
                expected.add(layers);
            }
        });
        DataSet data = TeacherStudent.data(9, 5, 2, 8);
        net.fit(data);
        net.fit(data);

        assertThat(snapshots).hasSize(2);
        StepSnapshot s = snapshots.get(1);
        assertThat(s.step()).isEqualTo(1);
        assertThat(s.loss()).isEqualTo(net.score());
        for (int l = 0; l < 3; l++) {
            LayerSnapshot layer = s.layer(l);
            assertThat(toDouble(layer.weight())).containsExactly(expected.get(1)[l][0], org.assertj.core.data.Offset.offset(1e-6));
            // DL4J's batch sum, with the 1/B that makes it the batch-mean gradient core sums with
            assertThat(layer.gradientScale()).isEqualTo(1.0 / 9);
            double[] mean = toDouble(layer.weightGradient());
            for (int k = 0; k < mean.length; k++) {
                mean[k] *= layer.gradientScale();
            }
            assertThat(mean).containsExactly(expected.get(1)[l][1], org.assertj.core.data.Offset.offset(1e-6));
        }
        assertThat(s.layer(1).bias()).isNull();
        assertThat(s.layer(0).bias()).hasSize(7);
        assertThat(s.layer(2).biasGradient()).hasSize(2);
    }

    /** Row-major (out × in) copy of DL4J's (in × out) matrix, divided by {@code divisor}. */
    private static double[] transposed(INDArray a, double divisor) {
        int in = (int) a.size(0);
        int out = (int) a.size(1);
        double[] t = new double[in * out];
        for (int i = 0; i < out; i++) {
            for (int j = 0; j < in; j++) {
                t[i * in + j] = (float) (a.getDouble(j, i) / divisor);
            }
        }
        return t;
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }
}
