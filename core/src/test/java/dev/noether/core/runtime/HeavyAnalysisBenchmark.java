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
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
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
 * <p>{@code interleaved} alternates the two on one state and prints medians and the median paired ratio: the
 * A/B figure on a shared machine.
 *
 * <p>Run: {@code mvn -q -pl core -Pbench verify -Dbench=HeavyAnalysisBenchmark} (all widths, native LAPACK
 * when present); one width or the pure-Java path: {@code -Dbench="HeavyAnalysisBenchmark -p width=1024
 * -p linalg=java"}; sketched against exact at 4096: {@code -Dbench="HeavyAnalysisBenchmark.analyze
 * -p width=4096 -p exactLimit=1024,8192"}.
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

    /**
     * The exact limit: wider layers are sketched. {@code -p exactLimit=1024,8192 -p width=4096} measures the
     * sketched and the exact cost of one width in one run.
     */
    @Param({"1024"})
    public int exactLimit;

    private HeavyAnalysis analysis;
    private StepSnapshot snapshot;
    private LapackReference reference;
    private List<LayerProbe> probes;
    private final List<Double> analysisSeconds = new ArrayList<>();
    private final List<Double> referenceSeconds = new ArrayList<>();

    @Setup
    public void setUp() {
        int d = width;
        NetworkDescription net = NetworkDescription.builder("bench")
                .dense("hidden", d, d, true).activation(Activation.RELU)
                .dense("out", 10, d, true)
                .build();
        NoetherConfig config = NoetherConfig.builder().linearAlgebra(LinearAlgebra.Backend.parse(linalg))
                .exactDimensionLimit(exactLimit).build();
        analysis = new HeavyAnalysis(net, config, i -> { }, () -> new double[0][]);
        Random r = new Random(7);
        float[] w1 = StepTierBenchmark.gaussian(r, d * d);
        float[] w2 = StepTierBenchmark.gaussian(r, 10 * d);
        snapshot = StepSnapshot.builder(0)
                .layer(LayerSnapshot.ofWeights(w1, new float[d]))
                .layer(LayerSnapshot.ofWeights(w2, new float[10]))
                .build();
        int samples = 256;
        LinearAlgebra la = LinearAlgebra.preferred(); // set-up only
        double[] x = gaussian(r, samples * d);
        double[] h = la.multiply(x, false, toDouble(w1), true, samples, d, d); // rows h = W x
        double[] g = gaussian(r, samples * d);
        float[] active = new float[d];
        float[] mean = new float[d];
        for (int s = 0; s < samples; s++) {
            for (int j = 0; j < d; j++) {
                active[j] += h[s * d + j] > 0 ? 1f / samples : 0;
                mean[j] += (float) (h[s * d + j] / samples);
            }
        }
        float[] ha = moment(la, x, samples, d);
        float[] hb = moment(la, h, samples, d);
        float[] gb = moment(la, g, samples, d);
        reference = new LapackReference(d, toDouble(w1), toDouble(ha), toDouble(hb), toDouble(gb));
        probes = new ArrayList<>();
        probes.add(LayerProbe.builder(0).samples(samples).inputMoment(ha).outputMoment(hb)
                .outputGradientMoment(gb).outputMean(mean).activeFraction(active).build());
    }

    /** E[x xᵀ] over the rows of the samples×d matrix, as float32 (as adapters send it). */
    private static float[] moment(LinearAlgebra la, double[] rows, int samples, int d) {
        double[] m = la.innerGram(rows, samples, d);
        float[] out = new float[m.length];
        for (int i = 0; i < m.length; i++) {
            out[i] = (float) (m[i] / samples);
        }
        return out;
    }

    private static double[] gaussian(Random r, int size) {
        double[] a = new double[size];
        for (int i = 0; i < size; i++) {
            a[i] = r.nextGaussian();
        }
        return a;
    }

    @Benchmark
    public NoetherReport analyze() {
        return analysis.analyze(snapshot, probes, Instant.EPOCH);
    }

    @Benchmark
    public double lapackReference() {
        return reference.run();
    }

    /**
     * A/B on a shared machine: one analysis, then one reference, each timed, so both see the same load; the
     * trial's tear-down prints the medians and the median of the paired ratios (the figure to quote).
     */
    @Benchmark
    public double interleaved() {
        long t0 = System.nanoTime();
        NoetherReport report = analysis.analyze(snapshot, probes, Instant.EPOCH);
        long t1 = System.nanoTime();
        double check = reference.run();
        long t2 = System.nanoTime();
        analysisSeconds.add((t1 - t0) / 1e9);
        referenceSeconds.add((t2 - t1) / 1e9);
        return check + report.values().size();
    }

    @TearDown(Level.Trial)
    public void printPairs() {
        if (analysisSeconds.isEmpty()) {
            return;
        }
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < analysisSeconds.size(); i++) {
            ratios.add(analysisSeconds.get(i) / referenceSeconds.get(i));
        }
        System.out.printf("%nwidth %d, exactLimit %d, %s: analysis median %.4f s, LAPACK reference median %.4f s, "
                + "median paired ratio %.2f (%d pairs; analysis %s, reference %s)%n", width, exactLimit,
                LinearAlgebra.of(LinearAlgebra.Backend.parse(linalg)).name(), median(analysisSeconds),
                median(referenceSeconds), median(ratios), ratios.size(), analysisSeconds, referenceSeconds);
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : 0.5 * (sorted.get(n / 2 - 1) + sorted.get(n / 2));
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }
}
