package dev.noether.djl;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The probe's moments against an independent computation: the forward pass and the per-sample backward pass
 * of a 5-6-3 ReLU network with DJL's L2 loss written out in double precision from the same weights.
 */
class ProbeRunnerTest {
    private static final int B = 10;
    private static final int N = 5;
    private static final int H = 6;
    private static final int K = 3;

    @Test
    void momentsMatchAHandWrittenForwardAndPerSampleBackwardPass() {
        TeacherStudent data = TeacherStudent.generate(64, N, K, 31);
        Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.1f)).build();
        try (DjlRun run = new DjlRun(Mlp.relu(H, K), data, sgd, 4)) {
            run.steps(3, 8);
            run.backward(8); // leaves a training step's gradients in place, as inside onTrainingBatch
            MappedNetwork net = new DjlNetworkMapper(run.trainer.getManager()).map("m", run.model.getBlock());
            float[] x = data.xRows(0, B);
            float[] y = data.yRows(0, B);
            List<ProbeRunner.Moments> moments;
            List<float[]> gradientsBefore = gradients(run);
            int arraysBefore;
            try (NDManager m = run.trainer.getManager().newSubManager();
                 ProbeBatch batch = ProbeBatch.copyOf(new NDList(m.create(x, new Shape(B, N))),
                         new NDList(m.create(y, new Shape(B, K))), 100, run.trainer.getManager(), Device.cpu())) {
                arraysBefore = liveArrays(run);
                moments = new ProbeRunner(net, batch).measure(run.trainer);
                assertThat(liveArrays(run)).as("arrays left behind by the probe").isEqualTo(arraysBefore);
            }
            assertThat(gradientsBefore.get(0)).as("a real training gradient").isNotEqualTo(new float[H * N]);
            assertThat(gradients(run)).as("training gradients after the probe")
                    .usingRecursiveComparison().isEqualTo(gradientsBefore);

            Reference ref = new Reference(run, x, y);
            assertThat(moments).hasSize(2);
            ProbeRunner.Moments hidden = moments.get(0);
            ProbeRunner.Moments out = moments.get(1);
            assertThat(hidden.samples()).isEqualTo(B);
            assertClose(hidden.inputMoment(), ref.moment(ref.x));
            assertClose(hidden.outputMoment(), ref.moment(ref.h1));
            assertClose(hidden.outputMean(), ref.mean(ref.h1));
            assertClose(hidden.activeFraction(), ref.activeShare(ref.h1));
            assertClose(hidden.outputGradientMoment(), ref.moment(ref.g1));
            assertClose(out.inputMoment(), ref.moment(ref.a1));
            assertClose(out.outputMoment(), ref.moment(ref.out));
            assertClose(out.outputGradientMoment(), ref.moment(ref.gOut));
        }
    }

    private static void assertClose(float[] actual, double[] expected) {
        assertThat(actual).hasSize(expected.length);
        double scale = 0;
        for (double e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        for (int i = 0; i < expected.length; i++) {
            assertThat((double) actual[i]).as("entry %d", i).isCloseTo(expected[i],
                    org.assertj.core.data.Offset.offset(1e-5 * Math.max(scale, 1e-3)));
        }
    }

    private static List<float[]> gradients(DjlRun run) {
        List<float[]> out = new ArrayList<>();
        for (Pair<String, Parameter> p : run.model.getBlock().getParameters()) {
            try (var g = p.getValue().getArray().getGradient()) {
                out.add(g.toFloatArray());
            }
        }
        return out;
    }

    static int liveArrays(DjlRun run) {
        NDManager root = run.trainer.getManager();
        while (root.getParentManager() != null) {
            root = root.getParentManager();
        }
        return root.getManagedArrays().size();
    }

    /** Forward and per-sample backward of ℓ_s = (1/K) Σ_k ½(ŷ_k − y_k)² in double (DJL's L2Loss per sample). */
    private static final class Reference {
        final double[][] x = new double[B][N];
        final double[][] h1 = new double[B][H];
        final double[][] a1 = new double[B][H];
        final double[][] out = new double[B][K];
        final double[][] gOut = new double[B][K];
        final double[][] g1 = new double[B][H];

        Reference(DjlRun run, float[] xs, float[] ys) {
            List<float[]> p = run.parameters(); // W1 (H×N), b1, W2 (K×H), b2
            float[] w1 = p.get(0);
            float[] b1 = p.get(1);
            float[] w2 = p.get(2);
            float[] b2 = p.get(3);
            for (int s = 0; s < B; s++) {
                for (int j = 0; j < N; j++) {
                    x[s][j] = xs[s * N + j];
                }
                for (int i = 0; i < H; i++) {
                    double v = b1[i];
                    for (int j = 0; j < N; j++) {
                        v += w1[i * N + j] * x[s][j];
                    }
                    h1[s][i] = v;
                    a1[s][i] = Math.max(0, v);
                }
                for (int k = 0; k < K; k++) {
                    double v = b2[k];
                    for (int i = 0; i < H; i++) {
                        v += w2[k * H + i] * a1[s][i];
                    }
                    out[s][k] = v;
                    gOut[s][k] = (v - ys[s * K + k]) / K;
                }
                for (int i = 0; i < H; i++) {
                    double v = 0;
                    for (int k = 0; k < K; k++) {
                        v += w2[k * H + i] * gOut[s][k];
                    }
                    g1[s][i] = h1[s][i] > 0 ? v : 0;
                }
            }
        }

        double[] moment(double[][] h) {
            int d = h[0].length;
            double[] m = new double[d * d];
            for (double[] row : h) {
                for (int i = 0; i < d; i++) {
                    for (int j = 0; j < d; j++) {
                        m[i * d + j] += row[i] * row[j] / B;
                    }
                }
            }
            return m;
        }

        double[] mean(double[][] h) {
            double[] m = new double[h[0].length];
            for (double[] row : h) {
                for (int i = 0; i < m.length; i++) {
                    m[i] += row[i] / B;
                }
            }
            return m;
        }

        double[] activeShare(double[][] h) {
            double[] m = new double[h[0].length];
            for (double[] row : h) {
                for (int i = 0; i < m.length; i++) {
                    m[i] += row[i] > 0 ? 1.0 / B : 0;
                }
            }
            return m;
        }
    }
}
