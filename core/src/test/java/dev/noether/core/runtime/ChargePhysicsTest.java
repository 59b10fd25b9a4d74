package dev.noether.core.runtime;

import dev.noether.core.model.Activation;
import dev.noether.core.model.NetworkDescription;
import dev.noether.core.model.OptimizerSettings;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Known results of METRICS.md §9.1 and §9.2 on a hand-written plain-SGD loop. */
class ChargePhysicsTest {
    private static final String[] PAIR = {"pair", "fc1:fc2", "symmetry", "rescaling"};

    private static NoetherMonitor monitor(NetworkDescription d) {
        return NoetherMonitor.builder(d)
                .config(NoetherConfig.builder().analysisEvery(10).observeEvery(1).minAnalysisInterval(Duration.ZERO).maxAnalysisShare(1).overheadBudget(1).build())
                .build();
    }

    /**
     * §9.2: with weight decay (and a bias decay of its own, as DL4J's l2Bias) the discrete identity holds to
     * round-off at every step. The monitor's predicted rate is compared with the per-parameter expansion written
     * out here (first-order term included, so the identity itself is checked too), and its observed rate with
     * the charge summed here; a window of one step makes both per-step values.
     */
    @Test
    void chargeFollowsTheExactDiscreteIdentityUnderSgdWithWeightDecay() {
        PlainSgdMlp net = new PlainSgdMlp(new int[] {6, 16, 16, 3}, true, PlainSgdMlp.Act.RELU, 0.05, 0.01, 1);
        net.gammaBias = 0.2; // far from γ_w, so that decaying the biases by γ_w shows
        double[][][] data = PlainSgdMlp.teacherData(256, 6, 3, 2);
        NoetherConfig everyStep = NoetherConfig.builder().analysisEvery(1).observeEvery(1)
                .minAnalysisInterval(Duration.ZERO).maxAnalysisShare(1).overheadBudget(1).build();
        try (NoetherMonitor monitor = NoetherMonitor.builder(net.describe("relu", Activation.RELU)).config(everyStep).build()) {
            double previousQ = Double.NaN;
            double previousScale = Double.NaN;
            double previousPrediction = Double.NaN;
            for (int t = 0; t < 200; t++) {
                double loss = net.backward(PlainSgdMlp.rows(data[0], 16 * t, 16), PlainSgdMlp.rows(data[1], 16 * t, 16));
                monitor.onStep(net.snapshot(t, loss, net.sgd()));

                double q = net.charge(0);
                assertThat(monitor.value("charge", PAIR).getAsDouble()).isCloseTo(q, within(1e-9 * Math.abs(q) + 1e-12));
                if (t > 0) {
                    double predictedRate = (previousPrediction - previousQ) / previousScale;
                    double observedRate = (q - previousQ) / previousScale;
                    assertThat(monitor.value("charge.drift.rate.predicted", PAIR).getAsDouble()).as("step %d", t)
                            .isCloseTo(predictedRate, within(1e-6 * Math.abs(predictedRate) + 1e-9));
                    assertThat(monitor.value("charge.drift.rate", PAIR).getAsDouble()).as("step %d", t)
                            .isCloseTo(observedRate, within(1e-6 * Math.abs(observedRate) + 1e-9));
                    // the identity itself: the expansion predicts the charge the update produced
                    assertThat(Math.abs(q - previousPrediction) / previousScale).isLessThan(1e-5);
                    assertThat(monitor.value("charge.residual", PAIR).getAsDouble()).isLessThan(1e-5);
                    assertThat(monitor.value("symmetry.violation", PAIR).getAsDouble()).isLessThan(1e-5);
                }
                previousQ = q;
                previousScale = scale(net);
                previousPrediction = explicitNextCharge(net, 0);
                net.update();
            }
            assertThat(monitor.errors(Stage.STEP)).isZero();
            assertThat(previousQ).isNotNaN();
        }
    }

    /** Under weight decay and tiny gradients the charge shrinks by (1 − ηγ)² per step. */
    @Test
    void chargeDecaysByOneMinusEtaGammaSquaredPerStep() {
        double eta = 0.1;
        double gamma = 0.5;
        PlainSgdMlp net = new PlainSgdMlp(new int[] {4, 8, 2}, false, PlainSgdMlp.Act.RELU, eta, gamma, 3);
        // inputs of size 1e-4 and zero targets make the loss gradient ~1e-8, so η²‖ĝ‖² is negligible
        double[][] x = new double[32][4];
        double[][] y = new double[32][2];
        for (int s = 0; s < 32; s++) {
            for (int j = 0; j < 4; j++) {
                x[s][j] = 1e-4 * Math.sin(s + j);
            }
        }
        try (NoetherMonitor monitor = monitor(net.describe("decay", Activation.RELU))) {
            double q0 = Double.NaN;
            for (int t = 0; t < 20; t++) {
                double loss = net.backward(x, y);
                monitor.onStep(net.snapshot(t, loss, net.sgd()));
                double q = monitor.value("charge", PAIR).getAsDouble();
                if (t == 0) {
                    q0 = q;
                } else {
                    assertThat(q).isCloseTo(q0 * Math.pow(1 - eta * gamma, 2 * t), within(1e-6 * Math.abs(q0)));
                }
                net.update();
            }
        }
    }

