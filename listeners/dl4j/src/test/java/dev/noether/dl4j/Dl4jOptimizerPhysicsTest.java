package dev.noether.dl4j;

import dev.noether.core.model.NetworkDescription;
import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherMonitor;
import dev.noether.core.runtime.NoetherReport;
import dev.noether.core.runtime.Stage;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.RmsProp;
import org.nd4j.linalg.learning.config.Sgd;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * METRICS.md §11 on real DL4J training: the exact Nesterov prediction with every way DL4J decays (L2 before the
 * updater, weight decay after it with or without the learning rate), and the drift's parts under plain SGD, Adam,
 * AdamW (Adam with weight decay) and RMSProp. A window is one step, so every report carries that step's values.
 */
class Dl4jOptimizerPhysicsTest {
    private static final String[] PAIR = {"pair", "fc1:fc2", "symmetry", "rescaling"};
    private static final String[] PARTS = {"decay", "optimizer", "gradient", "step"};
    private static final NoetherConfig EVERY_STEP = NoetherConfig.builder().observeEvery(1).analysisEvery(1)
            .minAnalysisInterval(Duration.ofHours(1)).maxAnalysisShare(1).overheadBudget(1).build();
    /**
     * The default overhead budget, with a window of one step: each report carries its own step's residual, whatever
     * the load lets the budget observe (a window of 50 steps holding a run's rates but not its prediction would not).
     */
    private static final NoetherConfig BUDGET = NoetherConfig.builder().analysisEvery(1)
            .minAnalysisInterval(Duration.ofHours(1)).build();

    private static List<NoetherReport> train(IUpdater updater, UnaryOperator<NeuralNetConfiguration.Builder> decay,
                                             NoetherConfig config, int steps) {
        MultiLayerNetwork net = TeacherStudent.mlp(new int[] {6, 16, 16, 3}, Activation.RELU, updater, 1, decay);
        DataSet data = TeacherStudent.data(256, 6, 3, 2);
        List<NoetherReport> reports = new CopyOnWriteArrayList<>(); // they arrive on the step thread
        NoetherListener listener = NoetherListener.builder().registry(new SimpleMeterRegistry()).modelName("physics")
                .config(config).addListener(r -> {
                    if (r.kind() == NoetherReport.Kind.STEP) {
                        reports.add(r);
                    }
                }).build();
        net.addListeners(listener);
        for (int t = 0; t < steps; t++) {
            net.fit(TeacherStudent.batch(data, 16 * t, 16));
        }
        NoetherMonitor monitor = listener.monitor().orElseThrow();
        assertThat(monitor.awaitSteps(Duration.ofSeconds(20))).isTrue();
        assertThat(monitor.errors(Stage.ADAPTER) + monitor.errors(Stage.STEP)).isZero();
        listener.close();
        return new ArrayList<>(reports);
    }

    private static double value(NoetherReport r, String metric, String... tags) {
        return r.value(metric, tags).orElse(Double.NaN);
    }

    private static double part(NoetherReport r, String part) {
        return value(r, "charge.drift.rate.part", PAIR[0], PAIR[1], PAIR[2], PAIR[3], "part", part);
    }

    private static List<NoetherReport[]> consecutive(List<NoetherReport> reports) {
        List<NoetherReport[]> out = new ArrayList<>();
        for (int k = 1; k < reports.size(); k++) {
            if (reports.get(k).step() == reports.get(k - 1).step() + 1) {
                out.add(new NoetherReport[] {reports.get(k - 1), reports.get(k)});
            }
        }
        return out;
    }

