package dev.noether.core.runtime;

import dev.noether.core.model.Activation;
import dev.noether.core.model.LayerKind;
import dev.noether.core.model.LayerSnapshot;
import dev.noether.core.model.NetworkDescription;
import dev.noether.core.model.Op;
import dev.noether.core.model.OptimizerSettings;
import dev.noether.core.model.StepSnapshot;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Charges, symmetry violation and the plain-SGD prediction of a conv→maxpool→conv pair (METRICS.md §10) against
 * explicit loops over the 4-d weight tensors (C_out, C_in, k_h, k_w), where u_i = W2[:, i, :, :].
 */
class ChannelGroupedChargeTest {
    private static final int M = 3;       // channels of c1 (its C_out)
    private static final int IN = 2;      // C_in of c1
    private static final int K1 = 2;      // c1 kernel 2x2
    private static final int OUT = 4;     // C_out of c2
    private static final int K2 = 3;      // c2 kernel 3x3
    private static final String[] PAIR = {"pair", "c1:c2", "symmetry", "rescaling"};

    private static NetworkDescription convPool() {
        return NetworkDescription.builder("conv")
                .conv("c1", LayerKind.CONV2D, M, IN, true, new int[] {K1, K1}).activation(Activation.RELU)
                .op("pool", Op.MAX_POOL)
                .conv("c2", LayerKind.CONV2D, OUT, M, true, new int[] {K2, K2})
                .build();
    }

    private static float[] gaussian(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }

    private static int w1(int o, int c, int y, int x) {
        return ((o * IN + c) * K1 + y) * K1 + x;
    }

    private static int w2(int o, int c, int y, int x) {
        return ((o * M + c) * K2 + y) * K2 + x;
    }

    /** w_i·a_i + b_i·β_i − u_i·c_i for arrays of the two layers' shapes, by explicit 4-d loops. */
    private static double[] perChannel(float[] wa, float[] wb, float[] ba, float[] bb, float[] ua, float[] ub) {
        double[] out = new double[M];
        for (int i = 0; i < M; i++) {
            double s = (double) ba[i] * bb[i];
            for (int c = 0; c < IN; c++) {
                for (int y = 0; y < K1; y++) {
                    for (int x = 0; x < K1; x++) {
                        s += (double) wa[w1(i, c, y, x)] * wb[w1(i, c, y, x)];
                    }
                }
            }
            for (int o = 0; o < OUT; o++) {
                for (int y = 0; y < K2; y++) {
                    for (int x = 0; x < K2; x++) {
                        s -= (double) ua[w2(o, i, y, x)] * ub[w2(o, i, y, x)];
                    }
                }
            }
            out[i] = s;
        }
        return out;
    }

    private static double[] perChannelMagnitude(float[] wa, float[] wb, float[] ba, float[] bb, float[] ua, float[] ub) {
        double[] out = new double[M];
        for (int i = 0; i < M; i++) {
            double w = 0;
            double u = 0;
            for (int c = 0; c < IN; c++) {
                for (int y = 0; y < K1; y++) {
                    for (int x = 0; x < K1; x++) {
                        w += (double) wa[w1(i, c, y, x)] * wb[w1(i, c, y, x)];
                    }
                }
            }
            for (int o = 0; o < OUT; o++) {
                for (int y = 0; y < K2; y++) {
                    for (int x = 0; x < K2; x++) {
                        u += (double) ua[w2(o, i, y, x)] * ub[w2(o, i, y, x)];
                    }
                }
            }
            out[i] = Math.abs(w) + Math.abs((double) ba[i] * bb[i]) + Math.abs(u);
        }
        return out;
    }

    private record Params(float[] w1, float[] b1, float[] w2, float[] b2, float[] g1, float[] gb1, float[] g2,
                          float[] gb2) {
        StepSnapshot snapshot(long step, OptimizerSettings o) {
            return StepSnapshot.builder(step).loss(1).optimizer(o)
                    .layer(LayerSnapshot.of(w1.clone(), b1.clone(), g1.clone(), gb1.clone()))
                    .layer(LayerSnapshot.of(w2.clone(), b2.clone(), g2.clone(), gb2.clone()))
                    .build();
        }
    }

    private static Params random(Random r) {
        return new Params(gaussian(r, M * IN * K1 * K1), gaussian(r, M), gaussian(r, OUT * M * K2 * K2), gaussian(r, OUT),
                gaussian(r, M * IN * K1 * K1), gaussian(r, M), gaussian(r, OUT * M * K2 * K2), gaussian(r, OUT));
    }

    @Test
    void perChannelChargesSumTheKernelColumnsOfTheNextConvolution() {
        Params p = random(new Random(3));
        StepTier tier = new StepTier(convPool(), 1);
        NoetherReport report = tier.observe(p.snapshot(0, OptimizerSettings.unknown()), Instant.EPOCH, i -> { });
        double[] expected = perChannel(p.w1, p.w1, p.b1, p.b1, p.w2, p.w2);
        assertThat(tier.neuronCharges()[0]).containsExactly(expected, within(1e-9));
        double q = expected[0] + expected[1] + expected[2];
        assertThat(report.value("charge", PAIR).getAsDouble()).isCloseTo(q, within(1e-9));
    }

