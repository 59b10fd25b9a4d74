package dev.noether.core.runtime;

import dev.noether.core.model.Activation;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * METRICS.md §11 on hand-written optimizers ({@link HandOptimizer}) over a hand-written MLP: the exact predictions
 * under heavy ball and Nesterov, the parts of the charge's drift for every optimizer, and the rotation violation.
 * Charges and scales are summed here from the network's own arrays, independently of the monitor. Every step is
 * observed and a window is one step, so the reported values are per-step values.
 */
class OptimizerPhysicsTest {
    private static final String[] PAIR1 = {"pair", "fc1:fc2", "symmetry", "rescaling"};
    private static final String[] PAIR2 = {"pair", "fc2:fc3", "symmetry", "rescaling"};
    private static final String[] PARTS = {"decay", "optimizer", "gradient", "step"};

    private static final NoetherConfig EVERY_STEP = NoetherConfig.builder().analysisEvery(1).observeEvery(1)
            .minAnalysisInterval(Duration.ZERO).maxAnalysisShare(1).overheadBudget(1).build();

    /** One observed step's values of one pair, with the charge and scale summed here. */
    record Observed(long step, double q, double scale, double identity, double rate, double predicted, double residual,
                    double[] parts, double violation, double rotation) {
        double partSum() {
            return parts[0] + parts[1] + parts[2] + parts[3];
        }

        double part(String name) {
            return parts[List.of(PARTS).indexOf(name)];
        }
    }

    /** Trains {@code steps} steps of 16 samples and returns what the monitor reported for {@code pair} at each. */
    private static List<Observed> train(PlainSgdMlp net, Activation described, HandOptimizer optimizer, int steps,
                                        String[] pair, int layer) {
        double[][][] data = PlainSgdMlp.teacherData(256, net.widths[0], net.widths[net.widths.length - 1], 2);
        List<Observed> out = new ArrayList<>();
        try (NoetherMonitor monitor = NoetherMonitor.builder(net.describe("m", described)).config(EVERY_STEP).build()) {
            for (int t = 0; t < steps; t++) {
                double loss = net.backward(PlainSgdMlp.rows(data[0], 16 * t, 16), PlainSgdMlp.rows(data[1], 16 * t, 16));
                monitor.onStep(net.snapshot(t, loss, optimizer.settings()));
                double[] parts = new double[PARTS.length];
                for (int p = 0; p < PARTS.length; p++) {
                    parts[p] = value(monitor, "charge.drift.rate.part", with(pair, "part", PARTS[p]));
                }
                out.add(new Observed(t, net.charge(layer), scale(net, layer), identity(net, layer),
                        value(monitor, "charge.drift.rate", pair),
                        value(monitor, "charge.drift.rate.predicted", pair), value(monitor, "charge.residual", pair),
                        parts, value(monitor, "symmetry.violation", pair), value(monitor, "rotation.violation", pair)));
                optimizer.step(net);
            }
            assertThat(monitor.errors(Stage.STEP)).isZero();
        }
        return out;
    }

    private static double value(NoetherMonitor monitor, String metric, String[] tags) {
        return monitor.value(metric, tags).orElse(Double.NaN);
    }

    private static String[] with(String[] tags, String key, String value) {
        String[] out = java.util.Arrays.copyOf(tags, tags.length + 2);
        out[tags.length] = key;
        out[tags.length + 1] = value;
        return out;
    }

    /** θᵀAĝ = W_l·G_l + b_l·g_l − W_{l+1}·G_{l+1}, by explicit sums: 0 when the loss has the pair's symmetry. */
    static double identity(PlainSgdMlp net, int l) {
        double s = 0;
        for (int i = 0; i < net.w[l].length; i++) {
            s += (double) net.w[l][i] * net.gw[l][i];
        }
        if (net.b[l] != null) {
            for (int i = 0; i < net.b[l].length; i++) {
                s += (double) net.b[l][i] * net.gb[l][i];
            }
        }
        for (int i = 0; i < net.w[l + 1].length; i++) {
            s -= (double) net.w[l + 1][i] * net.gw[l + 1][i];
        }
        return s;
    }

