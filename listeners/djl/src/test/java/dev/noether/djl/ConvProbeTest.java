package dev.noether.djl;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv1d;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.noether.core.model.ProbePositions;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A convolution's probe moments (METRICS.md §10) against a second route: explicit loops over the input patches
 * (zero padding, stride, dilation written out index by index), and a hand-written backward pass through ReLU,
 * flatten or global average pooling and the dense head with DJL's L2 loss, in double precision from the same
 * weights. One case has more (sample, position) pairs than the probe keeps, so the subsample is checked too.
 */
class ConvProbeTest {
    private static final int K = 3; // outputs of the dense head

    /** The convolution's geometry as the test writes it out, 2-d (a 1-d conv is H = 1, k_h = 1). */
    private record Geometry(int channels, int h, int w, int filters, int kh, int kw, int sh, int sw, int ph, int pw,
                            int dh, int dw, boolean bias, boolean globalPool) {
        int oh() {
            return (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1;
        }

        int ow() {
            return (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
        }

        int n() {
            return channels * kh * kw;
        }
    }

    @Test
    void strideAndPaddingWithABias() {
        Geometry g = new Geometry(2, 7, 7, 3, 3, 3, 2, 2, 1, 1, 1, 1, true, false);
        check(g, 4, Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(3).optStride(new Shape(2, 2))
                .optPadding(new Shape(1, 1)).build(), new Shape(2, 7, 7));
    }

    @Test
    void dilationWithoutBiasUnderGlobalPoolingOnASubsampleOfPositions() {
        Geometry g = new Geometry(1, 30, 30, 2, 2, 2, 1, 1, 0, 0, 2, 2, false, true);
        assertThat(3 * g.oh() * g.ow()).isGreaterThan(ProbePositions.MAX_ROWS);
        check(g, 3, Conv2d.builder().setKernelShape(new Shape(2, 2)).setFilters(2).optDilation(new Shape(2, 2))
                .optBias(false).build(), new Shape(1, 30, 30));
    }

    @Test
    void aOneDimensionalConvolution() {
        Geometry g = new Geometry(2, 1, 6, 4, 1, 3, 1, 1, 0, 1, 1, 1, true, false);
        check(g, 5, Conv1d.builder().setKernelShape(new Shape(3)).setFilters(4).optPadding(new Shape(1)).build(),
                new Shape(2, 6));
    }

    private static void check(Geometry g, int batch, ai.djl.nn.Block conv, Shape sample) {
        SequentialBlock block = new SequentialBlock().add(conv).add(Activation.reluBlock())
                .add(g.globalPool ? (g.h > 1 ? Pool.globalAvgPool2dBlock() : Pool.globalAvgPool1dBlock())
                        : Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(K).build());
        int inputs = Math.toIntExact(sample.size());
        TeacherStudent data = TeacherStudent.generate(64, inputs, K, 17);
        Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.05f)).build();
        try (DjlRun run = new DjlRun(block, data, sample, sgd, 9)) {
            run.steps(2, 8);
            MappedNetwork net = new DjlNetworkMapper(run.trainer.getManager()).map("m", run.model.getBlock());
            float[] x = data.xRows(0, batch);
            float[] y = data.yRows(0, batch);
            List<ProbeRunner.Moments> moments;
            try (NDManager m = run.trainer.getManager().newSubManager();
                 ProbeBatch probe = ProbeBatch.copyOf(new NDList(m.create(x, run.batchShape(batch))),
                         new NDList(m.create(y, new Shape(batch, K))), 100, run.trainer.getManager(), Device.cpu())) {
                moments = new ProbeRunner(net, probe).measure(run.trainer);
            }
            Reference ref = new Reference(g, batch, run.parameters(), x, y);
            ProbeRunner.Moments c = moments.get(0);
            assertThat(c.layer()).isZero();
            assertThat(c.samples()).isEqualTo(ref.rows);
            assertClose(c.inputMoment(), ref.ha);
            assertClose(c.outputMoment(), ref.hb);
            assertClose(c.outputGradientMoment(), ref.gb);
            assertClose(c.outputMean(), ref.mean);
            assertClose(c.activeFraction(), ref.active);
        }
    }

