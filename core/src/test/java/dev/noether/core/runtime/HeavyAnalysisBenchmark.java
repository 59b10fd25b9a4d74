package dev.noether.core.runtime;

import dev.noether.core.model.Activation;
import dev.noether.core.model.LayerProbe;
import dev.noether.core.model.LayerSnapshot;
import dev.noether.core.model.NetworkDescription;
import dev.noether.core.model.StepSnapshot;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Time of one heavy analysis (background thread) for a hidden layer of width d followed by a d → 10 output
 * layer, with probe moments of 256 samples: ranks, dead/distinct neurons, correlation blocks, the six CRH
 * alignments with baselines, phase, PAH on both sides and FDT.
 *
 * <p>Run: {@code mvn -q -pl core -Pbench verify -Dbench=HeavyAnalysisBenchmark}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(1)
public class HeavyAnalysisBenchmark {
    @Param({"64", "256", "1024", "2048"})
    public int width;

    private HeavyAnalysis analysis;
    private StepSnapshot snapshot;
    private List<LayerProbe> probes;

    @Setup
    public void setUp() {
        int d = width;
        NetworkDescription net = NetworkDescription.builder("bench")
                .dense("hidden", d, d, true).activation(Activation.RELU)
                .dense("out", 10, d, true)
                .build();
        analysis = new HeavyAnalysis(net, NoetherConfig.defaults(), i -> { }, () -> new double[0][]);
        Random r = new Random(7);
        float[] w1 = StepTierBenchmark.gaussian(r, d * d);
        float[] w2 = StepTierBenchmark.gaussian(r, 10 * d);
        snapshot = StepSnapshot.builder(0)
                .layer(LayerSnapshot.ofWeights(w1, new float[d]))
                .layer(LayerSnapshot.ofWeights(w2, new float[10]))
                .build();
        int samples = 256;
        float[][] x = new float[samples][d];
        for (float[] row : x) {
            for (int j = 0; j < d; j++) {
                row[j] = (float) r.nextGaussian();
            }
        }
        float[][] h = multiply(x, w1, d, d);
        float[][] g = new float[samples][d];
        for (float[] row : g) {
            for (int j = 0; j < d; j++) {
                row[j] = (float) r.nextGaussian();
            }
        }
        float[] active = new float[d];
        float[] mean = new float[d];
        for (float[] row : h) {
            for (int j = 0; j < d; j++) {
                active[j] += row[j] > 0 ? 1f / samples : 0;
                mean[j] += row[j] / samples;
            }
        }
        probes = new ArrayList<>();
        probes.add(LayerProbe.builder(0).samples(samples).inputMoment(gram(x, d)).outputMoment(gram(h, d))
                .outputGradientMoment(gram(g, d)).outputMean(mean).activeFraction(active).build());
    }

    @Benchmark
    public NoetherReport analyze() {
        return analysis.analyze(snapshot, probes, Instant.EPOCH);
    }

    private static float[][] multiply(float[][] x, float[] w, int m, int n) {
        float[][] out = new float[x.length][m];
        for (int s = 0; s < x.length; s++) {
            for (int i = 0; i < m; i++) {
                double v = 0;
                for (int j = 0; j < n; j++) {
                    v += w[i * n + j] * x[s][j];
                }
                out[s][i] = (float) v;
            }
        }
        return out;
    }

    private static float[] gram(float[][] x, int d) {
        double[] g = new double[d * d];
        for (float[] row : x) {
            for (int i = 0; i < d; i++) {
                double xi = row[i];
                for (int j = 0; j < d; j++) {
                    g[i * d + j] += xi * row[j];
                }
            }
        }
        float[] out = new float[d * d];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) (g[i] / x.length);
        }
        return out;
    }
}
