package dev.noether.core.physics;

import dev.noether.core.model.LayerSnapshot;

import org.openjdk.jmh.annotations.AuxCounters;
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
import org.openjdk.jmh.annotations.Warmup;

import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Throughput of the step thread's host sums ({@link LayerMoments#of(LayerSnapshot, int, int, boolean, boolean,
 * float[])}) over one step of an MLP, as the step tier calls them: the first layer of a pair by rows, the last
 * by columns, a middle layer both ways, each with its gradient (scaled by 1/128, as DL4J hands it) and the
 * previous step's W. Four steps' arrays rotate, as the adapters' recycled copies do, so the data does not sit
 * in the core's private cache. Same run, same data: {@code sums} (the monitor's code, {@link RowBlockSums}),
 * {@code rowByRow} (the loop it replaced, {@link RowByRowSums}) and {@code copy} (one {@code System.arraycopy}
 * of the same W and ∂ℓ/∂W, what the training thread's copy does, as a memory-speed yardstick).
 * The score is steps per ms; the {@code readGBps} counter is the input read, in GB/s ({@code copy}: what it
 * reads).
 *
 * <p>Run: {@code mvn -q -pl core -Pbench verify -Dbench=LayerMomentsBenchmark}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class LayerMomentsBenchmark {
    private static final int STEPS = 4;
    private static final double SCALE = 1.0 / 128;

    @Param({"784-256-256-10", "784-1024-1024-10"})
    public String widths;

    private int[] width;
    private float[][][] weights;   // [step][layer]
    private float[][][] gradients;
    private float[][] biases;
    private float[][] scratch;
    private long bytesPerStep;
    private long copyBytesPerStep;
    private int step;

    /** MB read, which JMH divides by the ms measured: GB/s. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Read {
        public double readGBps;

        @Setup(Level.Iteration)
        public void clear() {
            readGBps = 0;
        }
    }

    @Setup
    public void setUp() {
        width = Arrays.stream(widths.split("-")).mapToInt(Integer::parseInt).toArray();
        int layers = width.length - 1;
        Random r = new Random(1);
        weights = new float[STEPS][layers][];
        gradients = new float[STEPS][layers][];
        biases = new float[layers][];
        scratch = new float[layers][];
        for (int l = 0; l < layers; l++) {
            int size = width[l + 1] * width[l];
            for (int s = 0; s < STEPS; s++) {
                weights[s][l] = gaussian(r, size, 0.05);
                gradients[s][l] = gaussian(r, size, 1);
            }
            biases[l] = gaussian(r, width[l + 1], 0.05);
            scratch[l] = new float[size];
            bytesPerStep += 3L * Float.BYTES * size; // W, ∂ℓ/∂W, previous W
            copyBytesPerStep += 2L * Float.BYTES * size;
        }
    }

    @Benchmark
    public double sums(Read read) {
        int s = step++ % STEPS;
        float[][] w = weights[s];
        float[][] previous = weights[(s + STEPS - 1) % STEPS];
        double sink = 0;
        for (int l = 0; l < w.length; l++) {
            LayerSnapshot layer = LayerSnapshot.of(w[l], biases[l], gradients[s][l], biases[l], SCALE);
            LayerMoments t = LayerMoments.of(layer, width[l + 1], width[l], l + 1 < w.length, l > 0, previous[l]);
            sink += t.weightSquared + t.deltaSquared;
        }
        read.readGBps += bytesPerStep / 1e6;
        return sink;
    }

    @Benchmark
    public double rowByRow(Read read) {
        int s = step++ % STEPS;
        float[][] w = weights[s];
        float[][] previous = weights[(s + STEPS - 1) % STEPS];
        double sink = 0;
        for (int l = 0; l < w.length; l++) {
            sink += RowByRowSums.of(w[l], gradients[s][l], SCALE, previous[l], width[l + 1], width[l], l + 1 < w.length, l > 0);
        }
        read.readGBps += bytesPerStep / 1e6;
        return sink;
    }

    @Benchmark
    public float copy(Read read) {
        int s = step++ % STEPS;
        float sink = 0;
        for (int l = 0; l < scratch.length; l++) {
            System.arraycopy(weights[s][l], 0, scratch[l], 0, scratch[l].length);
            sink += scratch[l][0];
            System.arraycopy(gradients[s][l], 0, scratch[l], 0, scratch[l].length);
            sink += scratch[l][1];
        }
        read.readGBps += copyBytesPerStep / 1e6;
        return sink;
    }

    private static float[] gaussian(Random r, int size, double sd) {
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = (float) (r.nextGaussian() * sd);
        }
        return a;
    }
}
