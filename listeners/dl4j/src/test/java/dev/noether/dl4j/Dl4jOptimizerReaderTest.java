package dev.noether.dl4j;

import dev.noether.core.model.OptimizerSettings;
import dev.noether.core.model.OptimizerSettings.Decay;
import dev.noether.core.model.OptimizerSettings.Kind;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.constraint.MaxNormConstraint;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.AMSGrad;
import org.nd4j.linalg.learning.config.AdaBelief;
import org.nd4j.linalg.learning.config.AdaDelta;
import org.nd4j.linalg.learning.config.AdaGrad;
import org.nd4j.linalg.learning.config.AdaMax;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.Nadam;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.config.RmsProp;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.linalg.schedule.ExponentialSchedule;
import org.nd4j.linalg.schedule.MapSchedule;
import org.nd4j.linalg.schedule.ScheduleType;

import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What is read from the layers' updaters and regularizations, for every updater and regularization DL4J has. That
 * the translation reproduces DL4J's actual update is shown on real training by {@code Dl4jOptimizerPhysicsTest}
 * (charge residual ≤ 1e-5 under Sgd and Nesterovs with every decay) and {@code Dl4jChargePhysicsTest}.
 */
class Dl4jOptimizerReaderTest {
    private static final double NAN = Double.NaN;

    /**
     * One configuration and what the reader must make of it at iteration 3.
     *
     * @param weights the weights' decay; the biases get none unless {@code biases} says
     */
    record Row(String what, UnaryOperator<NeuralNetConfiguration.Builder> configure, Kind kind, String name,
               double eta, double mu, double beta1, double beta2, double epsilon, Decay weights, Decay biases,
               String breaks) {
        @Override
        public String toString() {
            return what;
        }
    }

