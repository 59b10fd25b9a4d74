package dev.noether.djl;

import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherMonitor;
import dev.noether.core.runtime.NoetherReport;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * METRICS.md §9.4 on DJL (the counterpart of the DL4J {@code Dl4jNormBalanceTest}): a deep linear net of five
 * bias-free {@code Linear} layers with unequal initial norms learns a noisy linear teacher. Gradient flow
 * conserves every pair charge ‖W_l‖² − ‖W_{l+1}‖², hence {@code norm.spread} (the population std of the
 * intermediate squared norms): small-step full-batch GD keeps it to O(η²) although the norms themselves change
 * by learning, while single-sample SGD noise drives it down (and {@code norm.imbalance} with it). Single-sample SGD
 * at η = 0.05 is close to going non-finite (the same net with 4/3 × the initial weights does from η = 0.035); at it
 * the spread settles after about 1,500 steps, below half its start.
 */
class NormBalanceTest {
    private static final int INPUTS = 6;
    private static final int SAMPLES = 128;
    /** Output widths of 01Linear … 05Linear. */
    private static final int[] WIDTHS = {8, 8, 8, 8, 3};
    /** Weight init std per layer: unequal norms of the intermediate layers 02, 03, 04Linear. */
    private static final float[] SIGMAS = {0.3f, 0.6f, 0.15f, 0.45f, 0.3f};
    private static final String[] FC2 = {"layer", "02Linear"};

    @Test
    void sgdNoiseShrinksTheNormSpreadOfADeepLinearNetWhileFullBatchGdKeepsIt() {
        // measured: SGD 8.134 -> 3.094 (imbalance 0.468 -> 0.282); GD 8.1345 -> 8.1331, ||W_02||^2 21.28 -> 22.01
        TeacherStudent data = noisyLinearTeacher();
        Run sgd = train(data, 0.05f, 1, 2000);
        Run gd = train(data, 0.01f, SAMPLES, 1000);

        // the same start (same seed and init), with norms far apart
        assertThat(sgd.first.value("norm.spread").getAsDouble())
                .isEqualTo(gd.first.value("norm.spread").getAsDouble()).isGreaterThan(1);
        double spread0 = gd.first.value("norm.spread").getAsDouble();
        // independent computation from the DJL parameters after the last step vs the final report
        assertThat(sgd.lastSpread()).isCloseTo(sgd.independentSpread, within(1e-5 * sgd.independentSpread));
        assertThat(gd.lastSpread()).isCloseTo(gd.independentSpread, within(1e-5 * gd.independentSpread));

        // SGD noise: the spread falls by more than half, the scale-free imbalance by a quarter
        assertThat(sgd.lastSpread()).isLessThan(0.5 * spread0);
        assertThat(sgd.last.value("norm.imbalance").getAsDouble())
                .isLessThan(0.75 * sgd.first.value("norm.imbalance").getAsDouble());
        // full-batch GD with a small step: the spread stays within 1e-2 relative over 1,000 steps
        assertThat(gd.lastSpread()).isCloseTo(spread0, within(1e-2 * spread0));
        // not a net at rest: under GD the squared norms themselves moved far more than their spread
        double w0 = gd.first.value("layer.weight.norm", FC2).getAsDouble();
        double w1 = gd.last.value("layer.weight.norm", FC2).getAsDouble();
        assertThat(Math.abs(w1 * w1 - w0 * w0)).isGreaterThan(5 * Math.abs(gd.lastSpread() - spread0));
        System.out.printf("norm.spread SGD %.4f -> %.4f (imbalance %.4f -> %.4f); GD %.5f -> %.5f, "
                        + "||W_02||^2 %.4f -> %.4f%n", spread0, sgd.lastSpread(),
                sgd.first.value("norm.imbalance").getAsDouble(), sgd.last.value("norm.imbalance").getAsDouble(),
                spread0, gd.lastSpread(), w0 * w0, w1 * w1);
    }

