package dev.noether.djl;

import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.noether.core.model.NetworkDescription;
import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherMonitor;
import dev.noether.core.runtime.NoetherReport;
import dev.noether.core.runtime.Stage;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * METRICS.md §11 on real DJL PyTorch training: the exact heavy-ball prediction, the drift's parts under plain SGD,
 * Adam and AdamW, and the rotation violation of a deep linear network. A window is one step, so every report
 * carries that step's values.
 */
class OptimizerPhysicsTest {
    private static final String[] PAIR = {"pair", "01Linear:03Linear", "symmetry", "rescaling"};
    private static final String[] PARTS = {"decay", "optimizer", "gradient", "step"};

    /** Every step observed, its values reported alone; the heavy analysis once (it is not what is tested here). */
    private static final NoetherConfig EVERY_STEP = NoetherConfig.builder().observeEvery(1).analysisEvery(1)
            .minAnalysisInterval(Duration.ofHours(1)).maxAnalysisShare(1).overheadBudget(1).build();
    /**
     * The default overhead budget, with a window of one step: each report carries its own step's residual, whatever
     * the load lets the budget observe (a window of 50 steps holding a run's rates but not its prediction would not).
     */
    private static final NoetherConfig BUDGET = NoetherConfig.builder().analysisEvery(1)
            .minAnalysisInterval(Duration.ofHours(1)).build();

    private static List<NoetherReport> train(SequentialBlock block, Optimizer optimizer, NoetherConfig config, int steps) {
        TeacherStudent data = TeacherStudent.generate(512, 8, 4, 1);
        List<NoetherReport> reports = new ArrayList<>();
        NoetherTrainingListener listener = NoetherTrainingListener.builder().registry(new SimpleMeterRegistry())
                .config(config).addListener(r -> {
                    if (r.kind() == NoetherReport.Kind.STEP) {
                        reports.add(r);
                    }
                }).build();
        try (DjlRun run = new DjlRun(block, data, optimizer, 11, listener)) {
            run.steps(steps, 16);
            NoetherMonitor monitor = listener.monitor().orElseThrow();
            assertThat(monitor.awaitSteps(Duration.ofSeconds(20))).isTrue();
            assertThat(monitor.errors(Stage.ADAPTER) + monitor.errors(Stage.STEP)).isZero();
        }
        return reports;
    }

    private static double value(NoetherReport r, String metric, String... tags) {
        return r.value(metric, tags).orElse(Double.NaN);
    }

    private static double part(NoetherReport r, String part) {
        return value(r, "charge.drift.rate.part", PAIR[0], PAIR[1], PAIR[2], PAIR[3], "part", part);
    }

    private static double partSum(NoetherReport r) {
        double s = 0;
        for (String p : PARTS) {
            s += part(r, p);
        }
        return s;
    }

    /** The reports whose step follows the previous report's (those that carry the step's rate and parts). */
    private static List<NoetherReport[]> consecutive(List<NoetherReport> reports) {
        List<NoetherReport[]> out = new ArrayList<>();
        for (int k = 1; k < reports.size(); k++) {
            if (reports.get(k).step() == reports.get(k - 1).step() + 1) {
                out.add(new NoetherReport[] {reports.get(k - 1), reports.get(k)});
            }
        }
        return out;
    }

