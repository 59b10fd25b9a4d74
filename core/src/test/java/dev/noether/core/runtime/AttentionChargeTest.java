package dev.noether.core.runtime;

import dev.noether.core.model.LayerSnapshot;
import dev.noether.core.model.Merge;
import dev.noether.core.model.NetworkDescription;
import dev.noether.core.model.OptimizerSettings;
import dev.noether.core.model.StepSnapshot;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The step tier's attention pairs (METRICS.md §12) against sums written out here: ‖C‖_F, tr C / S and the drift of
 * C_QK = W̃_Q W̃_Qᵀ − W̃_K W̃_Kᵀ (head blocks only) over two steps of plain SGD; and, since these gradients are random
 * (no loss has them), a symmetry violation and a residual far from round-off.
 */
class AttentionChargeTest {
    private static final int IN = 3;
    private static final int HEAD = 2;
    private static final int D = 2 * HEAD;
    private static final int OUT = 3;
    private static final String[] QK = {"pair", "attn:qk", "symmetry", "double_rotation"};

    @Test
    void chargeRelativeChargeAndDriftAreTheHeadBlocksOfTheGramDifference() {
        NetworkDescription net = NetworkDescription.builder("attention")
                .dense("q", D, IN, true, NetworkDescription.INPUT)
                .dense("k", D, IN, true, NetworkDescription.INPUT)
                .dense("v", D, IN, true, NetworkDescription.INPUT)
                .merge("heads", Merge.ATTENTION, "q", "k", "v")
                .dense("o", OUT, D, true, "heads")
                .attention("attn", "q", "k", "v", "o", HEAD)
                .build();
        Random r = new Random(11);
        float[][] w = {gaussian(r, D * IN), gaussian(r, D * IN), gaussian(r, D * IN), gaussian(r, OUT * D)};
        float[][] b = {gaussian(r, D), gaussian(r, D), gaussian(r, D), gaussian(r, OUT)};
        float[][] gw = {gaussian(r, D * IN), gaussian(r, D * IN), gaussian(r, D * IN), gaussian(r, OUT * D)};
        float[][] gb = {gaussian(r, D), gaussian(r, D), gaussian(r, D), gaussian(r, OUT)};
        double eta = 0.1;
        double gamma = 0.01;
        OptimizerSettings sgd = OptimizerSettings.plainSgd(eta, gamma, gamma);
        StepTier tier = new StepTier(net, 1);
        NoetherReport first = tier.observe(snapshot(0, w, b, gw, gb, sgd), Instant.EPOCH, i -> { });
        double[] c0 = charge(w[0], b[0], w[1], b[1]);
        assertThat(first.value("charge", QK).getAsDouble()).isCloseTo(norm(c0), within(1e-4 * norm(c0)));
        double s0 = squares(w[0]) + squares(b[0]) + squares(w[1]) + squares(b[1]);
        assertThat(first.value("charge.relative", QK).getAsDouble()).isCloseTo(trace(c0) / s0, within(1e-6));
        assertThat(first.value("charge.drift", QK).getAsDouble()).isZero();

        float[][] w1 = new float[4][];
        float[][] b1 = new float[4][];
        for (int p = 0; p < 4; p++) {
            w1[p] = step(w[p], gw[p], eta, gamma);
            b1[p] = step(b[p], gb[p], eta, gamma);
        }
        NoetherReport second = tier.observe(snapshot(1, w1, b1, gw, gb, sgd), Instant.EPOCH, i -> { });
        double[] c1 = charge(w1[0], b1[0], w1[1], b1[1]);
        double[] diff = new double[c1.length];
        for (int i = 0; i < diff.length; i++) {
            diff[i] = c1[i] - c0[i];
        }
        assertThat(second.value("charge.drift", QK).getAsDouble()).isCloseTo(norm(diff) / s0, within(1e-4 * norm(diff) / s0));
        assertThat(second.value("charge.drift.rate", QK).getAsDouble())
                .isCloseTo((trace(c1) - trace(c0)) / s0, within(1e-5));
        // random gradients break the Noether identity: the first-order term the prediction drops is there
        assertThat(second.value("symmetry.violation", QK).getAsDouble()).isGreaterThan(0.1);
        assertThat(second.value("charge.residual", QK).getAsDouble()).isGreaterThan(1e-3);
    }

    private static StepSnapshot snapshot(long step, float[][] w, float[][] b, float[][] gw, float[][] gb,
                                         OptimizerSettings o) {
        StepSnapshot.Builder s = StepSnapshot.builder(step).optimizer(o);
        for (int p = 0; p < 4; p++) {
            s.layer(LayerSnapshot.of(w[p], b[p], gw[p], gb[p]));
        }
        return s.build();
    }

    /** C_QK with all entries between different heads left out: per head, Σ over the head's rows of [w | b]. */
    private static double[] charge(float[] wq, float[] bq, float[] wk, float[] bk) {
        double[] c = new double[D * D];
        for (int i = 0; i < D; i++) {
            for (int j = 0; j < D; j++) {
                if (i / HEAD != j / HEAD) {
                    continue;
                }
                double s = (double) bq[i] * bq[j] - (double) bk[i] * bk[j];
                for (int k = 0; k < IN; k++) {
                    s += (double) wq[i * IN + k] * wq[j * IN + k] - (double) wk[i * IN + k] * wk[j * IN + k];
                }
                c[i * D + j] = s;
            }
        }
        return c;
    }

    private static double norm(double[] a) {
        double s = 0;
        for (double v : a) {
            s += v * v;
        }
        return Math.sqrt(s);
    }

    private static double trace(double[] c) {
        double t = 0;
        for (int i = 0; i < D; i++) {
            t += c[i * D + i];
        }
        return t;
    }

    private static double squares(float[] a) {
        double s = 0;
        for (float v : a) {
            s += (double) v * v;
        }
        return s;
    }

    private static float[] step(float[] theta, float[] g, double eta, double gamma) {
        float[] out = new float[theta.length];
        for (int i = 0; i < theta.length; i++) {
            out[i] = (float) (theta[i] - eta * (g[i] + gamma * theta[i]));
        }
        return out;
    }

    private static float[] gaussian(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }
}
