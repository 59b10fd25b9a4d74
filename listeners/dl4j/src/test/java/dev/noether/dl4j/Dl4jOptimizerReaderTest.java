package dev.noether.dl4j;

import dev.noether.core.model.OptimizerSettings;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.linalg.schedule.ExponentialSchedule;
import org.nd4j.linalg.schedule.ScheduleType;

import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What is read from the layers' updaters and regularizations. That the plain-SGD translation reproduces
 * DL4J's actual update is shown on real training by {@code Dl4jChargePhysicsTest} (charge residual ≤ 1e-5).
 */
class Dl4jOptimizerReaderTest {

    @Test
    void sgdWithL2IsPlainSgdWithSeparateBiasDecay() {
        OptimizerSettings s = read(b -> b.updater(new Sgd(0.05)).l2(0.01).l2Bias(0.02), 0);
        assertThat(s.isPlainSgd()).isTrue();
        assertThat(s.learningRate()).isEqualTo(0.05);
        assertThat(s.weightDecay()).isEqualTo(0.01);
        assertThat(s.biasDecay()).isEqualTo(0.02);
    }

    @Test
    void weightDecayWithoutTheLearningRateIsDividedByIt() {
        // DL4J's builder puts the WeightDecay into the list twice and applies it twice: γ = 2c/η
        OptimizerSettings s = read(b -> b.updater(new Sgd(0.05)).weightDecay(0.002, false), 0);
        assertThat(s.isPlainSgd()).isTrue();
        assertThat(s.weightDecay()).isCloseTo(2 * 0.002 / 0.05, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(s.biasDecay()).isZero();
    }

    @Test
    void aScheduledLearningRateIsReadAtTheCurrentIteration() {
        OptimizerSettings s = read(b -> b.updater(new Sgd(new ExponentialSchedule(ScheduleType.ITERATION, 0.1, 0.5))), 3);
        assertThat(s.learningRate()).isCloseTo(0.1 * 0.125, org.assertj.core.data.Offset.offset(1e-12));
    }

    @Test
    void everythingElseIsNotPlainSgd() {
        assertThat(read(b -> b.updater(new Adam(1e-3)), 0)).hasToString("adam(η=0.001)");
        assertThat(read(b -> b.updater(new Nesterovs(0.1, 0.9)), 0)).hasToString("nesterovs(η=0.1)");
        assertThat(read(b -> b.updater(new Sgd(0.1)).l1(1e-3), 0).name()).isEqualTo("sgd-l1");
        assertThat(read(b -> b.updater(new Sgd(0.1)).gradientNormalization(GradientNormalization.ClipL2PerLayer), 0).name())
                .isEqualTo("sgd-clipped");
    }

    @Test
    void decayThatDiffersBetweenLayersIsNotPlainSgd() {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().updater(new Sgd(0.1)).list()
                .layer(new DenseLayer.Builder().nIn(3).nOut(4).l2(0.1).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(4).nOut(2).l2(0.2).build())
                .build());
        net.init();
        assertThat(Dl4jOptimizerReader.read(Dl4jNetworkMapper.map(net, "m").linear(), 0, 0).name()).isEqualTo("sgd-per-layer");
    }

    private static OptimizerSettings read(UnaryOperator<NeuralNetConfiguration.Builder> configure, int iteration) {
        MultiLayerNetwork net = new MultiLayerNetwork(configure.apply(new NeuralNetConfiguration.Builder()).list()
                .layer(new DenseLayer.Builder().nIn(3).nOut(4).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(4).nOut(2).build())
                .build());
        net.init();
        return Dl4jOptimizerReader.read(Dl4jNetworkMapper.map(net, "m").linear(), iteration, 0);
    }
}
