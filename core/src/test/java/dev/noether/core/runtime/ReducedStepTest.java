package dev.noether.core.runtime;

import dev.noether.core.catalogue.MetricFamily;
import dev.noether.core.model.Activation;
import dev.noether.core.model.LayerReductions;
import dev.noether.core.model.LayerSnapshot;
import dev.noether.core.model.NetworkDescription;
import dev.noether.core.model.StepSnapshot;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * A step handed as per-neuron sums ({@link LayerReductions}, written out here by plain loops, as an engine
 * would reduce) gives the every-step tier the same figures as the full arrays, including the update ratio
 * from the adapter's ‖ΔW‖²; full weights are asked for ({@link NoetherMonitor#wantsWeights}) exactly on the
 * steps an analysis may read, and a due analysis is never handed a step without them.
 */
class ReducedStepTest {

    @Test
    void reducedStepsGiveTheSameFiguresAsFullArraysAndWeightsAreAskedForOnlyWhereAnAnalysisIsDue() {
        PlainSgdMlp net = new PlainSgdMlp(new int[] {5, 7, 6, 2}, true, PlainSgdMlp.Act.RELU, 0.05, 0.01, 3);
        NetworkDescription d = net.describe("reduced", Activation.RELU);
        double[][][] data = PlainSgdMlp.teacherData(64, 5, 2, 4);
        NoetherConfig config = NoetherConfig.builder().observeEvery(1).analysisEvery(3)
                .minAnalysisInterval(Duration.ZERO).maxAnalysisShare(1).overheadBudget(1).build();
        try (NoetherMonitor arrays = NoetherMonitor.builder(d).config(config).build();
             NoetherMonitor reduced = NoetherMonitor.builder(d).config(config).build()) {
            float[][] previous = new float[net.layers()][];
            int analysed = 0;
            for (int t = 0; t < 7; t++) {
                double loss = net.backward(PlainSgdMlp.rows(data[0], 8 * t, 8), PlainSgdMlp.rows(data[1], 8 * t, 8));
                StepSnapshot full = net.snapshot(t, loss, net.sgd());
                arrays.onStep(full);
                // asked while the step is captured, as the adapters do
                boolean[] weights = new boolean[1];
                StepSnapshot[] captured = new StepSnapshot[1];
                int step = t;
                reduced.onStep(t, () -> {
                    weights[0] = reduced.wantsWeights(step);
                    // a step without weights is never analysed, even when due
                    captured[0] = reduce(full, previous, weights[0] && step != 3);
                    return captured[0];
                });
                StepSnapshot handed = captured[0];
                // due at 0, then at 3; 3 gets no weights, so the analysis stays due at 4, then next at 7
                assertThat(weights[0]).as("step " + t).isEqualTo(t == 0 || t == 3 || t == 4);
                for (int l = 0; l < net.layers(); l++) {
                    previous[l] = full.layer(l).weight().clone();
                }
                // the drift's parts need the sums between consecutive host copies: absent on engine reductions
                Map<MetricKey, Double> expected = new LinkedHashMap<>(arrays.latestStep().values());
                expected.keySet().removeIf(k -> k.metric() == MetricFamily.CHARGE_DRIFT_RATE_PART);
                Map<MetricKey, Double> actual = reduced.latestStep().values();
                assertThat(actual.keySet()).isEqualTo(expected.keySet());
                expected.forEach((k, v) -> {
                    if (Double.isNaN(v)) {
                        assertThat(actual.get(k)).as(k + " step").isNaN();
                    } else {
                        assertThat(actual.get(k)).as(k.toString()).isCloseTo(v, within(1e-12 * Math.abs(v) + 1e-15));
                    }
                });
                double ratio = reduced.latestStep().value("layer.update.ratio", "layer", d.layers().get(1).name())
                        .orElse(Double.NaN);
                assertThat(Double.isFinite(ratio) && ratio > 0).as("update ratio at " + t).isEqualTo(t > 0);
                boolean handedOff = reduced.analyze(t, null);
                if (handedOff) {
                    analysed++;
                    assertThat(handed.layer(0).hasWeights()).isTrue();
                    MonitorBehaviourTest.awaitIdle(reduced); // so that no later due analysis finds the thread busy
                }
                if (t == 3) {
                    assertThat(handedOff).as("a step without weights is not analysed").isFalse();
                }
                net.update();
            }
            assertThat(analysed).isEqualTo(2); // steps 0 and 4
        }
    }

    /** The sums an engine would hand over, by separate plain loops (not LayerMoments); ΔW against {@code previous}. */
    private static StepSnapshot reduce(StepSnapshot s, float[][] previous, boolean withWeights) {
        StepSnapshot.Builder b = StepSnapshot.builder(s.step()).loss(s.loss()).optimizer(s.optimizer());
        for (int l = 0; l < s.layers().size(); l++) {
            LayerSnapshot a = s.layer(l);
            int m = a.bias() != null ? a.bias().length : 0;
            int n = a.weight().length / m;
            double[] rowSq = new double[m];
            double[] rowGradSq = new double[m];
            double[] rowDot = new double[m];
            double[] colSq = new double[n];
            double[] colGradSq = new double[n];
            double[] colDot = new double[n];
            double delta = previous[l] == null ? Double.NaN : 0;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double w = a.weight()[i * n + j];
                    double g = a.weightGradient()[i * n + j];
                    rowSq[i] += w * w;
                    rowGradSq[i] += g * g;
                    rowDot[i] += w * g;
                    colSq[j] += w * w;
                    colGradSq[j] += g * g;
                    colDot[j] += w * g;
                    if (previous[l] != null) {
                        double dw = w - previous[l][i * n + j];
                        delta += dw * dw;
                    }
                }
            }
            double[] biasSq = new double[m];
            double[] biasGradSq = new double[m];
            double[] biasDot = new double[m];
            for (int i = 0; i < m; i++) {
                biasSq[i] = (double) a.bias()[i] * a.bias()[i];
                biasGradSq[i] = (double) a.biasGradient()[i] * a.biasGradient()[i];
                biasDot[i] = (double) a.bias()[i] * a.biasGradient()[i];
            }
            LayerReductions r = new LayerReductions(rowSq, rowGradSq, rowDot, biasSq, biasGradSq, biasDot,
                    colSq, colGradSq, colDot, delta);
            b.layer(LayerSnapshot.reduced(r, withWeights ? a.weight() : null, withWeights ? a.bias() : null));
        }
        return b.build();
    }
}
