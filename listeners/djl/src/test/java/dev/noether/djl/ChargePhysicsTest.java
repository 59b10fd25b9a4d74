package dev.noether.djl;

import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherMonitor;
import dev.noether.core.runtime.Stage;
import dev.noether.core.runtime.NoetherReport;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

import static org.assertj.core.api.Assertions.assertThat;

/** METRICS.md §9.1 and §9.2 on real DJL PyTorch training. */
class ChargePhysicsTest {
    private static final String[][] PAIRS = {
            {"pair", "01Linear:03Linear", "symmetry", "rescaling"},
            {"pair", "03Linear:05Linear", "symmetry", "rescaling"}};

    /** Every step observed, every due analysis run. */
    private static final NoetherConfig EVERY_STEP = NoetherConfig.builder().observeEvery(1).analysisEvery(50)
            .minAnalysisInterval(Duration.ZERO).maxAnalysisShare(1).overheadBudget(1).build();

    private static NoetherTrainingListener listener(List<NoetherReport> steps, NoetherConfig config) {
        return NoetherTrainingListener.builder().registry(new SimpleMeterRegistry())
                .config(config)
                .addListener(r -> {
                    if (r.kind() == NoetherReport.Kind.STEP) {
                        steps.add(r);
                    }
                })
                .build();
    }

    private static Optimizer sgd(float eta, float gamma) {
        return Optimizer.sgd().setLearningRateTracker(Tracker.fixed(eta)).optWeightDecays(gamma).build();
    }

    /** §9.2: plain SGD with weight decay follows the exact discrete identity: residual ≤ 1e-5 at every step. */
    @Test
    void chargeResidualStaysAtRoundOffUnderPlainSgdWithWeightDecay() {
        List<NoetherReport> steps = residualRun(EVERY_STEP, 200);
        // 200 training steps and the final state after the last update (onTrainingEnd), which checks 199 -> 200
        assertThat(steps).hasSize(201);
        assertThat(steps.get(200).step()).isEqualTo(200);
        assertThat(checkResiduals(steps)).isEqualTo(2 * 200);
    }

    /**
     * Under the default overhead budget the step tier observes runs of consecutive steps of this small model (whose
     * copy is a large part of its step): every run still checks the identity.
     */
    @Test
    void chargeResidualHoldsOnEveryRunTheOverheadBudgetSamples() {
        List<NoetherReport> steps = residualRun(NoetherConfig.defaults(), 600);
        assertThat(steps.size()).as("observed steps").isLessThan(600);
        assertThat(checkResiduals(steps)).as("identities checked").isGreaterThanOrEqualTo(2 * 3);
    }

    /** The same with a fixed stride: every observed pair (t, t+1) checks the identity. */
    @Test
    void chargeResidualHoldsAtEveryReportWithAFixedObservationStride() {
        int k = 25;
        List<NoetherReport> steps = residualRun(NoetherConfig.builder().observeEvery(k).build(), 200);
        assertThat(steps.subList(0, steps.size() - 1)).extracting(NoetherReport::step).allMatch(t -> t % k <= 1);
        assertThat(checkResiduals(steps)).isEqualTo(2 * (200 / k));
    }

    private static List<NoetherReport> residualRun(NoetherConfig config, int count) {
        TeacherStudent data = TeacherStudent.generate(512, 8, 4, 1);
        List<NoetherReport> steps = new ArrayList<>();
        NoetherTrainingListener listener = listener(steps, config);
        try (DjlRun run = new DjlRun(Mlp.relu(32, 32, 4), data, sgd(0.05f, 0.01f), 11, listener)) {
            run.steps(count, 16);
            NoetherMonitor monitor = listener.monitor().orElseThrow();
            assertThat(monitor.optimizer()).isEqualTo("sgd");
            assertThat(monitor.value("learning.rate").getAsDouble()).isEqualTo((double) 0.05f);
            assertThat(monitor.errors(Stage.ADAPTER)).isZero();
            assertThat(monitor.steps()).isEqualTo(count);
            assertThat(monitor.awaitSteps(Duration.ofSeconds(20))).isTrue();
        }
        return steps;
    }

    /**
     * A NaN between two observations is still counted: DJL gives its listeners no loss, but the update of a step
     * with a non-finite gradient makes the weights non-finite, and the next observation counts that, by layer.
     */
    @Test
    void aNonFiniteStepBetweenTwoObservationsIsCounted() {
        TeacherStudent data = TeacherStudent.generate(512, 8, 4, 3);
        for (int j = 0; j < 8; j++) {
            data.x[10 * 16 * 8 + j] = Float.NaN; // the first row of the batch of step 10
        }
        List<NoetherReport> steps = new ArrayList<>();
        NoetherTrainingListener listener = listener(steps, NoetherConfig.builder().observeEvery(25).build());
        try (DjlRun run = new DjlRun(Mlp.relu(32, 32, 4), data, sgd(0.05f, 0.01f), 11, listener)) {
            run.steps(20, 16);
            NoetherMonitor monitor = listener.monitor().orElseThrow();
            assertThat(monitor.awaitSteps(Duration.ofSeconds(20))).isTrue();
            assertThat(monitor.nonFinite(0)).as("before the next observation").isZero();
            run.steps(10, 16); // steps 20..29: step 25 is observed
            assertThat(monitor.awaitSteps(Duration.ofSeconds(20))).isTrue();
            assertThat(monitor.nonFinite(0)).as("counted at step 25").isPositive();
            assertThat(steps).extracting(NoetherReport::step).doesNotContain(10L);
        }
    }

    /** Asserts every residual present (a report whose previous step was observed too); returns their count. */
    private static int checkResiduals(List<NoetherReport> steps) {
        int checked = 0;
        long previous = Long.MIN_VALUE;
        for (NoetherReport r : steps) {
            for (String[] pair : PAIRS) {
                OptionalDouble residual = r.value("charge.residual", pair);
                if (r.step() == previous + 1) {
                    assertThat(residual).as("residual of %s at step %d", pair[1], r.step()).isPresent();
                    assertThat(residual.getAsDouble()).as("residual of %s at step %d", pair[1], r.step())
                            .isLessThanOrEqualTo(1e-5);
                    assertThat(r.value("symmetry.violation", pair).getAsDouble()).isLessThan(1e-4);
                    checked++;
                }
            }
            previous = r.step();
        }
        return checked;
    }

    /** §9.1: small-step full-batch GD conserves the charge; large-step minibatch SGD makes it drift. */
    @Test
    void fullBatchGradientDescentConservesTheChargeWhileNoisySgdDrifts() {
        TeacherStudent data = TeacherStudent.generate(128, 8, 4, 2);
        double gd = drift(data, 0.01f, 128);
        double sgd = drift(data, 0.5f, 4);
        assertThat(gd).isLessThan(1e-3);
        assertThat(sgd).isGreaterThan(10 * gd).isGreaterThan(1e-3);
    }

    private static double drift(TeacherStudent data, float eta, int batch) {
        List<NoetherReport> steps = new ArrayList<>();
        NoetherTrainingListener listener = listener(steps, NoetherConfig.defaults()); // sampled by the budget
        try (DjlRun run = new DjlRun(Mlp.relu(32, 32, 4), data, sgd(eta, 0f), 12, listener)) {
            run.steps(500, batch);
            double drift = 0;
            for (String[] pair : PAIRS) {
                drift = Math.max(drift, listener.monitor().orElseThrow().value("charge.drift", pair).getAsDouble());
            }
            assertThat(drift).isFinite();
            return drift;
        }
    }
}
