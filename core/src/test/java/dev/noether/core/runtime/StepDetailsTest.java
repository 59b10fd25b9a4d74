package dev.noether.core.runtime;

import dev.noether.core.catalogue.MetricFamily;
import dev.noether.core.micrometer.NoetherMetrics;
import dev.noether.core.model.Activation;
import dev.noether.core.model.LayerReductions;
import dev.noether.core.model.LayerSnapshot;
import dev.noether.core.model.NetworkDescription;
import dev.noether.core.model.StepSnapshot;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The histograms and model description a step report carries in its details ({@link StepDetails}): each
 * histogram against counts taken here by comparing every value with the bin edges, the update histogram against
 * W(t) − W(t−1) of the harness, the charge histogram against C_i = ‖w_i‖² + b_i² − ‖u_i‖² written out here; the
 * schedule; and the cardinality rule (no meter per neuron or bin).
 */
class StepDetailsTest {
    private static final double ETA = 0.05;

    @Test
    void histogramsCountEveryValueBetweenItsBinEdges() {
        PlainSgdMlp net = new PlainSgdMlp(new int[] {6, 9, 7, 3}, true, PlainSgdMlp.Act.RELU, ETA, 0.01, 5);
        double[][][] data = PlainSgdMlp.teacherData(64, 6, 3, 6);
        List<NoetherReport> reports = new CopyOnWriteArrayList<>();
        NoetherConfig everyStep = NoetherConfig.builder().observeEvery(1).analysisEvery(1)
                .minAnalysisInterval(Duration.ZERO).build();
        ManualTicker ticker = new ManualTicker();
        try (NoetherMonitor monitor = NoetherMonitor.builder(net.describe("hist", Activation.RELU)).config(everyStep)
                .ticker(ticker).build()) {
            monitor.addListener(reports::add);
            float[][] before = null;
            for (int t = 0; t < 3; t++) {
                ticker.advance(Duration.ofSeconds(1)); // past the floor of 50 ms per layer
                double loss = net.backward(PlainSgdMlp.rows(data[0], 8 * t, 8), PlainSgdMlp.rows(data[1], 8 * t, 8));
                monitor.onStep(net.snapshot(t, loss, net.sgd()));
                monitor.awaitSteps(Duration.ofSeconds(10));
                Map<String, Object> details = reports.get(reports.size() - 1).details();
                Map<String, Object> histograms = map(details.get("histograms"));
                assertThat(histograms).containsOnlyKeys("fc1", "fc2", "fc3");
                for (int l = 0; l < 3; l++) {
                    Map<String, Object> h = map(histograms.get("fc" + (l + 1)));
                    assertMatches(h.get("weights"), toDouble(net.w[l]));
                    assertMatches(h.get("gradients"), toDouble(net.gw[l]));
                    assertMatches(h.get("neuron.norms"), rowNorms(net.w[l], net.widths[l + 1], net.widths[l]));
                    if (before == null) {
                        assertThat(h).doesNotContainKey("updates"); // no step before the first
                    } else {
                        double[] delta = new double[net.w[l].length];
                        for (int i = 0; i < delta.length; i++) {
                            delta[i] = (double) net.w[l][i] - before[l][i];
                        }
                        assertMatches(h.get("updates"), delta);
                    }
                }
                // C_i = ‖w_i‖² + b_i² − ‖u_i‖² of the pairs fc1:fc2 and fc2:fc3, under their first layer
                for (int l = 0; l < 2; l++) {
                    Map<String, Object> c = map(map(histograms.get("fc" + (l + 1))).get("neuron.charges"));
                    assertThat(c.get("pair")).isEqualTo("fc" + (l + 1) + ":fc" + (l + 2));
                    assertMatches(c, charges(net, l));
                }
                assertThat(map(histograms.get("fc3"))).doesNotContainKey("neuron.charges");
                Map<String, Object> model = map(details.get("model"));
                assertThat(model.get("optimizer")).isEqualTo("sgd(η=0.05, γ=0.01, γ_b=0.01)");
                assertThat(map(map(model.get("layers")).get("fc1"))).containsEntry("kind", "dense")
                        .containsEntry("activation", "relu").containsEntry("shape", "9x6").containsEntry("bias", true);
                assertThat(map(map(model.get("layers")).get("fc3"))).containsEntry("activation", "identity");

                before = new float[3][];
                for (int l = 0; l < 3; l++) {
                    before[l] = net.w[l].clone();
                }
                net.update();
            }
        }
    }

