package dev.noether.core.runtime;

import dev.noether.core.linalg.LinearAlgebra;
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
 * <p>{@code lapackReference} times, in the same run and on the same inputs, the decompositions a heavy analysis
 * cannot do without, as raw OpenBLAS/LAPACKE calls on one thread (the flop limit of PLATFORM.md, the same set
 * as {@code core/bench/heavy_reference.py} times with numpy): Z_a, Z_b, G_a = WᵀG_bW, the singular values of
 * W, the eigenvalues of H_b and the eigen-decompositions of G_a and G_b with H's quadratic forms in their
 * bases. The ratio {@code analyze / lapackReference} at one width is the distance from that limit.
 *
 * <p>Run: {@code mvn -q -pl core -Pbench verify -Dbench=HeavyAnalysisBenchmark} (all widths, native LAPACK
 * when present); one width or the pure-Java path: {@code -Dbench="HeavyAnalysisBenchmark -p width=1024
 * -p linalg=java"}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(1)
public class HeavyAnalysisBenchmark {
    @Param({"64", "256", "1024", "2048", "4096"})
    public int width;

    /** auto, native or java (see {@link LinearAlgebra.Backend}). */
    @Param({"auto"})
    public String linalg;

    private HeavyAnalysis analysis;
    private StepSnapshot snapshot;
    private LapackReference reference;
    private List<LayerProbe> probes;

    @Setup
    public void setUp() {
        int d = width;
        NetworkDescription net = NetworkDescription.builder("bench")
                .dense("hidden", d, d, true).activation(Activation.RELU)
                .dense("out", 10, d, true)
                .build();
        NoetherConfig config = NoetherConfig.builder().linearAlgebra(LinearAlgebra.Backend.parse(linalg)).build();
        analysis = new HeavyAnalysis(net, config, i -> { }, () -> new double[0][]);
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
        reference = new LapackReference(d, toDouble(w1), toDouble(gram(x, d)), toDouble(gram(h, d)),
                toDouble(gram(g, d)));
        probes = new ArrayList<>();
        probes.add(LayerProbe.builder(0).samples(samples).inputMoment(gram(x, d)).outputMoment(gram(h, d))
                .outputGradientMoment(gram(g, d)).outputMean(mean).activeFraction(active).build());
    }

    @Benchmark
    public NoetherReport analyze() {
        return analysis.analyze(snapshot, probes, Instant.EPOCH);
    }

    @Benchmark
    public double lapackReference() {
        return reference.run();
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
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