    /** A tanh network described as ReLU breaks the identity: violation and residual say so. */
    @Test
    void anUnmodelledSymmetryBreakIsVisibleInViolationAndResidual() {
        PlainSgdMlp net = new PlainSgdMlp(new int[] {6, 16, 3}, true, PlainSgdMlp.Act.TANH, 0.1, 0.01, 4);
        double[][][] data = PlainSgdMlp.teacherData(128, 6, 3, 5);
        try (NoetherMonitor monitor = monitor(net.describe("tanh-as-relu", Activation.RELU))) {
            for (int t = 0; t < 30; t++) {
                double loss = net.backward(PlainSgdMlp.rows(data[0], 16 * t, 16), PlainSgdMlp.rows(data[1], 16 * t, 16));
                monitor.onStep(net.snapshot(t, loss, net.sgd()));
                net.update();
            }
            assertThat(monitor.value("symmetry.violation", "pair", "fc1:fc2", "symmetry", "rescaling").getAsDouble())
                    .isGreaterThan(0.05);
            assertThat(monitor.value("charge.residual", "pair", "fc1:fc2", "symmetry", "rescaling").getAsDouble())
                    .isGreaterThan(1e-4);
        }
    }

    /** §9.1: small-step full-batch GD conserves the charge; large-step minibatch SGD does not. */
    @Test
    void fullBatchGradientDescentConservesTheChargeWhileNoisySgdDrifts() {
        double[][][] data = PlainSgdMlp.teacherData(128, 6, 3, 6);
        double gd = drift(data, 0.01, 128, 500);
        double sgd = drift(data, 0.3, 4, 500);
        assertThat(gd).isLessThan(1e-3);
        assertThat(sgd).isGreaterThan(10 * gd).isGreaterThan(1e-3);
    }

    /** Under Adam-like optimizers the prediction and residual are absent, the observed rate is not. */
    @Test
    void predictionIsAbsentForOptimizersOtherThanPlainSgd() {
        PlainSgdMlp net = new PlainSgdMlp(new int[] {4, 8, 2}, true, PlainSgdMlp.Act.RELU, 0.05, 0, 7);
        double[][][] data = PlainSgdMlp.teacherData(32, 4, 2, 8);
        try (NoetherMonitor monitor = monitor(net.describe("adam", Activation.RELU))) {
            for (int t = 0; t < 5; t++) {
                double loss = net.backward(data[0], data[1]);
                monitor.onStep(net.snapshot(t, loss, OptimizerSettings.other("adam", 0.05)));
                net.update();
            }
            assertThat(monitor.value("charge.drift.rate", PAIR)).isPresent();
            assertThat(monitor.value("charge.drift.rate.predicted", PAIR)).isEmpty();
            assertThat(monitor.value("charge.residual", PAIR)).isEmpty();
        }
    }

    private static double drift(double[][][] data, double eta, int batch, int steps) {
        PlainSgdMlp net = new PlainSgdMlp(new int[] {6, 16, 3}, true, PlainSgdMlp.Act.RELU, eta, 0, 9);
        try (NoetherMonitor monitor = monitor(net.describe("drift", Activation.RELU))) {
            for (int t = 0; t < steps; t++) {
                double loss = net.backward(PlainSgdMlp.rows(data[0], batch * t, batch),
                        PlainSgdMlp.rows(data[1], batch * t, batch));
                monitor.onStep(net.snapshot(t, loss, net.sgd()));
                net.update();
            }
            return monitor.value("charge.drift", PAIR).getAsDouble();
        }
    }

    /** Q(t+1) of layer l's pair by the plain-SGD expansion written out per parameter. */
    private static double explicitNextCharge(PlainSgdMlp net, int l) {
        double q = 0;
        for (int i = 0; i < net.w[l].length; i++) {
            double next = net.w[l][i] - net.eta * (net.gw[l][i] + net.gamma * net.w[l][i]);
            q += next * next;
        }
        for (int i = 0; i < net.b[l].length; i++) {
            double next = net.b[l][i] - net.eta * (net.gb[l][i] + net.gammaBias * net.b[l][i]);
            q += next * next;
        }
        for (int i = 0; i < net.w[l + 1].length; i++) {
            double next = net.w[l + 1][i] - net.eta * (net.gw[l + 1][i] + net.gamma * net.w[l + 1][i]);
            q -= next * next;
        }
        return q;
    }

    private static double scale(PlainSgdMlp net) {
        double s = 0;
        for (float v : net.w[0]) {
            s += (double) v * v;
        }
        for (float v : net.b[0]) {
            s += (double) v * v;
        }
        for (float v : net.w[1]) {
            s += (double) v * v;
        }
        return s;
    }
}