    /** Nesterovs with every decay DL4J has: the residual is round-off at every step that has a prediction. */
    @ParameterizedTest
    @ValueSource(strings = {"none", "l2", "weightDecay", "weightDecayWithoutLr"})
    void nesterovFollowsTheExactPredictionAtEveryObservedStep(String decay) {
        UnaryOperator<NeuralNetConfiguration.Builder> regularization = switch (decay) {
            case "none" -> b -> b;
            case "l2" -> b -> b.l2(0.01).l2Bias(0.02);
            case "weightDecay" -> b -> b.weightDecay(0.01, true).weightDecayBias(0.02, true);
            default -> b -> b.weightDecay(5e-4, false).weightDecayBias(2e-4, false);
        };
        List<NoetherReport> reports = train(new Nesterovs(0.02, 0.9), regularization, EVERY_STEP, 150);
        assertThat(reports).hasSize(151); // and the final state, observed by close()
        int checked = 0;
        double moved = 0;
        double largest = 0;
        for (NoetherReport r : reports.subList(2, reports.size())) {
            OptionalDouble residual = r.value("charge.residual", PAIR);
            assertThat(residual).as("residual at step %d", r.step()).isPresent();
            assertThat(residual.getAsDouble()).as("residual at step %d", r.step()).isLessThanOrEqualTo(1e-5);
            largest = Math.max(largest, residual.getAsDouble());
            moved += Math.abs(value(r, "charge.drift.rate", PAIR));
            checked++;
        }
        assertThat(checked).isEqualTo(149);
        assertThat(moved / checked).as("mean |rate|: the prediction is not trivially met").isGreaterThan(100 * largest);
    }

    /** Under the default overhead budget, Nesterov makes the step tier observe runs of three consecutive iterations. */
    @Test
    void underTheBudgetNesterovIsObservedInRunsOfThreeAndEveryResidualHolds() {
        List<NoetherReport> reports = train(new Nesterovs(0.02, 0.9), b -> b.l2(0.01), BUDGET, 600);
        assertThat(reports.size()).as("observed iterations").isLessThan(600);
        int runsOfThree = 0;
        for (int k = 2; k < reports.size(); k++) {
            long t = reports.get(k).step();
            if (reports.get(k - 1).step() == t - 1 && reports.get(k - 2).step() == t - 2) {
                runsOfThree++;
                OptionalDouble residual = reports.get(k).value("charge.residual", PAIR);
                assertThat(residual).as("residual at %d", t).isPresent();
                assertThat(residual.getAsDouble()).isLessThanOrEqualTo(1e-5);
            }
        }
        assertThat(runsOfThree).isGreaterThanOrEqualTo(3);
    }

    /**
     * Adam, AdamW (Adam with DL4J's decoupled weight decay) and RMSProp: the parts sum to the observed rate, the
     * optimizer moves the charge most, the gradient part is 0 for the ReLU pair.
     */
    @ParameterizedTest
    @ValueSource(strings = {"adam", "adamw", "rmsprop"})
    void underAdaptiveUpdatersThePartsSumToTheRateAndTheOptimizerDominates(String name) {
        List<NoetherReport> reports = switch (name) {
            case "adam" -> train(new Adam(3e-3), b -> b.l2(1e-3), EVERY_STEP, 120);
            case "adamw" -> train(new Adam(3e-3), b -> b.weightDecay(0.05, true).weightDecayBias(0.05, true), EVERY_STEP, 120);
            default -> train(new RmsProp(1e-3), b -> b.l2(1e-3), EVERY_STEP, 120);
        };
        List<NoetherReport[]> steps = consecutive(reports);
        double[] meanAbs = new double[PARTS.length];
        for (NoetherReport[] s : steps) {
            NoetherReport r = s[1];
            double rate = value(r, "charge.drift.rate", PAIR);
            double sum = 0;
            for (int p = 0; p < PARTS.length; p++) {
                sum += part(r, PARTS[p]);
                meanAbs[p] += Math.abs(part(r, PARTS[p])) / steps.size();
            }
            assertThat(sum).as("parts at %d", r.step()).isCloseTo(rate, within(1e-9 * Math.abs(rate)));
            assertThat(r.value("charge.residual", PAIR)).isEmpty();
            if (name.equals("adamw")) {
                // DL4J applies the weight decay twice, as 2·η·c per step (see Dl4jOptimizerReaderTest)
                double delta = 2 * 0.05 * 3e-3;
                double decay = -delta * (2 - delta) * value(s[0], "charge.relative", PAIR);
                assertThat(part(r, "decay")).as("decay at %d", r.step()).isCloseTo(decay, within(1e-6 * Math.abs(decay)));
            }
        }
        assertThat(steps).hasSize(120); // with the final state
        assertThat(meanAbs[1]).as("mean |optimizer|").isGreaterThan(meanAbs[0]).isGreaterThan(meanAbs[2])
                .isGreaterThan(meanAbs[3]);
        assertThat(meanAbs[2]).as("mean |gradient| of the ReLU pair").isLessThan(1e-6 * meanAbs[1]);
    }