    @Test
    void theScheduleFollowsTheHeavyTierAndWaitsForAStepWhoseUpdateIsKnown() {
        PlainSgdMlp net = new PlainSgdMlp(new int[] {4, 5, 2}, true, PlainSgdMlp.Act.RELU, ETA, 0, 1);
        NetworkDescription d = net.describe("schedule", Activation.RELU);
        ManualTicker ticker = new ManualTicker();
        StepDetails details = new StepDetails(d, NoetherConfig.builder().analysisEvery(10)
                .minAnalysisInterval(Duration.ofSeconds(2)).build(), ticker, e -> { throw new AssertionError(e); });
        double[][][] data = PlainSgdMlp.teacherData(16, 4, 2, 2);
        net.backward(data[0], data[1]);
        List<Long> taken = new ArrayList<>();
        // observed: 0, 1, then two consecutive steps in every ten (10, 11, 20, 21, ...) except that 30 comes alone
        long[] observed = {0, 1, 10, 11, 20, 21, 30, 40, 41, 50, 51, 60, 61};
        StepSnapshot previous = null;
        for (long step : observed) {
            ticker.advance(Duration.ofSeconds(step == 20 || step == 21 ? 0 : 3)); // 20 and 21 come too soon
            StepSnapshot current = net.snapshot(step, 0.5, net.sgd());
            NoetherReport report = report(d, step, net);
            if (details.attach(report, current, previous, () -> new double[1][]) != report) {
                taken.add(step);
            }
            previous = current;
        }
        // 0: the first. 10 is due but 9 was not observed: it waits, and 11 is taken. 20 and 21 come within the
        // time floor. 30 is due without 29 and waits; 40 is still alone, but a whole period late: taken without
        // its update. 50 waits for 51; 61 is due and follows 60.
        assertThat(taken).containsExactly(0L, 11L, 40L, 51L, 61L);

        // a model of 100 layers: one histogram record per 5 s at most, however short minAnalysisInterval is
        NetworkDescription.Builder wide = NetworkDescription.builder("wide");
        for (int l = 0; l < 100; l++) wide.dense("d" + l, 4, 4, true).activation(Activation.RELU);
        StepDetails large = new StepDetails(wide.build(), NoetherConfig.builder().analysisEvery(1)
                .minAnalysisInterval(Duration.ZERO).build(), ticker, e -> { throw new AssertionError(e); });
        assertThat(large.attach(report(wide.build(), 0, 100), snapshot(0, 100), null, () -> new double[0][])).isNotNull();
        ticker.advance(Duration.ofSeconds(4));
        NoetherReport tooSoon = report(wide.build(), 1, 100);
        assertThat(large.attach(tooSoon, snapshot(1, 100), snapshot(0, 100), () -> new double[0][])).isSameAs(tooSoon);
        ticker.advance(Duration.ofSeconds(1));
        NoetherReport due = report(wide.build(), 2, 100);
        assertThat(large.attach(due, snapshot(2, 100), snapshot(1, 100), () -> new double[0][])).isNotSameAs(due);
    }

    private static StepSnapshot snapshot(long step, int layers) {
        StepSnapshot.Builder b = StepSnapshot.builder(step).loss(1);
        for (int l = 0; l < layers; l++) b.layer(LayerSnapshot.ofWeights(new float[16], new float[4]));
        return b.build();
    }

    private static NoetherReport report(NetworkDescription d, long step, int layers) {
        NoetherReport.Builder b = NoetherReport.builder(NoetherReport.Kind.STEP, d.model(), step, java.time.Instant.EPOCH);
        for (int l = 0; l < layers; l++) b.put(MetricFamily.LAYER_WEIGHT_NORM, 1.0, "layer", "d" + l);
        return b.build();
    }

