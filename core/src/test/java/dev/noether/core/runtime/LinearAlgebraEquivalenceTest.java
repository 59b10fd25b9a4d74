package dev.noether.core.runtime;

import dev.noether.core.linalg.LinearAlgebra;
import dev.noether.core.model.Activation;
import dev.noether.core.model.LayerProbe;
import dev.noether.core.model.LayerSnapshot;
import dev.noether.core.model.NetworkDescription;
import dev.noether.core.model.StepSnapshot;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The heavy analysis on native LAPACK and on EJML gives the same metrics to round-off on the same inputs:
 * ranks, census, correlation blocks, the six alignments and baselines, phase, PAH, FDT and the rotation
 * charge, for an exact layer and for one over the exact limit.
 */
class LinearAlgebraEquivalenceTest {

    @Test
    void nativeAndJavaGiveTheSameMetrics() {
        for (int limit : new int[] {1024, 24}) {
            Fixture f = Fixture.of(40, 32, 256, new Random(11));
            NoetherConfig base = NoetherConfig.builder().exactDimensionLimit(limit).build();
            NoetherReport java = f.analyze(base.toBuilder().linearAlgebra(LinearAlgebra.Backend.JAVA).build());
            NoetherReport nat = f.analyze(base.toBuilder().linearAlgebra(LinearAlgebra.Backend.NATIVE).build());
            Map<MetricKey, Double> expected = java.values();
            assertThat(nat.values().keySet()).isEqualTo(expected.keySet());
            assertThat(expected.keySet().stream().map(k -> k.metric().shortName()))
                    .contains("crh.alignment.baseline", "pah.exponent", "fdt.residual", "charge",
                            "representation.effective.rank");
            for (Map.Entry<MetricKey, Double> e : expected.entrySet()) {
                double x = e.getValue();
                double y = nat.values().get(e.getKey());
                assertThat(Double.isNaN(y)).as("%s NaN", e.getKey()).isEqualTo(Double.isNaN(x));
                if (!Double.isNaN(x)) {
                    assertThat(y).as("limit %d: %s", limit, e.getKey()).isCloseTo(x, within(1e-9 * Math.max(1, Math.abs(x))));
                }
            }
        }
    }

    /** hidden (ReLU, n → d), linear (identity, no bias, d → d: a rotation pair with out), out (d → 10). */
    record Fixture(NetworkDescription net, StepSnapshot snapshot, List<LayerProbe> probes) {
        static Fixture of(int d, int n, int samples, Random r) {
            NetworkDescription net = NetworkDescription.builder("equivalence")
                    .dense("hidden", d, n, true).activation(Activation.RELU)
                    .dense("linear", d, d, false)
                    .dense("out", 10, d, true)
                    .build();
            float[] w0 = gaussian(r, d * n);
            float[] w1 = gaussian(r, d * d);
            float[] w2 = gaussian(r, 10 * d);
            StepSnapshot snapshot = StepSnapshot.builder(0)
                    .layer(LayerSnapshot.ofWeights(w0, gaussian(r, d)))
                    .layer(LayerSnapshot.ofWeights(w1, null))
                    .layer(LayerSnapshot.ofWeights(w2, new float[10]))
                    .build();
            List<LayerProbe> probes = new ArrayList<>();
            probes.add(probe(0, n, d, samples, w0, r));
            probes.add(probe(1, d, d, samples, w1, r));
            return new Fixture(net, snapshot, probes);
        }

        NoetherReport analyze(NoetherConfig config) {
            HeavyAnalysis analysis = new HeavyAnalysis(net, config, i -> { }, () -> new double[0][]);
            return analysis.analyze(snapshot, probes, Instant.EPOCH);
        }

        private static LayerProbe probe(int layer, int n, int m, int samples, float[] w, Random r) {
            float[][] x = new float[samples][n];
            float[][] h = new float[samples][m];
            float[][] g = new float[samples][m];
            float[] mean = new float[m];
            float[] active = new float[m];
            for (int s = 0; s < samples; s++) {
                for (int j = 0; j < n; j++) {
                    x[s][j] = (float) (r.nextGaussian() * (1 + j % 3));
                }
                for (int i = 0; i < m; i++) {
                    double v = 0;
                    for (int j = 0; j < n; j++) {
                        v += w[i * n + j] * x[s][j];
                    }
                    h[s][i] = (float) v;
                    g[s][i] = (float) (r.nextGaussian() + 0.3 * v);
                    mean[i] += (float) (v / samples);
                    active[i] += v > 0 ? 1f / samples : 0f;
                }
            }
            return LayerProbe.builder(layer).samples(samples).inputMoment(gram(x, n)).outputMoment(gram(h, m))
                    .outputGradientMoment(gram(g, m)).outputMean(mean).activeFraction(active).build();
        }

        private static float[] gram(float[][] x, int d) {
            float[] out = new float[d * d];
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    double s = 0;
                    for (float[] row : x) {
                        s += (double) row[i] * row[j];
                    }
                    out[i * d + j] = (float) (s / x.length);
                }
            }
            return out;
        }

        private static float[] gaussian(Random r, int size) {
            float[] a = new float[size];
            for (int i = 0; i < size; i++) {
                a[i] = (float) r.nextGaussian();
            }
            return a;
        }
    }
}