    static Stream<Row> configurations() {
        double lr = 0.05;
        return Stream.of(
                new Row("sgd", b -> b.updater(new Sgd(lr)), Kind.SGD, "sgd", lr, 0, NAN, NAN, NAN, Decay.NONE, Decay.NONE, ""),
                new Row("sgd, l2 and l2Bias", b -> b.updater(new Sgd(lr)).l2(0.01).l2Bias(0.02),
                        Kind.SGD, "sgd", lr, 0, NAN, NAN, NAN, Decay.l2(0.01), Decay.l2(0.02), ""),
                // DL4J's builder puts a WeightDecay (and a bias one) into the list twice and applies it twice: 2c (2ηc with applyLR)
                new Row("sgd, weightDecay with the learning rate", b -> b.updater(new Sgd(lr)).weightDecay(0.01, true)
                        .weightDecayBias(0.02, true), Kind.SGD, "sgd", lr, 0, NAN, NAN, NAN,
                        new Decay(0, 2 * 0.01 * lr), new Decay(0, 2 * 0.02 * lr), ""),
                new Row("sgd, weightDecay without it", b -> b.updater(new Sgd(lr)).weightDecay(0.002, false),
                        Kind.SGD, "sgd", lr, 0, NAN, NAN, NAN, new Decay(0, 2 * 0.002), Decay.NONE, ""),
                new Row("nesterovs", b -> b.updater(new Nesterovs(0.1, 0.9)), Kind.NESTEROV, "nesterov", 0.1, 0.9,
                        NAN, NAN, NAN, Decay.NONE, Decay.NONE, ""),
                new Row("nesterovs, l2 and weightDecay", b -> b.updater(new Nesterovs(0.1, 0.9)).l2(1e-3).weightDecayBias(1e-4, false),
                        Kind.NESTEROV, "nesterov", 0.1, 0.9, NAN, NAN, NAN, Decay.l2(1e-3), new Decay(0, 2 * 1e-4), ""),
                new Row("nesterovs, scheduled momentum", b -> b.updater(new Nesterovs(0.1,
                        new MapSchedule(ScheduleType.ITERATION, Map.of(0, 0.5, 3, 0.95)))),
                        Kind.NESTEROV, "nesterov", 0.1, 0.95, NAN, NAN, NAN, Decay.NONE, Decay.NONE, ""),
                new Row("adam", b -> b.updater(new Adam(1e-3)), Kind.ADAM, "adam", 1e-3, 0, 0.9, 0.999, 1e-8,
                        Decay.NONE, Decay.NONE, ""),
                new Row("adam with l2", b -> b.updater(new Adam(1e-3, 0.8, 0.99, 1e-6)).l2(1e-4), Kind.ADAM, "adam", 1e-3, 0,
                        0.8, 0.99, 1e-6, Decay.l2(1e-4), Decay.NONE, ""),
                new Row("adamw: adam with weightDecay", b -> b.updater(new Adam(1e-3)).weightDecay(0.01, true),
                        Kind.ADAMW, "adamw", 1e-3, 0, 0.9, 0.999, 1e-8, new Decay(0, 2 * 0.01 * 1e-3), Decay.NONE, ""),
                new Row("rmsprop", b -> b.updater(new RmsProp(0.01)).l2(1e-4), Kind.RMSPROP, "rmsprop", 0.01, 0, NAN,
                        RmsProp.DEFAULT_RMSPROP_RMSDECAY, RmsProp.DEFAULT_RMSPROP_EPSILON, Decay.l2(1e-4), Decay.NONE, ""),
                new Row("adagrad", b -> b.updater(new AdaGrad(0.01)), Kind.ADAGRAD, "adagrad", 0.01, 0, NAN, NAN,
                        AdaGrad.DEFAULT_ADAGRAD_EPSILON, Decay.NONE, Decay.NONE, ""),
                new Row("adadelta", b -> b.updater(new AdaDelta()), Kind.OTHER, "adadelta", NAN, 0, NAN, NAN, NAN,
                        Decay.NONE, Decay.NONE, ""),
                new Row("adamax", b -> b.updater(new AdaMax(1e-3)), Kind.OTHER, "adamax", 1e-3, 0, NAN, NAN, NAN,
                        Decay.NONE, Decay.NONE, ""),
                new Row("nadam", b -> b.updater(new Nadam(1e-3)), Kind.OTHER, "nadam", 1e-3, 0, NAN, NAN, NAN,
                        Decay.NONE, Decay.NONE, ""),
                new Row("amsgrad", b -> b.updater(new AMSGrad(1e-3)), Kind.OTHER, "amsgrad", 1e-3, 0, NAN, NAN, NAN,
                        Decay.NONE, Decay.NONE, ""),
                new Row("adabelief", b -> b.updater(new AdaBelief(1e-3)), Kind.OTHER, "adabelief", 1e-3, 0, NAN, NAN, NAN,
                        Decay.NONE, Decay.NONE, ""),
                new Row("noop", b -> b.updater(new NoOp()), Kind.OTHER, "noop", NAN, 0, NAN, NAN, NAN,
                        Decay.NONE, Decay.NONE, ""),
                new Row("a scheduled learning rate", b -> b.updater(new Sgd(new ExponentialSchedule(ScheduleType.ITERATION, 0.1, 0.5))),
                        Kind.SGD, "sgd", 0.1 * 0.125, 0, NAN, NAN, NAN, Decay.NONE, Decay.NONE, ""),
                new Row("l1", b -> b.updater(new Sgd(lr)).l1(1e-3), Kind.SGD, "sgd", lr, 0, NAN, NAN, NAN,
                        Decay.NONE, Decay.NONE, "l1"),
                new Row("clipped per layer", b -> b.updater(new Sgd(lr)).gradientNormalization(GradientNormalization.ClipL2PerLayer),
                        Kind.SGD, "sgd", lr, 0, NAN, NAN, NAN, Decay.NONE, Decay.NONE, "gradient normalization ClipL2PerLayer"),
                new Row("renormalized, adam", b -> b.updater(new Adam(1e-3)).gradientNormalization(GradientNormalization.RenormalizeL2PerLayer),
                        Kind.ADAM, "adam", 1e-3, 0, 0.9, 0.999, 1e-8, Decay.NONE, Decay.NONE,
                        "gradient normalization RenormalizeL2PerLayer"),
                new Row("clipped element-wise", b -> b.updater(new Sgd(lr))
                        .gradientNormalization(GradientNormalization.ClipElementWiseAbsoluteValue).gradientNormalizationThreshold(1),
                        Kind.SGD, "sgd", lr, 0, NAN, NAN, NAN, Decay.NONE, Decay.NONE,
                        "gradient normalization ClipElementWiseAbsoluteValue"),
                new Row("constrained", b -> b.updater(new Sgd(lr)).constrainWeights(new MaxNormConstraint(2, 1)),
                        Kind.SGD, "sgd", lr, 0, NAN, NAN, NAN, Decay.NONE, Decay.NONE, "constraints"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configurations")
    void readsEveryUpdaterAndRegularizationDl4jHas(Row row) {
        OptimizerSettings s = read(row.configure, 3);
        assertThat(s.kind()).isEqualTo(row.kind);
        assertThat(s.name()).isEqualTo(row.name);
        // boxed, so that NaN (not relevant) equals NaN; doubles compared within round-off of the schedules
        assertThat(List.of(s.learningRate(), s.momentum(), s.beta1(), s.beta2(), s.epsilon())).as("η, μ, β1, β2, ε")
                .usingElementComparator(OptimizerReaderRows::compare)
                .isEqualTo(List.of(row.eta, row.mu, row.beta1, row.beta2, row.epsilon));
        assertThat(List.of(s.weights().l2(), s.weights().decoupled(), s.biases().l2(), s.biases().decoupled()))
                .as("γ_w, δ_w, γ_b, δ_b").usingElementComparator(OptimizerReaderRows::compare)
                .isEqualTo(List.of(row.weights.l2(), row.weights.decoupled(), row.biases.l2(), row.biases.decoupled()));
        assertThat(s.identityBreak()).isEqualTo(row.breaks);
        assertThat(s.predictsCharge()).isEqualTo(row.kind.isSgdType() && row.breaks.isEmpty());
        assertThat(s.explainsDrift()).as("the parts").isTrue();
    }

    @Test
    void settingsThatDifferBetweenLayersLeaveTheDecayUnknown() {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().updater(new Sgd(0.1)).list()
                .layer(new DenseLayer.Builder().nIn(3).nOut(4).l2(0.1).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(4).nOut(2).l2(0.2).build())
                .build());
        net.init();
        OptimizerSettings s = Dl4jOptimizerReader.read(Dl4jNetworkMapper.map(net, "m").linear(), 0, 0);
        assertThat(s.kind()).isEqualTo(Kind.SGD);
        assertThat(s.identityBreak()).isEqualTo("settings that differ between layers");
        assertThat(s.predictsCharge()).isFalse();
        assertThat(s.explainsDrift()).isFalse();
    }

    @Test
    void updatersOfDifferentKindsAreMixed() {
        OptimizerSettings s = read(b -> b.updater(new Adam(1e-3)).biasUpdater(new Sgd(0.1)), 0);
        assertThat(s.kind()).isEqualTo(Kind.OTHER);
        assertThat(s.name()).isEqualTo("mixed");
        assertThat(s.explainsDrift()).isFalse();
    }

    /** An updater class the reader does not know (here a subclass of Sgd, which may update in any way) is unknown. */
    @Test
    void anUpdaterOfAnotherClassIsUnknownByName() {
        OptimizerSettings s = read(b -> b.updater(new HomeMadeSgd(0.02)), 0);
        assertThat(s.kind()).isEqualTo(Kind.UNKNOWN);
        assertThat(s.name()).isEqualTo(HomeMadeSgd.class.getName());
        assertThat(s.learningRate()).isEqualTo(0.02);
    }

    static final class HomeMadeSgd extends Sgd {
        HomeMadeSgd(double lr) {
            super(lr);
        }

        @Override
        public HomeMadeSgd clone() {
            return new HomeMadeSgd(getLearningRate());
        }
    }

    private static OptimizerSettings read(UnaryOperator<NeuralNetConfiguration.Builder> configure, int iteration) {
        MultiLayerNetwork net = new MultiLayerNetwork(configure.apply(new NeuralNetConfiguration.Builder()).list()
                .layer(new DenseLayer.Builder().nIn(3).nOut(4).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(4).nOut(2).build())
                .build());
        net.init();
        return Dl4jOptimizerReader.read(Dl4jNetworkMapper.map(net, "m").linear(), iteration, 0);
    }

    /** Doubles equal within 1e-12 relative, NaN equal to NaN. */
    static final class OptimizerReaderRows {
        static int compare(Double a, Double b) {
            if (a.isNaN() || b.isNaN()) {
                return a.isNaN() && b.isNaN() ? 0 : 1;
            }
            return Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b)) ? 0 : Double.compare(a, b);
        }
    }
}