    /** The first and the last step report, and the spread computed here from the final DJL parameters. */
    private record Run(NoetherReport first, NoetherReport last, double independentSpread) {
        double lastSpread() {
            return last.value("norm.spread").getAsDouble();
        }
    }

    private static Run train(TeacherStudent data, float eta, int batch, int steps) {
        List<NoetherReport> reports = new ArrayList<>();
        NoetherTrainingListener listener = NoetherTrainingListener.builder().registry(new SimpleMeterRegistry())
                .modelName("linear")
                .config(NoetherConfig.builder().observeEvery(1).analysisEvery(100_000)
                        .minAnalysisInterval(Duration.ofHours(1)).build())
                .addListener(r -> {
                    if (r.kind() == NoetherReport.Kind.STEP) {
                        reports.add(r);
                    }
                })
                .build();
        Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(eta)).build();
        double independent;
        try (DjlRun run = new DjlRun(deepLinear(), data, sgd, 5, listener)) {
            run.steps(steps, batch);
            independent = populationStdOfIntermediateSquaredNorms(run.parameters());
        } // close() -> onTrainingEnd -> a report on the parameters after the last update
        NoetherMonitor monitor = listener.monitor().orElseThrow();
        assertThat(monitor.steps()).isEqualTo(steps);
        assertThat(reports.get(0).step()).isZero();
        NoetherReport last = reports.get(reports.size() - 1);
        assertThat(last.step()).isEqualTo(steps);
        return new Run(reports.get(0), last, independent);
    }

    /** Bias-free Linear layers, no activations between them, each weight drawn with its own std. */
    private static SequentialBlock deepLinear() {
        SequentialBlock b = new SequentialBlock();
        for (int l = 0; l < WIDTHS.length; l++) {
            Linear linear = Linear.builder().setUnits(WIDTHS[l]).optBias(false).build();
            linear.setInitializer(new NormalInitializer(SIGMAS[l]), Parameter.Type.WEIGHT);
            b.add(linear);
        }
        return b;
    }

    /** Population std of ‖W‖² over all but the first and the last weight (the block has no other parameters). */
    private static double populationStdOfIntermediateSquaredNorms(List<float[]> weights) {
        assertThat(weights).hasSize(WIDTHS.length);
        double[] sq = new double[weights.size() - 2];
        for (int l = 1; l < weights.size() - 1; l++) {
            for (float v : weights.get(l)) {
                sq[l - 1] += (double) v * v;
            }
        }
        double mean = java.util.Arrays.stream(sq).average().orElseThrow();
        return Math.sqrt(java.util.Arrays.stream(sq).map(s -> (s - mean) * (s - mean)).sum() / sq.length);
    }

    /** y = A x + noise: x ~ N(0, I), A ~ N(0, 0.5²), noise ~ N(0, 2²), so that SGD's gradient noise stays large. */
    private static TeacherStudent noisyLinearTeacher() {
        int outputs = WIDTHS[WIDTHS.length - 1];
        Random r = new Random(11);
        double[][] a = new double[outputs][INPUTS];
        for (double[] row : a) {
            for (int j = 0; j < INPUTS; j++) {
                row[j] = 0.5 * r.nextGaussian();
            }
        }
        float[] x = new float[SAMPLES * INPUTS];
        float[] y = new float[SAMPLES * outputs];
        for (int s = 0; s < SAMPLES; s++) {
            for (int j = 0; j < INPUTS; j++) {
                x[s * INPUTS + j] = (float) r.nextGaussian();
            }
            for (int i = 0; i < outputs; i++) {
                double v = 2.0 * r.nextGaussian();
                for (int j = 0; j < INPUTS; j++) {
                    v += a[i][j] * x[s * INPUTS + j];
                }
                y[s * outputs + i] = (float) v;
            }
        }
        return new TeacherStudent(SAMPLES, INPUTS, outputs, x, y);
    }
}