    @Test
    void anEngineThatReducesGivesNeuronNormsFromItsSumsAndNoUpdates() {
        PlainSgdMlp net = new PlainSgdMlp(new int[] {4, 5, 2}, true, PlainSgdMlp.Act.RELU, ETA, 0, 3);
        NetworkDescription d = net.describe("reduced", Activation.RELU);
        StepDetails details = new StepDetails(d, NoetherConfig.builder().analysisEvery(1)
                .minAnalysisInterval(Duration.ZERO).build(), new ManualTicker(), e -> { throw new AssertionError(e); });
        StepSnapshot.Builder b = StepSnapshot.builder(7).loss(0.5).optimizer(net.sgd());
        for (int l = 0; l < net.layers(); l++) {
            int m = net.widths[l + 1];
            int n = net.widths[l];
            double[] rowSq = new double[m];
            double[] colSq = new double[n];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double x = net.w[l][i * n + j];
                    rowSq[i] += x * x;
                    colSq[j] += x * x;
                }
            }
            double[] biasSq = new double[m];
            for (int i = 0; i < m; i++) {
                biasSq[i] = (double) net.b[l][i] * net.b[l][i];
            }
            b.layer(LayerSnapshot.reduced(new LayerReductions(rowSq, null, null, biasSq, null, null, colSq, null, null,
                    Double.NaN), null, null));
        }
        NoetherReport report = details.attach(report(d, 7, net), b.build(), null, () -> new double[1][]);
        Map<String, Object> fc1 = map(map(report.details().get("histograms")).get("fc1"));
        assertThat(fc1).containsOnlyKeys("neuron.norms");
        assertMatches(fc1.get("neuron.norms"), rowNorms(net.w[0], 5, 4));
    }

    @Test
    void perNeuronAndPerBinDataNeverBecomeMeters() {
        PlainSgdMlp net = new PlainSgdMlp(new int[] {5, 8, 8, 2}, true, PlainSgdMlp.Act.RELU, ETA, 0.01, 9);
        double[][][] data = PlainSgdMlp.teacherData(64, 5, 2, 10);
        NoetherConfig everyStep = NoetherConfig.builder().observeEvery(1).analysisEvery(1)
                .minAnalysisInterval(Duration.ZERO).build();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Set<MetricKey> reported = new HashSet<>();
        List<NoetherReport> withHistograms = new CopyOnWriteArrayList<>();
        ManualTicker ticker = new ManualTicker();
        try (NoetherMonitor monitor = NoetherMonitor.builder(net.describe("card", Activation.RELU)).config(everyStep)
                .ticker(ticker).build()) {
            new NoetherMetrics(monitor).bindTo(registry);
            monitor.addListener(r -> {
                reported.addAll(r.values().keySet());
                if (r.details().containsKey("histograms")) {
                    withHistograms.add(r);
                }
            });
            for (int t = 0; t < 4; t++) {
                double loss = net.backward(PlainSgdMlp.rows(data[0], 8 * t, 8), PlainSgdMlp.rows(data[1], 8 * t, 8));
                ticker.advance(Duration.ofSeconds(1));
                monitor.onStep(net.snapshot(t, loss, net.sgd()));
                monitor.awaitSteps(Duration.ofSeconds(10));
                net.update();
            }
            assertThat(withHistograms).hasSize(4);
            long reportSeries = registry.getMeters().stream()
                    .filter(m -> name(m).source() == MetricFamily.Source.REPORT).count();
            assertThat(reportSeries).as("one series per reported value, none per neuron or bin").isEqualTo(reported.size());
            assertThat(registry.getMeters()).allSatisfy(m -> assertThat(m.getId().getTags())
                    .allSatisfy(tag -> assertThat(tag.getKey()).isIn("model", "layer", "pair", "symmetry", "part", "side",
                            "relation", "phase", "tier", "reason", "stage", "kind", "shape", "version", "engine",
                            "optimizer", "unsupported")));
        }
    }

    private static MetricFamily name(Meter m) {
        return MetricFamily.byShortName(m.getId().getName().substring("noether.".length()));
    }

    /** A step report as the step tier writes it for these layers: what StepDetails reads is the weight norm. */
    private static NoetherReport report(NetworkDescription d, long step, PlainSgdMlp net) {
        NoetherReport.Builder b = NoetherReport.builder(NoetherReport.Kind.STEP, d.model(), step, java.time.Instant.EPOCH);
        for (int l = 0; l < net.layers(); l++) {
            b.put(MetricFamily.LAYER_WEIGHT_NORM, 1.0, "layer", "fc" + (l + 1));
        }
        return b.build();
    }

    /**
     * The histogram of {@code values}: count, min, max, mean, and each bin's count, taken here by comparing every
     * value with the edges min + k·(max − min)/32 (the last bin closed).
     */
    private static void assertMatches(Object histogram, double[] values) {
        Map<String, Object> h = map(histogram);
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY, sum = 0;
        for (double v : values) {
            min = Math.min(min, v);
            max = Math.max(max, v);
            sum += v;
        }
        assertThat(h.get("count")).isEqualTo(values.length);
        assertThat((double) h.get("min")).isEqualTo(min);
        assertThat((double) h.get("max")).isEqualTo(max);
        assertThat((double) h.get("mean")).isCloseTo(sum / values.length, within(1e-12 * (1 + Math.abs(max))));
        int[] bins = (int[]) h.get("bins");
        assertThat(bins).hasSize(32);
        double width = (max - min) / 32;
        for (int k = 0; k < 32; k++) {
            double lo = min + k * width, hi = min + (k + 1) * width;
            int expected = 0;
            for (double v : values) {
                if (v >= lo && (v < hi || k == 31)) {
                    expected++;
                }
            }
            assertThat(bins[k]).as("bin %d of [%s, %s]", k, lo, hi).isEqualTo(expected);
        }
    }

    private static double[] charges(PlainSgdMlp net, int l) {
        int m = net.widths[l + 1];
        int n = net.widths[l];
        int next = net.widths[l + 2];
        double[] c = new double[m];
        for (int i = 0; i < m; i++) {
            double in = (double) net.b[l][i] * net.b[l][i];
            for (int j = 0; j < n; j++) {
                in += (double) net.w[l][i * n + j] * net.w[l][i * n + j];
            }
            double out = 0;
            for (int k = 0; k < next; k++) {
                out += (double) net.w[l + 1][k * m + i] * net.w[l + 1][k * m + i];
            }
            c[i] = in - out;
        }
        return c;
    }

    private static double[] rowNorms(float[] w, int m, int n) {
        double[] out = new double[m];
        for (int i = 0; i < m; i++) {
            double s = 0;
            for (int j = 0; j < n; j++) {
                s += (double) w[i * n + j] * w[i * n + j];
            }
            out[i] = Math.sqrt(s);
        }
        return out;
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        assertThat(o).isInstanceOf(Map.class);
        return (Map<String, Object>) o;
    }
}