    /** S = ‖W_l‖² + ‖b_l‖² + ‖W_{l+1}‖², by explicit sums. */
    static double scale(PlainSgdMlp net, int l) {
        double s = 0;
        for (float v : net.w[l]) {
            s += (double) v * v;
        }
        if (net.b[l] != null) {
            for (float v : net.b[l]) {
                s += (double) v * v;
            }
        }
        for (float v : net.w[l + 1]) {
            s += (double) v * v;
        }
        return s;
    }

    private static PlainSgdMlp relu(long seed) {
        return new PlainSgdMlp(new int[] {6, 16, 16, 3}, true, PlainSgdMlp.Act.RELU, 0, 0, seed);
    }

    /** Asserts the residual at every step whose two predecessors were observed; returns how many were checked. */
    private static int residualsAtRoundOff(List<Observed> steps) {
        int checked = 0;
        double largest = 0;
        double moved = 0;
        for (Observed o : steps.subList(2, steps.size())) {
            assertThat(o.residual).as("residual at step %d", o.step).isLessThanOrEqualTo(1e-5);
            largest = Math.max(largest, o.residual);
            moved += Math.abs(o.rate);
            checked++;
        }
        // not trivially satisfied: the charge moves by far more than the residual
        assertThat(moved / checked).as("mean |rate|").isGreaterThan(100 * largest);
        assertThat(steps.get(1).predicted).as("heavy ball and Nesterov need the update before").isNaN();
        return checked;
    }

    private static double meanAbs(List<Observed> steps, String part) {
        return steps.subList(1, steps.size()).stream().mapToDouble(o -> Math.abs(o.part(part))).average().orElseThrow();
    }

