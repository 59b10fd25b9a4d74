package dev.noether.dl4j;

import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherMonitor;
import dev.noether.core.runtime.Stage;
import dev.noether.core.runtime.NoetherReport;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Sgd;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

/** METRICS.md §9.1, §9.2 and §9.4 on real DL4J training. */
class Dl4jChargePhysicsTest {
    private static final String[] PAIR1 = {"pair", "fc1:fc2", "symmetry", "rescaling"};
    private static final String[] PAIR2 = {"pair", "fc2:fc3", "symmetry", "rescaling"};

    /**
     * §9.2: plain SGD with weight decay follows the discrete identity at every step, for every way DL4J
     * expresses the decay (L2 before the updater, weight decay after it with or without the learning rate),
     * with a bias decay of its own.
     */
    @ParameterizedTest
    @ValueSource(strings = {"l2", "weightDecay", "weightDecayWithoutLr"})
    void sgdWithWeightDecayFollowsTheDiscreteIdentityAtEveryStep(String decay) {
        UnaryOperator<NeuralNetConfiguration.Builder> regularization = switch (decay) {
            case "l2" -> b -> b.l2(0.01).l2Bias(0.02);
            case "weightDecay" -> b -> b.weightDecay(0.01, true).weightDecayBias(0.02, true);
            default -> b -> b.weightDecay(0.002, false).weightDecayBias(0.001, false);
        };
        MultiLayerNetwork net = TeacherStudent.mlp(new int[] {6, 16, 16, 3}, Activation.RELU, new Sgd(0.05), 1, regularization);
        DataSet data = TeacherStudent.data(256, 6, 3, 2);
        List<NoetherReport> steps = new CopyOnWriteArrayList<>(); // reports arrive on the step thread
        NoetherListener listener = listener(steps);
        net.addListeners(listener);
        for (int t = 0; t < 150; t++) {
            net.fit(TeacherStudent.batch(data, 16 * t, 16));
        }
        assertThat(listener.monitor().orElseThrow().awaitSteps(Duration.ofSeconds(10))).as("steps observed").isTrue();
        assertThat(steps).hasSize(150);
        for (NoetherReport r : steps.subList(1, steps.size())) {
            for (String[] pair : List.of(PAIR1, PAIR2)) {
                assertThat(r.value("charge.residual", pair)).as("step %d %s", r.step(), pair[1]).isPresent();
                assertThat(r.value("charge.residual", pair).getAsDouble()).as("residual, step %d", r.step()).isLessThan(1e-5);
                assertThat(r.value("symmetry.violation", pair).getAsDouble()).as("violation, step %d", r.step()).isLessThan(1e-4);
            }
        }
        // the prediction is not trivially satisfied: the charge moves by much more than the residual
        NoetherMonitor monitor = listener.monitor().orElseThrow();
        assertThat(Math.abs(monitor.value("charge.drift.rate", PAIR1).getAsDouble())).isGreaterThan(1e-4);
        assertThat(monitor.errors(Stage.ADAPTER) + monitor.errors(Stage.STEP)).isZero();
        listener.close();
    }

