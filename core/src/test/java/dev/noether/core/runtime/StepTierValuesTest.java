package dev.noether.core.runtime;

import dev.noether.core.model.NetworkDescription;
import dev.noether.core.model.Activation;
import dev.noether.core.model.Normalization;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The every-step tier's balance and update figures (METRICS.md §2, §3), each against a sum written out here on
 * the harness's own arrays: charge.relative, charge.drift.rate, pair.norm.ratio, layer.update.ratio,
 * layer.effective.learning.rate, layer.gradient.norm, norm.imbalance and norm.spread.
 */
class StepTierValuesTest {
    private static final double ETA = 0.05;
    private static final String[] PAIR1 = {"pair", "fc1:fc2", "symmetry", "rescaling"};

    /** 5-8-8-8-2 ReLU, fc2 followed by a batch norm (scale-invariant, and its pair with fc3 broken). */
    private static NetworkDescription describe(PlainSgdMlp net) {
        return NetworkDescription.builder("values")
                .dense("fc1", 8, 5, true).activation(Activation.RELU)
                .dense("fc2", 8, 8, true).normalization(Normalization.BATCH_NORM, "bn").activation(Activation.RELU)
                .dense("fc3", 8, 8, true).activation(Activation.RELU)
                .dense("fc4", 2, 8, true)
                .build();
    }

    @Test
    void balanceAndUpdateFiguresMatchSumsWrittenOutHere() {
        PlainSgdMlp net = new PlainSgdMlp(new int[] {5, 8, 8, 8, 2}, true, PlainSgdMlp.Act.RELU, ETA, 0.01, 11);
        // unequal layer scales, so that ratios, CV and spread are far from their balanced values
        scale(net.w[1], 2.0f);
        scale(net.w[2], 0.5f);
        double[][][] data = PlainSgdMlp.teacherData(64, 5, 2, 12);
        NoetherConfig everyStep = NoetherConfig.builder().analysisEvery(1).observeEvery(1)
                .minAnalysisInterval(Duration.ZERO).maxAnalysisShare(1).overheadBudget(1).build();
        try (NoetherMonitor monitor = NoetherMonitor.builder(describe(net)).config(everyStep).build()) {
            float[][] previous = null;
            double previousQ = Double.NaN;
            double previousS = Double.NaN;
            for (int t = 0; t < 5; t++) {
                double loss = net.backward(PlainSgdMlp.rows(data[0], 8 * t, 8), PlainSgdMlp.rows(data[1], 8 * t, 8));
                monitor.onStep(net.snapshot(t, loss, net.sgd()));

                double q = net.charge(0);
                double s = sq(net.w[0]) + sq(net.b[0]) + sq(net.w[1]);
                assertThat(value(monitor, "charge.relative", PAIR1)).isCloseTo(q / s, within(1e-9));
                if (t > 0) {
                    assertThat(value(monitor, "charge.drift.rate", PAIR1))
                            .isCloseTo((q - previousQ) / previousS, within(1e-6 * Math.abs((q - previousQ) / previousS) + 1e-12));
                }
                assertThat(value(monitor, "pair.norm.ratio", PAIR1))
                        .isCloseTo(Math.sqrt(sq(net.w[0]) / sq(net.w[1])), within(1e-9));
                for (int l = 0; l < 4; l++) {
                    String[] layer = {"layer", "fc" + (l + 1)};
                    // ‖ĝ_W‖ of the batch-mean loss, from the harness's own backward pass (biases excluded)
                    assertThat(value(monitor, "layer.gradient.norm", layer))
                            .isCloseTo(Math.sqrt(sq(net.gw[l])), within(1e-9 * Math.sqrt(sq(net.gw[l]))));
                    if (previous == null) {
                        assertThat(monitor.value("layer.update.ratio", layer)).isEmpty();
                    } else {
                        double delta = 0;
                        for (int i = 0; i < net.w[l].length; i++) {
                            delta += sq(net.w[l][i] - previous[l][i]);
                        }
                        // METRICS.md §3: ‖ΔW‖ / ‖W(t)‖
                        assertThat(value(monitor, "layer.update.ratio", layer))
                                .isCloseTo(Math.sqrt(delta / sq(net.w[l])), within(1e-9));
                    }
                }
                assertThat(value(monitor, "layer.effective.learning.rate", "layer", "fc2"))
                        .isCloseTo(ETA / sq(net.w[1]), within(1e-9 * ETA / sq(net.w[1])));
                assertThat(monitor.value("layer.effective.learning.rate", "layer", "fc1")).isEmpty();
                // intermediate layers: fc2, fc3 (not the first, not the last)
                double n2 = Math.sqrt(sq(net.w[1]));
                double n3 = Math.sqrt(sq(net.w[2]));
                double mean = (n2 + n3) / 2;
                assertThat(value(monitor, "norm.imbalance")).isCloseTo(Math.abs(n2 - n3) / 2 / mean, within(1e-9));
                assertThat(value(monitor, "norm.spread"))
                        .isCloseTo(Math.abs(sq(net.w[1]) - sq(net.w[2])) / 2, within(1e-9 * sq(net.w[1])));

                previous = new float[4][];
                for (int l = 0; l < 4; l++) {
                    previous[l] = net.w[l].clone();
                }
                previousQ = q;
                previousS = s;
                net.update();
            }
        }
    }

    private static double value(NoetherMonitor m, String metric, String... tags) {
        assertThat(m.value(metric, tags)).as(metric).isPresent();
        return m.value(metric, tags).getAsDouble();
    }

    private static void scale(float[] a, float by) {
        for (int i = 0; i < a.length; i++) {
            a[i] *= by;
        }
    }

    private static double sq(float[] a) {
        double s = 0;
        for (float v : a) {
            s += (double) v * v;
        }
        return s;
    }

    private static double sq(double x) {
        return x * x;
    }
}
