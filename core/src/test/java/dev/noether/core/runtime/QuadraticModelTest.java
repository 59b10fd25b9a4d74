package dev.noether.core.runtime;

import dev.noether.core.model.NetworkDescription;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * METRICS.md §9.3: ℓ = ½(u w x − y)² + (γ/2)(u² + w²). The symmetric state u = w = 0 is the global minimum
 * iff γ ≥ E[xy] (with E[x²] = 1); the monitor must call the neuron dead just above and alive just below.
 */
class QuadraticModelTest {
    private static final double EXY = 0.5;

    @Test
    void theNeuronDiesJustAboveTheWeightDecayThresholdAndLivesJustBelow() throws Exception {
        assertThat(deadAfterTraining(1.05 * EXY)).isEqualTo(1);
        assertThat(deadAfterTraining(0.95 * EXY)).isZero();
    }

    private static double deadAfterTraining(double gamma) throws Exception {
        double[][][] data = data(64);
        PlainSgdMlp net = new PlainSgdMlp(new int[] {1, 1, 1}, false, PlainSgdMlp.Act.IDENTITY, 0.2, gamma, 3);
        net.w[0][0] = 0.8f;
        net.w[1][0] = 1.1f;
        NetworkDescription d = NetworkDescription.builder("quadratic")
                .dense("w", 1, 1, false).dense("u", 1, 1, false).build();
        try (NoetherMonitor monitor = NoetherMonitor.builder(d)
                .config(NoetherConfig.builder().analysisEvery(1_000_000).observeEvery(1).minAnalysisInterval(Duration.ZERO).maxAnalysisShare(1).overheadBudget(1).build())
                .build()) {
            int steps = 6000;
            for (int t = 0; t < steps; t++) {
                double loss = net.backward(data[0], data[1]);
                monitor.onStep(net.snapshot(t, loss, net.sgd()));
                net.update();
            }
            monitor.analyze(steps - 1, List::of);
            MonitorBehaviourTest.waitUntil(() -> monitor.latestAnalysis() != null);
            return monitor.latestAnalysis().value("neurons.dead", "layer", "w").getAsDouble();
        }
    }

    /** Samples with E[x²] = 1 and E[xy] = 0.5 exactly. */
    private static double[][][] data(int n) {
        Random r = new Random(11);
        double[] x = new double[n];
        double[] y = new double[n];
        double sxx = 0;
        for (int i = 0; i < n; i++) {
            x[i] = r.nextGaussian();
            sxx += x[i] * x[i];
        }
        double sxy = 0;
        for (int i = 0; i < n; i++) {
            x[i] /= Math.sqrt(sxx / n);
            y[i] = x[i] + r.nextGaussian() * 0.1;
            sxy += x[i] * y[i];
        }
        for (int i = 0; i < n; i++) {
            y[i] *= EXY / (sxy / n);
        }
        double[][] xs = new double[n][1];
        double[][] ys = new double[n][1];
        for (int i = 0; i < n; i++) {
            xs[i][0] = x[i];
            ys[i][0] = y[i];
        }
        return new double[][][] {xs, ys};
    }
}