    private static Optimizer momentum(float l2) {
        return Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.02f)).optMomentum(0.9f).optWeightDecays(l2).build();
    }

    /** Heavy ball, with and without weight decay: the residual is round-off at every step that has a prediction. */
    @ParameterizedTest
    @ValueSource(floats = {0f, 0.01f})
    void heavyBallFollowsTheExactPredictionAtEveryObservedStep(float l2) {
        List<NoetherReport> reports = train(Mlp.relu(32, 32, 4), momentum(l2), EVERY_STEP, 150);
        assertThat(reports).hasSize(151); // and the final state after the last update
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
        assertThat(reports.get(1).value("charge.residual", PAIR)).as("needs the update before").isEmpty();
    }

    /** Under the default overhead budget, momentum makes the step tier observe runs of three consecutive steps. */
    @Test
    void underTheBudgetMomentumIsObservedInRunsOfThreeAndEveryResidualHolds() {
        List<NoetherReport> reports = train(Mlp.relu(32, 32, 4), momentum(0.01f), BUDGET, 600);
        assertThat(reports.size()).as("observed steps").isLessThan(600);
        int runsOfThree = 0;
        for (int k = 2; k < reports.size(); k++) {
            long t = reports.get(k).step();
            if (reports.get(k - 1).step() == t - 1 && reports.get(k - 2).step() == t - 2) {
                runsOfThree++;
                OptionalDouble residual = reports.get(k).value("charge.residual", PAIR);
                assertThat(residual).as("residual at step %d", t).isPresent();
                assertThat(residual.getAsDouble()).isLessThanOrEqualTo(1e-5);
            }
        }
        assertThat(runsOfThree).as("steps with two observed predecessors").isGreaterThanOrEqualTo(3);
    }

    /** Adam and AdamW: the parts sum to the observed rate, the optimizer moves the charge most, the gradient part is 0. */
    @ParameterizedTest
    @ValueSource(strings = {"adam", "adamw"})
    void underAdamThePartsSumToTheRateAndTheOptimizerDominates(String name) {
        Optimizer optimizer = name.equals("adam")
                ? Optimizer.adam().optLearningRateTracker(Tracker.fixed(0.003f)).optWeightDecays(1e-3f).build()
                : Optimizer.adamW().optLearningRateTracker(Tracker.fixed(0.003f)).optWeightDecays(0.05f).build();
        List<NoetherReport> reports = train(Mlp.relu(32, 32, 4), optimizer, EVERY_STEP, 120);
        double[] meanAbs = new double[PARTS.length];
        List<NoetherReport[]> steps = consecutive(reports);
        for (NoetherReport[] s : steps) {
            NoetherReport r = s[1];
            double rate = value(r, "charge.drift.rate", PAIR);
            assertThat(partSum(r)).as("parts at step %d", r.step()).isCloseTo(rate, within(1e-9 * Math.abs(rate)));
            for (int p = 0; p < PARTS.length; p++) {
                meanAbs[p] += Math.abs(part(r, PARTS[p])) / steps.size();
            }
            assertThat(r.value("charge.residual", PAIR)).as("no prediction under " + name).isEmpty();
            if (name.equals("adamw")) {
                // the decoupled shrink δ = η·wd: W = −δ(2 − δ)Q, over S
                double delta = 0.003f * 0.05f;
                double decay = -delta * (2 - delta) * value(s[0], "charge.relative", PAIR);
                assertThat(part(r, "decay")).as("decay at %d", r.step()).isCloseTo(decay, within(1e-6 * Math.abs(decay)));
            }
        }
        assertThat(steps).hasSizeGreaterThan(100);
        assertThat(meanAbs[1]).as("mean |optimizer|").isGreaterThan(meanAbs[0]).isGreaterThan(meanAbs[2])
                .isGreaterThan(meanAbs[3]);
        assertThat(meanAbs[2]).as("mean |gradient|: the ReLU pair keeps the symmetry").isLessThan(1e-6 * meanAbs[1]);
    }

    /**
     * Adam and AdamW on a tanh network whose monitor is told (wrongly) that its hidden activations are ReLU: the
     * gradients contradict the rescaling symmetry, and the gradient part, 0 on the ReLU network above, says so.
     */
    @ParameterizedTest
    @ValueSource(strings = {"adam", "adamw"})
    void aTanhPairDescribedAsReluHasAClearGradientPart(String name) throws ReflectiveOperationException {
        Optimizer optimizer = name.equals("adam")
                ? Optimizer.adam().optLearningRateTracker(Tracker.fixed(0.003f)).optWeightDecays(1e-3f).build()
                : Optimizer.adamW().optLearningRateTracker(Tracker.fixed(0.003f)).optWeightDecays(0.05f).build();
        // the description of the ReLU network, whatever the hidden activations really are
        NetworkDescription claimed = NetworkDescription.builder("m")
                .dense("01Linear", 32, 8, true).activation(dev.noether.core.model.Activation.RELU)
                .dense("03Linear", 32, 32, true).activation(dev.noether.core.model.Activation.RELU)
                .dense("05Linear", 4, 32, true)
                .build();
        List<NoetherReport> reports = new ArrayList<>();
        try (DjlRun run = new DjlRun(Mlp.of(ai.djl.nn.Activation::tanhBlock, 32, 32, 4), TeacherStudent.generate(512, 8, 4, 1),
                optimizer, 11)) {
            MappedNetwork mapped = new DjlNetworkMapper(run.trainer.getManager()).map("m", run.model.getBlock());
            assertThat(mapped.description().pairs()).as("tanh breaks the pairs").isEmpty();
            OptimizerReader reader = OptimizerReader.of(run.trainer, mapped.dense().get(0).weight().getId());
            StepCapture capture = new StepCapture(mapped.dense());
            try (NoetherMonitor monitor = NoetherMonitor.builder(claimed).config(EVERY_STEP).build()) {
                monitor.addListener(r -> {
                    if (r.kind() == NoetherReport.Kind.STEP) {
                        reports.add(r);
                    }
                });
                for (int t = 0; t < 80; t++) {
                    run.backward(16);
                    // what the listener does on the CPU: the optimizer as read, the host copies
                    monitor.onStep(capture.captureArrays(t, Double.NaN, reader.next()));
                    run.trainer.step();
                }
                assertThat(monitor.awaitSteps(Duration.ofSeconds(20))).isTrue();
                assertThat(monitor.errors(Stage.STEP)).isZero();
            }
        }
        double gradient = 0;
        double others = 0;
        List<NoetherReport[]> steps = consecutive(reports);
        for (NoetherReport[] s : steps) {
            NoetherReport r = s[1];
            double rate = value(r, "charge.drift.rate", PAIR);
            assertThat(partSum(r)).as("parts at step %d", r.step()).isCloseTo(rate, within(1e-9 * Math.abs(rate)));
            gradient += Math.abs(part(r, "gradient"));
            others += Math.abs(part(r, "decay")) + Math.abs(part(r, "optimizer")) + Math.abs(part(r, "step"));
        }
        assertThat(steps).hasSizeGreaterThan(70);
        System.out.printf("%s, tanh pair described as ReLU: mean |gradient| / mean |other parts| = %.3g%n", name,
                gradient / others);
        assertThat(gradient).as("gradient part against the other parts").isGreaterThan(0.05 * others);
    }

    /** Plain SGD: the optimizer part is 0 and the decay part −2ηγQ/S, to round-off. */
    @Test
    void underPlainSgdTheOptimizerPartIsZeroAndTheDecayIsMinusTwoEtaGammaQOverS() {
        float eta = 0.05f;
        float gamma = 0.01f;
        List<NoetherReport> reports = train(Mlp.relu(32, 32, 4),
                Optimizer.sgd().setLearningRateTracker(Tracker.fixed(eta)).optWeightDecays(gamma).build(), EVERY_STEP, 100);
        for (NoetherReport[] s : consecutive(reports)) {
            NoetherReport r = s[1];
            double decay = -2.0 * eta * gamma * value(s[0], "charge.relative", PAIR);
            assertThat(part(r, "decay")).as("decay at %d", r.step()).isCloseTo(decay, within(1e-9 * Math.abs(decay)));
            // round-off: the float32 rounding of the engine's update, as for the residual
            assertThat(Math.abs(part(r, "optimizer"))).as("optimizer at %d", r.step()).isLessThan(1e-7);
            double rate = value(r, "charge.drift.rate", PAIR);
            assertThat(partSum(r)).isCloseTo(rate, within(1e-9 * Math.abs(rate)));
        }
    }

    /** A deep linear network (bias-free Linear layers, nothing between): the rotation identity under SGD, not Adam. */
    @Test
    void theRotationViolationIsRoundOffUnderSgdAndMomentumAndLargeUnderAdam() {
        assertThat(meanRotation(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.02f)).optWeightDecays(0.01f).build()))
                .isLessThan(1e-4);
        assertThat(meanRotation(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.01f)).optMomentum(0.9f).build()))
                .isLessThan(1e-4);
        assertThat(meanRotation(Optimizer.adam().optLearningRateTracker(Tracker.fixed(0.003f)).build())).isGreaterThan(0.05);
    }

    private static double meanRotation(Optimizer optimizer) {
        SequentialBlock linear = new SequentialBlock();
        for (int units : new int[] {16, 16, 4}) {
            linear.add(Linear.builder().setUnits(units).optBias(false).build());
        }
        List<NoetherReport> reports = train(linear, optimizer, EVERY_STEP, 40);
        String[] rotation = {"pair", "01Linear:02Linear", "symmetry", "rotation"};
        double sum = 0;
        int n = 0;
        for (NoetherReport[] s : consecutive(reports)) {
            OptionalDouble v = s[1].value("rotation.violation", rotation);
            assertThat(v).as("rotation violation at step %d", s[1].step()).isPresent();
            sum += v.getAsDouble();
            n++;
        }
        assertThat(n).isGreaterThan(30);
        return sum / n;
    }
}