    @ParameterizedTest
    @ValueSource(doubles = {0, 0.01})
    void heavyBallFollowsItsExactPredictionAtEveryStep(double l2) {
        List<Observed> steps = train(relu(1), Activation.RELU, HandOptimizer.momentum(0.05, 0.9, l2), 120, PAIR1, 0);
        assertThat(residualsAtRoundOff(steps)).isEqualTo(118);
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "l2", "decoupled", "both"})
    void nesterovFollowsItsExactPredictionAtEveryStep(String decay) {
        double l2 = decay.equals("l2") || decay.equals("both") ? 0.01 : 0;
        double decoupled = decay.equals("decoupled") || decay.equals("both") ? 5e-4 : 0;
        List<Observed> steps = train(relu(2), Activation.RELU, HandOptimizer.nesterov(0.05, 0.9, l2, decoupled), 120,
                PAIR1, 0);
        assertThat(residualsAtRoundOff(steps)).isEqualTo(118);
    }

    /** The momentum terms matter: the same heavy-ball run predicted as plain SGD misses by far more than round-off. */
    @Test
    void heavyBallPredictedAsPlainSgdMissesTheCharge() {
        HandOptimizer momentum = HandOptimizer.momentum(0.05, 0.9, 0.01);
        PlainSgdMlp net = relu(1);
        double[][][] data = PlainSgdMlp.teacherData(256, 6, 3, 2);
        double largest = 0;
        try (NoetherMonitor monitor = NoetherMonitor.builder(net.describe("m", Activation.RELU)).config(EVERY_STEP).build()) {
            for (int t = 0; t < 40; t++) {
                double loss = net.backward(PlainSgdMlp.rows(data[0], 16 * t, 16), PlainSgdMlp.rows(data[1], 16 * t, 16));
                monitor.onStep(net.snapshot(t, loss, dev.noether.core.model.OptimizerSettings.plainSgd(0.05, 0.01, 0.01)));
                largest = Math.max(largest, monitor.value("charge.residual", PAIR1).orElse(0));
                momentum.step(net);
            }
        }
        assertThat(largest).isGreaterThan(1e-3);
    }

    /**
     * The parts sum to the observed rate to round-off, the optimizer moves the charge most, and the gradient part is
     * 0 while the symmetry holds (ReLU): under Adam, AdamW and RMSProp.
     */
    @ParameterizedTest
    @ValueSource(strings = {"adam", "adamw", "rmsprop"})
    void underAdaptiveOptimizersThePartsSumToTheRateAndTheOptimizerDominates(String name) {
        List<Observed> steps = train(relu(3), Activation.RELU, adaptive(name), 80, PAIR1, 0);
        double optimizer = meanAbs(steps, "optimizer");
        for (Observed o : steps.subList(1, steps.size())) {
            Observed before = steps.get((int) o.step - 1);
            double independent = (o.q - before.q) / before.scale;
            assertThat(o.rate).as("rate at %d", o.step).isCloseTo(independent, within(1e-9 * Math.abs(independent)));
            assertThat(o.partSum()).as("parts at %d", o.step).isCloseTo(o.rate, within(1e-9 * Math.abs(o.rate)));
            assertThat(Math.abs(o.part("gradient"))).as("gradient part at %d", o.step).isLessThan(1e-6 * optimizer);
        }
        // over training (a single step can be dominated by its second-order term)
        assertThat(optimizer).as("mean |optimizer part|").isGreaterThan(meanAbs(steps, "decay"))
                .isGreaterThan(meanAbs(steps, "step")).isGreaterThan(meanAbs(steps, "gradient"));
        assertThat(steps.get(40).predicted).as("no prediction under " + name).isNaN();
    }

    /** A tanh network described as ReLU: the gradient part says that the symmetry is broken. */
    @ParameterizedTest
    @ValueSource(strings = {"adam", "sgd"})
    void aTanhPairDescribedAsReluHasAClearGradientPart(String name) {
        PlainSgdMlp tanh = new PlainSgdMlp(new int[] {6, 16, 16, 3}, true, PlainSgdMlp.Act.TANH, 0, 0, 4);
        HandOptimizer optimizer = name.equals("adam") ? adaptive("adam") : HandOptimizer.sgd(0.05, 0.01, 0);
        List<Observed> steps = train(tanh, Activation.RELU, optimizer, 60, PAIR1, 0);
        double gradient = 0;
        double total = 0;
        for (Observed o : steps.subList(1, steps.size())) {
            assertThat(o.partSum()).isCloseTo(o.rate, within(1e-9 * Math.abs(o.rate)));
            gradient += Math.abs(o.part("gradient"));
            total += Math.abs(o.part("decay")) + Math.abs(o.part("optimizer")) + Math.abs(o.part("step"));
        }
        assertThat(gradient).as("gradient part against the other parts").isGreaterThan(0.05 * total);
    }

    /**
     * Under plain SGD without decay η_eff = η, so the gradient part is −2η θᵀAĝ / S, with θᵀAĝ summed here from the
     * network's own arrays: its value and sign, on a tanh pair described as ReLU where it is far from 0.
     */
    @Test
    void theGradientPartIsMinusTwoEtaThetaAGOverSUnderPlainSgd() {
        double eta = 0.05;
        PlainSgdMlp tanh = new PlainSgdMlp(new int[] {6, 16, 16, 3}, true, PlainSgdMlp.Act.TANH, 0, 0, 4);
        List<Observed> steps = train(tanh, Activation.RELU, HandOptimizer.sgd(eta, 0, 0), 40, PAIR1, 0);
        double broken = 0;
        for (Observed o : steps.subList(1, steps.size())) {
            Observed before = steps.get((int) o.step - 1);
            double expected = -2 * eta * before.identity / before.scale;
            broken += Math.abs(expected) / (steps.size() - 1);
            // float32 rounding of the update: ~1e-9 of S
            assertThat(o.part("gradient")).as("gradient part at %d", o.step)
                    .isCloseTo(expected, within(1e-5 * Math.abs(expected) + 1e-8));
            assertThat(Math.abs(o.part("optimizer"))).as("optimizer part at %d", o.step).isLessThan(1e-7);
        }
        assertThat(broken).as("mean |gradient part|: the symmetry is broken").isGreaterThan(1e-5);
    }

    /** Plain SGD: the optimizer part is 0 and the decay part −2ηγQ/S, to round-off. */
    @Test
    void underPlainSgdTheOptimizerPartIsZeroAndTheDecayPartIsMinusTwoEtaGammaQOverS() {
        double eta = 0.05;
        double gamma = 0.01;
        List<Observed> steps = train(relu(5), Activation.RELU, HandOptimizer.sgd(eta, gamma, 0), 80, PAIR1, 0);
        double rate = steps.subList(1, steps.size()).stream().mapToDouble(o -> Math.abs(o.rate)).average().orElseThrow();
        for (Observed o : steps.subList(1, steps.size())) {
            Observed before = steps.get((int) o.step - 1);
            double decay = -2 * eta * gamma * before.q / before.scale;
            assertThat(o.part("decay")).as("decay at %d", o.step).isCloseTo(decay, within(1e-9 * Math.abs(decay)));
            // round-off here is the float32 rounding of the engine's update, as for the residual (≤ 1e-5 of S)
            assertThat(Math.abs(o.part("optimizer"))).as("optimizer at %d", o.step).isLessThan(1e-7)
                    .isLessThan(1e-3 * rate);
            assertThat(o.partSum()).isCloseTo(o.rate, within(1e-9 * Math.abs(o.rate)));
            assertThat(o.residual).isLessThanOrEqualTo(1e-5);
        }
    }

    /** Decoupled decay is the decay part too: W = −Σ s_p δ(2 − δ)‖θ_p‖², so −δ(2 − δ)Q/S under AdamW. */
    @Test
    void underAdamWTheDecayPartIsTheDecoupledShrink() {
        double eta = 0.01;
        double wd = 0.1;
        List<Observed> steps = train(relu(6), Activation.RELU, HandOptimizer.adamW(eta, wd), 30, PAIR2, 1);
        double delta = eta * wd;
        for (Observed o : steps.subList(1, steps.size())) {
            Observed before = steps.get((int) o.step - 1);
            double decay = -delta * (2 - delta) * before.q / before.scale;
            // the update shrinks by δ rounded to float, as the engines do: 1e-7 relative
            assertThat(o.part("decay")).as("decay at %d", o.step).isCloseTo(decay, within(1e-6 * Math.abs(decay)));
        }
    }

    /**
     * Rotation pairs (identity activation, no bias): SGD and heavy ball keep Skew(ΔW_l W_lᵀ − W_{l+1}ᵀ ΔW_{l+1}) at
     * round-off, Adam does not.
     */
    @Test
    void theRotationViolationIsRoundOffUnderSgdAndMomentumAndLargeUnderAdam() {
        String[] rotation = {"pair", "fc1:fc2", "symmetry", "rotation"};
        assertThat(meanRotation(HandOptimizer.sgd(0.05, 0.01, 0), rotation)).isLessThan(1e-4);
        assertThat(meanRotation(HandOptimizer.momentum(0.02, 0.9, 0.01), rotation)).isLessThan(1e-4);
        assertThat(meanRotation(HandOptimizer.adam(0.01, 0), rotation)).isGreaterThan(0.05);
    }

    private static double meanRotation(HandOptimizer optimizer, String[] pair) {
        PlainSgdMlp linear = new PlainSgdMlp(new int[] {6, 8, 8, 3}, false, PlainSgdMlp.Act.IDENTITY, 0, 0, 7);
        List<Observed> steps = train(linear, Activation.IDENTITY, optimizer, 40, pair, 0);
        double sum = 0;
        for (Observed o : steps.subList(1, steps.size())) {
            assertThat(o.rotation).as("rotation violation at %d", o.step).isFinite();
            sum += o.rotation;
        }
        assertThat(steps.get(0).rotation).as("needs two steps").isNaN();
        return sum / (steps.size() - 1);
    }

    private static HandOptimizer adaptive(String name) {
        return switch (name) {
            case "adam" -> HandOptimizer.adam(0.01, 0.001);
            case "adamw" -> HandOptimizer.adamW(0.01, 0.05);
            default -> HandOptimizer.rmsProp(0.005, 0.001, 1e-4);
        };
    }
}
