package dev.noether.core.runtime;

import dev.noether.core.model.Activation;
import dev.noether.core.model.LayerSnapshot;
import dev.noether.core.model.NetworkDescription;
import dev.noether.core.model.OptimizerSettings;
import dev.noether.core.model.StepSnapshot;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Cost of the every-step tier's sums for a 784-512-512-10 ReLU MLP (669,706 parameters): charges, drift,
 * prediction, violation, norms, update ratios and the non-finite check, handed to the step thread and waited
 * for (so the figure is the step thread's time per step plus the hand-off). The adapter's copy from the engine,
 * the training thread's part, is not included (the listener benchmarks measure it).
 *
 * <p>Run: {@code mvn -q -pl core -Pbench verify -Dbench=StepTierBenchmark}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class StepTierBenchmark {
    private static final int[] WIDTHS = {784, 512, 512, 10};

    private NoetherMonitor monitor;
    private float[][][] weights;
    private float[][][] gradients;
    private float[][] biases;
    private long step;

    @Setup
    public void setUp() {
        NetworkDescription.Builder d = NetworkDescription.builder("bench");
        for (int l = 0; l + 1 < WIDTHS.length; l++) {
            d.dense("fc" + l, WIDTHS[l + 1], WIDTHS[l], true);
            if (l + 2 < WIDTHS.length) {
                d.activation(Activation.RELU);
            }
        }
        // observe every step: this measures the cost of one observed step
        monitor = NoetherMonitor.builder(d.build()).config(NoetherConfig.builder().observeEvery(1).build()).build();
        Random r = new Random(1);
        int layers = WIDTHS.length - 1;
        // two alternating parameter sets so the update ratio sees a real difference
        weights = new float[2][layers][];
        gradients = new float[2][layers][];
        biases = new float[layers][];
        for (int v = 0; v < 2; v++) {
            for (int l = 0; l < layers; l++) {
                weights[v][l] = gaussian(r, WIDTHS[l + 1] * WIDTHS[l]);
                gradients[v][l] = gaussian(r, WIDTHS[l + 1] * WIDTHS[l]);
            }
        }
        for (int l = 0; l < layers; l++) {
            biases[l] = gaussian(r, WIDTHS[l + 1]);
        }
    }

    @Benchmark
    public void everyStep() {
        int v = (int) (step & 1);
        StepSnapshot.Builder s = StepSnapshot.builder(step++).loss(1.0).optimizer(OptimizerSettings.plainSgd(0.01, 1e-4, 1e-4));
        for (int l = 0; l < biases.length; l++) {
            s.layer(LayerSnapshot.of(weights[v][l], biases[l], gradients[v][l], biases[l]));
        }
        monitor.onStep(s.build());
        monitor.awaitSteps(java.time.Duration.ofSeconds(10)); // the sums run on the step thread: wait for them
    }

    @TearDown
    public void tearDown() {
        monitor.close();
    }

    static float[] gaussian(Random r, int size) {
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = (float) (r.nextGaussian() * 0.05);
        }
        return a;
    }
}