    /**
     * Gradients made to satisfy the per-channel identity w_i·ĝ_w + b_i ĝ_b − u_i·ĝ_u = 0 give a zero violation
     * only when u_i is channel i's whole kernel block; the same gradients read column by column do not.
     */
    @Test
    void theViolationIsZeroForGradientsWithTheChannelSymmetry() {
        Params p = random(new Random(4));
        double[] rest = perChannel(p.w1, p.g1, new float[M], new float[M], p.w2, p.g2);
        for (int i = 0; i < M; i++) {
            p.gb1[i] = (float) (-rest[i] / p.b1[i]); // b_i ĝ_b = −(w_i·ĝ_w − u_i·ĝ_u)
        }
        StepTier tier = new StepTier(convPool(), 1);
        NoetherReport report = tier.observe(p.snapshot(0, OptimizerSettings.unknown()), Instant.EPOCH, i -> { });
        double[] identity = perChannel(p.w1, p.g1, p.b1, p.gb1, p.w2, p.g2);
        double[] magnitude = perChannelMagnitude(p.w1, p.g1, p.b1, p.gb1, p.w2, p.g2);
        double expected = (Math.abs(identity[0]) + Math.abs(identity[1]) + Math.abs(identity[2]))
                / (magnitude[0] + magnitude[1] + magnitude[2]);
        assertThat(expected).isLessThan(1e-6);
        assertThat(report.value("symmetry.violation", PAIR).getAsDouble()).isCloseTo(expected, within(1e-6));

        // the same arrays with a random gradient bias: the identity's hand loop and the monitor agree again
        Params q = random(new Random(5));
        NoetherReport other = new StepTier(convPool(), 1).observe(q.snapshot(0, OptimizerSettings.unknown()),
                Instant.EPOCH, i -> { });
        double[] id = perChannel(q.w1, q.g1, q.b1, q.gb1, q.w2, q.g2);
        double[] mag = perChannelMagnitude(q.w1, q.g1, q.b1, q.gb1, q.w2, q.g2);
        double v = (Math.abs(id[0]) + Math.abs(id[1]) + Math.abs(id[2])) / (mag[0] + mag[1] + mag[2]);
        assertThat(v).isGreaterThan(0.05);
        assertThat(other.value("symmetry.violation", PAIR).getAsDouble()).isCloseTo(v, within(1e-9));
    }

    /** Drift Σ_i |C_i(t) − C_i(t0)| / S(t0) and the plain-SGD prediction against per-channel hand loops. */
    @Test
    void driftAndPredictionFollowThePerChannelSums() {
        double eta = 0.1;
        double gamma = 0.3;
        OptimizerSettings sgd = OptimizerSettings.plainSgd(eta, gamma, gamma);
        Random r = new Random(6);
        Params p0 = random(r);
        StepTier tier = new StepTier(convPool(), 1);
        tier.observe(p0.snapshot(0, sgd), Instant.EPOCH, i -> { });
        // the prediction for step 1 by explicit loops: Σ s_p [(1−ηγ)²‖θ_p‖² + η²‖ĝ_p‖² + 2η²γ θ_p·ĝ_p]
        double k = (1 - eta * gamma) * (1 - eta * gamma);
        double[] sq = perChannel(p0.w1, p0.w1, p0.b1, p0.b1, p0.w2, p0.w2);
        double[] gsq = perChannel(p0.g1, p0.g1, p0.gb1, p0.gb1, p0.g2, p0.g2);
        double[] dot = perChannel(p0.w1, p0.g1, p0.b1, p0.gb1, p0.w2, p0.g2);
        double predicted = 0;
        double q0 = 0;
        double s0 = 0;
        double[] mag0 = perChannelMagnitude(p0.w1, p0.w1, p0.b1, p0.b1, p0.w2, p0.w2);
        for (int i = 0; i < M; i++) {
            predicted += k * sq[i] + eta * eta * gsq[i] + 2 * eta * eta * gamma * dot[i];
            q0 += sq[i];
            s0 += mag0[i];
        }
        // any next state: the monitor's predicted rate is (prediction − Q(0)) / S(0)
        Params p1 = random(r);
        NoetherReport report = tier.observe(p1.snapshot(1, sgd), Instant.EPOCH, i -> { });
        double[] c1 = perChannel(p1.w1, p1.w1, p1.b1, p1.b1, p1.w2, p1.w2);
        double q1 = c1[0] + c1[1] + c1[2];
        assertThat(report.value("charge.drift.rate.predicted", PAIR).getAsDouble())
                .isCloseTo((predicted - q0) / s0, within(1e-9));
        assertThat(report.value("charge.drift.rate", PAIR).getAsDouble()).isCloseTo((q1 - q0) / s0, within(1e-9));
        double drift = 0;
        for (int i = 0; i < M; i++) {
            drift += Math.abs(c1[i] - sq[i]);
        }
        assertThat(report.value("charge.drift", PAIR).getAsDouble()).isCloseTo(drift / s0, within(1e-9));
    }
}