    /**
     * The same updaters on a tanh network whose monitor is told (wrongly) that its hidden activations are ReLU: the
     * gradients contradict the rescaling symmetry, and the gradient part, 0 on the ReLU network above, says so.
     */
    @ParameterizedTest
    @ValueSource(strings = {"adam", "adamw", "rmsprop"})
    void aTanhPairDescribedAsReluHasAClearGradientPart(String name) {
        UnaryOperator<NeuralNetConfiguration.Builder> decay = name.equals("adamw")
                ? b -> b.weightDecay(0.05, true).weightDecayBias(0.05, true) : b -> b.l2(1e-3);
        IUpdater updater = name.equals("rmsprop") ? new RmsProp(1e-3) : new Adam(3e-3);
        int[] widths = {6, 16, 16, 3};
        MultiLayerNetwork tanh = TeacherStudent.mlp(widths, Activation.TANH, updater, 1, decay);
        Dl4jGraph tanhGraph = Dl4jNetworkMapper.map(tanh, "tanh");
        assertThat(tanhGraph.description().pairs()).as("tanh breaks the pair").isEmpty();
        NetworkDescription claimed = Dl4jNetworkMapper.map(
                TeacherStudent.mlp(widths, Activation.RELU, updater, 1, decay), "tanh").description();
        Dl4jGraph graph = new Dl4jGraph(tanh, claimed, tanhGraph.nodes());
        List<NoetherReport> reports = new CopyOnWriteArrayList<>(); // they arrive on the step thread
        DataSet data = TeacherStudent.data(256, 6, 3, 2);
        try (NoetherMonitor monitor = NoetherMonitor.builder(claimed).config(EVERY_STEP).build()) {
            monitor.addListener(r -> {
                if (r.kind() == NoetherReport.Kind.STEP) {
                    reports.add(r);
                }
            });
            tanh.addListeners(new BaseTrainingListener() {
                @Override
                public void onGradientCalculation(Model model) {
                    // what the listener does on the CPU: the optimizer as read, the host copies
                    monitor.onStep(Dl4jStepCapture.captureArrays(graph,
                            Dl4jOptimizerReader.read(graph.linear(), graph.iteration(), graph.epoch())));
                }
            });
            for (int t = 0; t < 80; t++) {
                tanh.fit(TeacherStudent.batch(data, 16 * t, 16));
            }
            assertThat(monitor.awaitSteps(Duration.ofSeconds(20))).isTrue();
            assertThat(monitor.errors(Stage.STEP)).isZero();
        }
        double gradient = 0;
        double others = 0;
        List<NoetherReport[]> steps = consecutive(reports);
        for (NoetherReport[] s : steps) {
            NoetherReport r = s[1];
            double rate = value(r, "charge.drift.rate", PAIR);
            double sum = 0;
            for (String p : PARTS) {
                sum += part(r, p);
            }
            assertThat(sum).as("parts at %d", r.step()).isCloseTo(rate, within(1e-9 * Math.abs(rate)));
            gradient += Math.abs(part(r, "gradient"));
            others += Math.abs(part(r, "decay")) + Math.abs(part(r, "optimizer")) + Math.abs(part(r, "step"));
        }
        assertThat(steps).hasSizeGreaterThan(70);
        System.out.printf("%s, tanh pair described as ReLU: mean |gradient| / mean |other parts| = %.3g%n", name,
                gradient / others);
        assertThat(gradient).as("gradient part against the other parts").isGreaterThan(0.05 * others);
    }

    /** Plain SGD with L2: the optimizer part is 0 and the decay −2ηγQ/S, to round-off. */
    @Test
    void underPlainSgdTheOptimizerPartIsZeroAndTheDecayIsMinusTwoEtaGammaQOverS() {
        double eta = 0.05;
        double gamma = 0.01;
        List<NoetherReport> reports = train(new Sgd(eta), b -> b.l2(gamma).l2Bias(gamma), EVERY_STEP, 100);
        for (NoetherReport[] s : consecutive(reports)) {
            NoetherReport r = s[1];
            double decay = -2 * eta * gamma * value(s[0], "charge.relative", PAIR);
            assertThat(part(r, "decay")).as("decay at %d", r.step()).isCloseTo(decay, within(1e-9 * Math.abs(decay)));
            assertThat(Math.abs(part(r, "optimizer"))).as("optimizer at %d", r.step()).isLessThan(1e-7);
        }
    }
}