    /**
     * Under the default overhead budget the listener observes runs of consecutive iterations of this small network
     * (whose copy is a large part of its step), and every run checks the identity.
     */
    @Test
    void theIdentityHoldsOnEveryRunTheOverheadBudgetSamples() {
        MultiLayerNetwork net = TeacherStudent.mlp(new int[] {6, 16, 16, 3}, Activation.RELU, new Sgd(0.05), 1,
                b -> b.l2(0.01).l2Bias(0.02));
        DataSet data = TeacherStudent.data(256, 6, 3, 2);
        List<NoetherReport> steps = new CopyOnWriteArrayList<>();
        NoetherListener listener = listener(steps, NoetherConfig.defaults());
        net.addListeners(listener);
        for (int t = 0; t < 600; t++) {
            net.fit(TeacherStudent.batch(data, 16 * t, 16));
        }
        assertThat(listener.monitor().orElseThrow().awaitSteps(Duration.ofSeconds(20))).as("steps observed").isTrue();
        int checked = 0;
        long previous = Long.MIN_VALUE;
        for (NoetherReport r : steps) {
            if (r.step() == previous + 1) {
                for (String[] pair : List.of(PAIR1, PAIR2)) {
                    assertThat(r.value("charge.residual", pair)).as("step %d %s", r.step(), pair[1]).isPresent();
                    assertThat(r.value("charge.residual", pair).getAsDouble()).as("residual, step %d", r.step())
                            .isLessThan(1e-5);
                    checked++;
                }
            }
            previous = r.step();
        }
        assertThat(steps.size()).as("observed iterations").isLessThan(600);
        assertThat(checked).as("identities checked").isGreaterThanOrEqualTo(2 * 3);
        listener.close();
    }

    /** The score of every iteration is checked: a non-finite one is observed, and counted by layer, off schedule. */
    @Test
    void aNonFiniteLossBetweenTwoScheduledObservationsIsObservedAndCounted() {
        MultiLayerNetwork net = TeacherStudent.mlp(new int[] {6, 16, 3}, Activation.RELU, new Sgd(0.05), 1, b -> b);
        DataSet data = TeacherStudent.data(256, 6, 3, 2);
        List<NoetherReport> steps = new CopyOnWriteArrayList<>();
        NoetherListener listener = listener(steps, NoetherConfig.builder().observeEvery(25).build());
        net.addListeners(listener);
        for (int t = 0; t < 12; t++) {
            DataSet batch = TeacherStudent.batch(data, 16 * t, 16);
            if (t == 10) {
                batch.getFeatures().putScalar(0, 0, Double.NaN);
            }
            net.fit(batch);
        }
        NoetherMonitor monitor = listener.monitor().orElseThrow();
        assertThat(monitor.awaitSteps(Duration.ofSeconds(20))).isTrue();
        assertThat(steps).extracting(NoetherReport::step).contains(10L); // iteration 10 is not on the stride
        assertThat(monitor.nonFinite(0) + monitor.nonFinite(1)).isPositive();
        listener.close();
    }

    /** §9.1: small-step full-batch GD conserves the charge; large-step minibatch SGD does not. */
    @Test
    void fullBatchGradientDescentConservesTheChargeWhileNoisySgdDrifts() {
        DataSet data = TeacherStudent.data(128, 6, 3, 6);
        double gd = drift(data, 0.01, 128, 500);
        double sgd = drift(data, 0.3, 4, 500);
        assertThat(gd).isLessThan(1e-3);
        assertThat(sgd).isGreaterThan(10 * gd).isGreaterThan(1e-3);
    }

    private static double drift(DataSet data, double eta, int batch, int steps) {
        MultiLayerNetwork net = TeacherStudent.mlp(new int[] {6, 16, 3}, Activation.RELU, new Sgd(eta), 9, b -> b);
        NoetherListener listener = listener(new CopyOnWriteArrayList<>());
        net.addListeners(listener);
        for (int t = 0; t < steps; t++) {
            net.fit(TeacherStudent.batch(data, batch * t, batch));
        }
        listener.close();
        return listener.monitor().orElseThrow().value("charge.drift", PAIR1).getAsDouble();
    }

    private static NoetherListener listener(List<NoetherReport> steps) {
        return listener(steps, NoetherConfig.builder().analysisEvery(50).observeEvery(1).build());
    }

    private static NoetherListener listener(List<NoetherReport> steps, NoetherConfig config) {
        return NoetherListener.builder().registry(new SimpleMeterRegistry()).modelName("physics")
                .config(config)
                .addListener(r -> {
                    if (r.kind() == NoetherReport.Kind.STEP) {
                        steps.add(r);
                    }
                })
                .build();
    }
}