    private static void assertClose(float[] actual, double[] expected) {
        assertThat(actual).hasSize(expected.length);
        double scale = 1e-3;
        for (double e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        for (int i = 0; i < expected.length; i++) {
            assertThat((double) actual[i]).as("entry %d", i).isCloseTo(expected[i], Offset.offset(1e-5 * scale));
        }
    }

    /** The conv layer's moments by explicit loops over (sample, chosen position) and patch entries. */
    private static final class Reference {
        final double[] ha;
        final double[] hb;
        final double[] gb;
        final double[] mean;
        final double[] active;
        final int rows;

        Reference(Geometry g, int b, List<float[]> params, float[] xs, float[] ys) {
            float[] w = params.get(0);
            float[] bias = g.bias ? params.get(1) : new float[g.filters];
            float[] w2 = params.get(g.bias ? 2 : 1);
            float[] b2 = params.get(g.bias ? 3 : 2);
            int oh = g.oh();
            int ow = g.ow();
            int p = oh * ow;
            int n = g.n();
            int m = g.filters;
            double[][][] patch = new double[b][p][n];
            double[][][] h = new double[b][p][m];
            for (int s = 0; s < b; s++) {
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        int pos = oy * ow + ox;
                        for (int c = 0; c < g.channels; c++) {
                            for (int i = 0; i < g.kh; i++) {
                                for (int j = 0; j < g.kw; j++) {
                                    int iy = oy * g.sh - g.ph + i * g.dh;
                                    int ix = ox * g.sw - g.pw + j * g.dw;
                                    boolean inside = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w;
                                    patch[s][pos][(c * g.kh + i) * g.kw + j] =
                                            inside ? xs[((s * g.channels + c) * g.h + iy) * g.w + ix] : 0;
                                }
                            }
                        }
                        for (int o = 0; o < m; o++) {
                            double v = bias[o];
                            for (int q = 0; q < n; q++) {
                                v += w[o * n + q] * patch[s][pos][q];
                            }
                            h[s][pos][o] = v;
                        }
                    }
                }
            }
            // head: features = flatten (channel-major) or the global average of the post-activations
            int f = g.globalPool ? m : m * p;
            double[][] gradH = new double[b][p * m];
            for (int s = 0; s < b; s++) {
                double[] feat = new double[f];
                for (int o = 0; o < m; o++) {
                    for (int pos = 0; pos < p; pos++) {
                        double a = Math.max(0, h[s][pos][o]);
                        if (g.globalPool) {
                            feat[o] += a / p;
                        } else {
                            feat[o * p + pos] = a;
                        }
                    }
                }
                double[] dPred = new double[K];
                for (int k = 0; k < K; k++) {
                    double v = b2[k];
                    for (int q = 0; q < f; q++) {
                        v += w2[k * f + q] * feat[q];
                    }
                    dPred[k] = (v - ys[s * K + k]) / (b * K); // L = mean over B·K of ½(ŷ − y)²
                }
                for (int o = 0; o < m; o++) {
                    for (int pos = 0; pos < p; pos++) {
                        int q = g.globalPool ? o : o * p + pos;
                        double dFeat = 0;
                        for (int k = 0; k < K; k++) {
                            dFeat += w2[k * f + q] * dPred[k];
                        }
                        double dPost = g.globalPool ? dFeat / p : dFeat;
                        gradH[s][pos * m + o] = h[s][pos][o] > 0 ? dPost : 0;
                    }
                }
            }
            int[] chosen = ProbePositions.forLayer(p, b, 0);
            rows = b * chosen.length;
            ha = new double[n * n];
            hb = new double[m * m];
            gb = new double[m * m];
            mean = new double[m];
            active = new double[m];
            for (int s = 0; s < b; s++) {
                for (int pos : chosen) {
                    double[] a = patch[s][pos];
                    for (int i = 0; i < n; i++) {
                        for (int j = 0; j < n; j++) {
                            ha[i * n + j] += a[i] * a[j] / rows;
                        }
                    }
                    for (int i = 0; i < m; i++) {
                        double gi = b * gradH[s][pos * m + i]; // the per-sample gradient g = B·∂L/∂h_b
                        for (int j = 0; j < m; j++) {
                            hb[i * m + j] += h[s][pos][i] * h[s][pos][j] / rows;
                            gb[i * m + j] += gi * b * gradH[s][pos * m + j] / rows;
                        }
                        mean[i] += h[s][pos][i] / rows;
                        active[i] += h[s][pos][i] > 0 ? 1.0 / rows : 0;
                    }
                }
            }
        }
    }
}
