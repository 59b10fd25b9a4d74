package dev.noether.core.runtime;

import dev.noether.core.model.Activation;
import dev.noether.core.model.LayerProbe;
import dev.noether.core.model.LayerSnapshot;
import dev.noether.core.model.NetworkDescription;
import dev.noether.core.model.StepSnapshot;
import dev.noether.core.physics.CrhPhase;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class HeavyAnalysisTest {
    /** Relative rounding of float32 moments, to which they are PSD and the sketches' bounds hold. */
    private static final double FLOAT_ROUNDING = 1e-6;
    private final AtomicInteger nonFinite = new AtomicInteger();

    private HeavyAnalysis analysis(NetworkDescription d) {
        return new HeavyAnalysis(d, NoetherConfig.defaults(), i -> nonFinite.incrementAndGet(), () -> new double[0][]);
    }

    private static NetworkDescription twoLayer(int n, int m, int k) {
        return NetworkDescription.builder("m")
                .dense("hidden", m, n, true).activation(Activation.RELU)
                .dense("out", k, m, true)
                .build();
    }

    @Test
    void duplicatedNeuronsMergeAndZeroedNeuronsAreDead() {
        int n = 5;
        int m = 7;
        int k = 3;
        Random r = new Random(1);
        float[] w1 = gaussian(r, m * n);
        float[] w2 = gaussian(r, k * m);
        // neurons 1 and 2 copy neuron 0 up to positive scales (the permutation-symmetric state)
        for (int j = 0; j < n; j++) {
            w1[n + j] = 2 * w1[j];
            w1[2 * n + j] = 0.5f * w1[j];
        }
        for (int i = 0; i < k; i++) {
            w2[i * m + 1] = 3 * w2[i * m];
            w2[i * m + 2] = w2[i * m];
        }
        // neuron 6 is zeroed on both sides (the rescaling-symmetric state)
        for (int j = 0; j < n; j++) {
            w1[6 * n + j] = 0;
        }
        for (int i = 0; i < k; i++) {
            w2[i * m + 6] = 0;
        }
        StepSnapshot s = StepSnapshot.builder(0)
                .layer(LayerSnapshot.ofWeights(w1, new float[m]))
                .layer(LayerSnapshot.ofWeights(w2, new float[k]))
                .build();
        NoetherReport report = analysis(twoLayer(n, m, k)).analyze(s, List.of(), Instant.EPOCH);
        assertThat(report.value("neurons.dead", "layer", "hidden").getAsDouble()).isEqualTo(1);
        // {0,1,2} merge; 3, 4, 5 stay apart; 6 is dead and not counted
        assertThat(report.value("neurons.distinct", "layer", "hidden").getAsDouble()).isEqualTo(4);
        assertThat(report.value("neurons.dead", "layer", "out")).isEmpty(); // no outgoing weights
    }

    @Test
    void aRankKWeightHasEffectiveRankKAndTheStableRankOfItsSpectrum() {
        int m = 12;
        int n = 10;
        int rank = 3;
        float[] w = new float[m * n];
        // three orthogonal outer products with equal singular values 2: W = 2 Σ e_i f_iᵀ
        for (int c = 0; c < rank; c++) {
            w[(2 * c) * n + (3 * c)] = 2f;
        }
        NetworkDescription d = NetworkDescription.builder("m").dense("only", m, n, false).build();
        NoetherReport report = analysis(d).analyze(StepSnapshot.builder(0).layer(LayerSnapshot.ofWeights(w, null)).build(),
                List.of(), Instant.EPOCH);
        assertThat(report.value("layer.effective.rank", "layer", "only").getAsDouble()).isCloseTo(3, within(1e-9));
        assertThat(report.value("layer.stable.rank", "layer", "only").getAsDouble()).isCloseTo(3, within(1e-9));
    }

    @Test
    void proportionalMomentsAreFullyAlignedAndInTheCrhPhase() {
        int d = 6;
        float s = 1.5f;
        float[] w = new float[d * d];
        float[] eye = new float[d * d];
        float[] hb = new float[d * d];
        for (int i = 0; i < d; i++) {
            w[i * d + i] = s;
            eye[i * d + i] = 1;
            hb[i * d + i] = s * s;
        }
        NetworkDescription net = NetworkDescription.builder("m").dense("sq", d, d, false).build();
        LayerProbe probe = LayerProbe.builder(0).samples(32).inputMoment(eye).outputGradientMoment(eye)
                .outputMoment(hb).build();
        NoetherReport report = analysis(net).analyze(
                StepSnapshot.builder(0).layer(LayerSnapshot.ofWeights(w, null)).build(), List.of(probe), Instant.EPOCH);
        for (String side : List.of("a", "b")) {
            for (String relation : List.of("rga", "rwa", "gwa")) {
                assertThat(report.value("crh.alignment", "layer", "sq", "side", side, "relation", relation).getAsDouble())
                        .isCloseTo(1, within(1e-12));
            }
        }
        assertThat(report.value("crh.phase", "layer", "sq", "phase", "crh").getAsDouble()).isEqualTo(1);
        double others = 0;
        for (CrhPhase p : CrhPhase.values()) {
            others += report.value("crh.phase", "layer", "sq", "phase", p.tag()).getAsDouble();
        }
        assertThat(others).isEqualTo(1);
        assertThat(report.value("pah.exponent.predicted", "layer", "sq", "side", "b").getAsDouble()).isEqualTo(1);
        assertThat(report.value("fdt.residual", "layer", "sq", "side", "b").getAsDouble()).isCloseTo(0, within(1e-9));
        assertThat(report.value("representation.effective.rank", "layer", "sq").getAsDouble()).isCloseTo(d, within(1e-9));
    }

    /**
     * The six alignments of a non-square layer with unrelated random moments, against H, G and Z formed here by
     * explicit sums (Z_a = WᵀW, Z_b = WWᵀ, G_a = Wᵀ G_b W): swapped H and G, a wrong G_a or a transposed W change
     * them, unlike the multiples of the identity above.
     */
    @Test
    void alignmentsOfGeneralMomentsMatchMatricesFormedHere() {
        int m = 5;
        int n = 7;
        Random r = new Random(13);
        float[] w = gaussian(r, m * n);
        float[] ha = spd(r, n);
        float[] hb = spd(r, m);
        float[] gb = spd(r, m);
        NetworkDescription net = NetworkDescription.builder("m").dense("rect", m, n, false).build();
        LayerProbe probe = LayerProbe.builder(0).samples(32).inputMoment(ha).outputMoment(hb).outputGradientMoment(gb)
                .build();
        NoetherReport report = analysis(net).analyze(
                StepSnapshot.builder(0).layer(LayerSnapshot.ofWeights(w, null)).build(), List.of(probe), Instant.EPOCH);
        double[] za = new double[n * n];
        double[] ga = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double z = 0;
                double g = 0;
                for (int k = 0; k < m; k++) {
                    z += (double) w[k * n + i] * w[k * n + j];
                    for (int l = 0; l < m; l++) {
                        g += (double) w[k * n + i] * gb[k * m + l] * w[l * n + j];
                    }
                }
                za[i * n + j] = z;
                ga[i * n + j] = g;
            }
        }
        double[] zb = new double[m * m];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
                double z = 0;
                for (int k = 0; k < n; k++) {
                    z += (double) w[i * n + k] * w[j * n + k];
                }
                zb[i * m + j] = z;
            }
        }
        double[] haD = toDouble(ha);
        double[] hbD = toDouble(hb);
        double[] gbD = toDouble(gb);
        assertAlignment(report, "a", "rga", pearson(haD, ga));
        assertAlignment(report, "a", "rwa", pearson(haD, za));
        assertAlignment(report, "a", "gwa", pearson(ga, za));
        assertAlignment(report, "b", "rga", pearson(hbD, gbD));
        assertAlignment(report, "b", "rwa", pearson(hbD, zb));
        assertAlignment(report, "b", "gwa", pearson(gbD, zb));
    }

    private static void assertAlignment(NoetherReport report, String side, String relation, double expected) {
        assertThat(report.value("crh.alignment", "layer", "rect", "side", side, "relation", relation).getAsDouble())
                .as("side %s, %s", side, relation).isCloseTo(expected, within(1e-6));
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    @Test
    void rotationChargeIsTheFrobeniusNormOfTheChargeMatrixAndDriftsFromTheFirstAnalysisOrReset() {
        NetworkDescription net = NetworkDescription.builder("lin")
                .dense("a", 3, 2, false).dense("b", 2, 3, false).build();
        float[] a = {1, 2, 0, 1, 3, -1};    // 3x2
        float[] b = {1, 0, 2, -1, 1, 1};    // 2x3
        HeavyAnalysis heavy = analysis(net);
        String[] pair = {"pair", "a:b", "symmetry", "rotation"};
        NoetherReport first = heavy.analyze(step(a, b), List.of(), Instant.EPOCH);
        double[][] c = chargeMatrix(a, b);
        assertThat(first.value("charge", pair).getAsDouble()).isCloseTo(frobenius(c), within(1e-12));
        assertThat(first.value("charge.drift", pair).getAsDouble()).isZero();
        double scale = 0;
        for (float v : a) {
            scale += v * v;
        }
        for (float v : b) {
            scale += v * v;
        }
        // METRICS.md §2: the relative charge of a rotation pair is ‖C‖_F / S, not tr(C) / S
        assertThat(first.value("charge.relative", pair).getAsDouble()).isCloseTo(frobenius(c) / scale, within(1e-12));

        float[] a2 = a.clone();
        a2[0] = 2;
        double[][] c2 = chargeMatrix(a2, b);
        double diff = 0;
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                diff += Math.pow(c2[i][j] - c[i][j], 2);
            }
        }
        double s0 = 0;
        for (float v : a) {
            s0 += v * v;
        }
        for (float v : b) {
            s0 += v * v;
        }
        NoetherReport second = heavy.analyze(step(a2, b), List.of(), Instant.EPOCH);
        assertThat(second.value("charge.drift", pair).getAsDouble()).isCloseTo(Math.sqrt(diff) / s0, within(1e-12));

        heavy.resetDrift(); // the next analysis is the new t0
        assertThat(heavy.analyze(step(a2, b), List.of(), Instant.EPOCH).value("charge.drift", pair).getAsDouble()).isZero();
        NoetherReport back = heavy.analyze(step(a, b), List.of(), Instant.EPOCH);
        double s1 = s0 - 1 + 4; // a2 differs from a in a[0]: 1 -> 2
        assertThat(back.value("charge.drift", pair).getAsDouble()).isCloseTo(Math.sqrt(diff) / s1, within(1e-12));
    }

    @Test
    void nonFiniteProbesAreCountedAndSkipped() {
        NetworkDescription net = twoLayer(3, 4, 2);
        Random r = new Random(2);
        float[] ha = new float[9];
        ha[4] = Float.NaN;
        LayerProbe probe = LayerProbe.builder(0).inputMoment(ha).outputMoment(new float[16])
                .outputGradientMoment(new float[16]).build();
        StepSnapshot s = StepSnapshot.builder(0).layer(LayerSnapshot.ofWeights(gaussian(r, 12), new float[4]))
                .layer(LayerSnapshot.ofWeights(gaussian(r, 8), new float[2])).build();
        NoetherReport report = analysis(net).analyze(s, List.of(probe), Instant.EPOCH);
        assertThat(nonFinite.get()).isEqualTo(1);
        assertThat(report.value("layer.effective.rank", "layer", "hidden")).isPresent();
        assertThat(report.value("crh.alignment", "layer", "hidden", "side", "a", "relation", "rga")).isEmpty();
    }

    /**
     * A layer over the (configurable) exact limit is sketched: against the exact analysis of the same inputs,
     * every alignment and baseline is within the bound the report states, the probe moments (16 samples, rank
     * below the sketch) are sketched exactly (rga, representation rank and PAH to round-off), and the
     * full-rank Z relations carry a non-zero bound. The moments arrive as float32, which is PSD only to its
     * rounding (~1e-7 relative): the bounds hold to that.
     */
    @Test
    @SuppressWarnings("unchecked")
    void wideLayersAreSketchedWithinTheStatedBounds() {
        LinearAlgebraEquivalenceTest.Fixture f = LinearAlgebraEquivalenceTest.Fixture.of(40, 32, 16, new Random(5));
        NoetherReport exact = f.analyze(NoetherConfig.defaults());
        NoetherReport sketched = f.analyze(NoetherConfig.builder().exactDimensionLimit(24).sketchRank(30).build());
        Map<String, Object> sketch = (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>)
                sketched.details().get("layers")).get("hidden")).get("sketch");
        assertThat(sketch).containsEntry("rank", 30);
        Map<String, Double> bounds = (Map<String, Double>) sketch.get("crh.alignment.bound");
        for (String side : new String[] {"a", "b"}) {
            for (String relation : new String[] {"rga", "rwa", "gwa"}) {
                String[] tags = {"layer", "hidden", "side", side, "relation", relation};
                double bound = bounds.get(side + "." + relation);
                assertThat(sketched.value("crh.alignment", tags).getAsDouble()).as("%s %s", side, relation)
                        .isCloseTo(exact.value("crh.alignment", tags).getAsDouble(), within(bound + FLOAT_ROUNDING));
                assertThat(sketched.value("crh.alignment.baseline", tags).getAsDouble())
                        .isCloseTo(exact.value("crh.alignment.baseline", tags).getAsDouble(),
                                within(bounds.get(side + "." + relation + ".baseline") + FLOAT_ROUNDING));
                if (relation.equals("rga")) {
                    assertThat(bound).as("probe moments are sketched exactly").isLessThan(FLOAT_ROUNDING);
                } else {
                    assertThat(bound).as("Z = WᵀW of a Gaussian W has a tail beyond 30").isGreaterThan(1e-3);
                }
            }
            String[] pah = {"layer", "hidden", "side", side};
            assertThat(sketched.value("pah.exponent", pah).getAsDouble())
                    .isCloseTo(exact.value("pah.exponent", pah).getAsDouble(), within(1e-6));
        }
        assertThat((double) sketch.get("representation.effective.rank.log.bound")).isLessThan(FLOAT_ROUNDING);
        assertThat(sketched.value("representation.effective.rank", "layer", "hidden").getAsDouble())
                .isCloseTo(exact.value("representation.effective.rank", "layer", "hidden").getAsDouble(), within(1e-6));
        assertThat(exact.value("fdt.residual", "layer", "hidden", "side", "b").getAsDouble())
                .isLessThanOrEqualTo((double) sketch.get("fdt.residual.upper.bound") + 1e-12);
    }

    private static double pearson(double[] a, double[] b) {
        double ma = 0;
        double mb = 0;
        for (int i = 0; i < a.length; i++) {
            ma += a[i] / a.length;
            mb += b[i] / b.length;
        }
        double ab = 0;
        double aa = 0;
        double bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += (a[i] - ma) * (b[i] - mb);
            aa += (a[i] - ma) * (a[i] - ma);
            bb += (b[i] - mb) * (b[i] - mb);
        }
        return ab / Math.sqrt(aa * bb);
    }

    private static float[] spd(Random r, int d) {
        float[] x = gaussian(r, d * d);
        float[] s = new float[d * d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                double v = 0;
                for (int k = 0; k < d; k++) {
                    v += (double) x[i * d + k] * x[j * d + k];
                }
                s[i * d + j] = (float) v;
            }
        }
        return s;
    }

    private static StepSnapshot step(float[] a, float[] b) {
        return StepSnapshot.builder(0).layer(LayerSnapshot.ofWeights(a, null)).layer(LayerSnapshot.ofWeights(b, null)).build();
    }

    /** C = A Aᵀ − Bᵀ B by explicit sums, A 3×2, B 2×3. */
    private static double[][] chargeMatrix(float[] a, float[] b) {
        double[][] c = new double[3][3];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                double v = 0;
                for (int k = 0; k < 2; k++) {
                    v += a[i * 2 + k] * a[j * 2 + k];
                    v -= b[k * 3 + i] * b[k * 3 + j];
                }
                c[i][j] = v;
            }
        }
        return c;
    }

    private static double frobenius(double[][] c) {
        double s = 0;
        for (double[] row : c) {
            for (double v : row) {
                s += v * v;
            }
        }
        return Math.sqrt(s);
    }

    private static float[] gaussian(Random r, int size) {
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }

    /**
     * The metrics read from probe moments are invariant to a power-of-two scale of H_a, of H_b with E[h_b], and of
     * G_b (what an adapter hands for vectors whose float32 moment would overflow, MomentScale): every probe metric
     * of a layer is the same with its moments given at 2⁻⁶⁰ and 2⁻⁴⁰, and the scale is named in the details.
     */
    @Test
    void probeMetricsAreInvariantToTheScalesOfTheMoments() {
        int n = 6;
        int m = 5;
        int k = 3;
        Random r = new Random(7);
        NetworkDescription d = twoLayer(n, m, k);
        StepSnapshot s = StepSnapshot.builder(0)
                .layer(LayerSnapshot.ofWeights(gaussian(r, m * n), gaussian(r, m)))
                .layer(LayerSnapshot.ofWeights(gaussian(r, k * m), gaussian(r, k)))
                .build();
        float[] ha = randomPsd(r, n);
        float[] hb = randomPsd(r, m);
        float[] gb = randomPsd(r, m);
        float[] mean = gaussian(r, m);
        float[] active = new float[m];
        java.util.Arrays.fill(active, 0.5f);
        LayerProbe plain = LayerProbe.builder(0).samples(64).inputMoment(ha).outputMoment(hb).outputGradientMoment(gb)
                .outputMean(mean).activeFraction(active).build();
        double sa = 0x1p-60;
        double sb = 0x1p-40;
        double sg = 0x1p20;
        LayerProbe scaled = LayerProbe.builder(0).samples(64).inputMoment(times(ha, 1 / (sa * sa)))
                .outputMoment(times(hb, 1 / (sb * sb))).outputGradientMoment(times(gb, 1 / (sg * sg)))
                .outputMean(times(mean, 1 / sb)).activeFraction(active).scales(sa, sb, sg).build();
        NoetherReport a = analysis(d).analyze(s, List.of(plain), Instant.EPOCH);
        NoetherReport b = analysis(d).analyze(s, List.of(scaled), Instant.EPOCH);
        int compared = 0;
        for (Map.Entry<MetricKey, Double> e : a.values().entrySet()) {
            if ("hidden".equals(e.getKey().tag("layer"))) {
                assertThat(b.values().get(e.getKey())).as(e.getKey().toString()).isCloseTo(e.getValue(),
                        within(1e-4 * Math.max(1, Math.abs(e.getValue()))));
                compared++;
            }
        }
        assertThat(compared).as("probe metrics of the hidden layer").isGreaterThan(20);
        assertThat(b.value("representation.effective.rank", "layer", "hidden")).isPresent();
        assertThat(b.value("crh.alignment", "layer", "hidden", "side", "a", "relation", "rga")).isPresent();
        assertThat(b.value("fdt.residual", "layer", "hidden", "side", "b")).isPresent();
        @SuppressWarnings("unchecked")
        Map<String, Object> hidden = (Map<String, Object>) ((Map<String, Object>) b.details().get("layers")).get("hidden");
        assertThat(hidden.get("probe.scale")).isEqualTo(Map.of("h_a", sa, "h_b", sb, "g_b", sg));
        assertThat(nonFinite.get()).isZero();
    }

    /** A random d × d positive semi-definite matrix A Aᵀ / d, row-major. */
    private static float[] randomPsd(Random r, int d) {
        double[][] a = new double[d][d];
        for (double[] row : a) {
            for (int j = 0; j < d; j++) {
                row[j] = r.nextGaussian();
            }
        }
        float[] out = new float[d * d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                double sum = 0;
                for (int t = 0; t < d; t++) {
                    sum += a[i][t] * a[j][t];
                }
                out[i * d + j] = (float) (sum / d);
            }
        }
        return out;
    }

    private static float[] times(float[] a, double factor) {
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = (float) (a[i] * factor);
        }
        return out;
    }
}
