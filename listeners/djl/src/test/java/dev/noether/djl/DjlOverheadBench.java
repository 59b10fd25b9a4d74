package dev.noether.djl;

import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.SkipReason;
import dev.noether.core.runtime.Stage;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Step time with and without {@link NoetherTrainingListener} at default settings (N = 50), for the 784-256-256-10 MLP at
 * batch 128 on DJL's PyTorch CPU engine. Not a test: run its {@code main} (see the module README). Two identical
 * trainers, A without and B with the listener, train in alternating blocks (A B A B ...) in one JVM so that
 * machine load affects both alike; each step (trainBatch + step) is timed and the median and mean per-step
 * times are reported. The mean includes the probe every N steps; the median shows the every-step tier.
 *
 * <p>Arguments (all optional): blocks (default 20), steps per block (default 100), warm-up steps (default 200),
 * analysis stride N (default 50, the default of {@link NoetherConfig}; a huge N isolates the every-step tier).
 */
public final class DjlOverheadBench {
    private static final int BATCH = 128;

    public static void main(String[] args) {
        int blocks = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        int perBlock = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        int warmUp = args.length > 2 ? Integer.parseInt(args[2]) : 200;
        int every = args.length > 3 ? Integer.parseInt(args[3]) : NoetherConfig.defaults().analysisEvery();
        TeacherStudent data = TeacherStudent.generate(4096, 784, 10, 7);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        NoetherTrainingListener listener = NoetherTrainingListener.builder().registry(registry)
                .config(NoetherConfig.builder().analysisEvery(every).build()).build();
        try (DjlRun plain = new DjlRun(Mlp.relu(256, 256, 10), data, sgd(), 3);
             DjlRun watched = new DjlRun(Mlp.relu(256, 256, 10), data, sgd(), 3, listener)) {
            time(plain, warmUp);
            time(watched, warmUp);
            long[] a = new long[blocks * perBlock];
            long[] b = new long[blocks * perBlock];
            for (int k = 0; k < blocks; k++) {
                System.arraycopy(time(plain, perBlock), 0, a, k * perBlock, perBlock);
                System.arraycopy(time(watched, perBlock), 0, b, k * perBlock, perBlock);
            }
            double medianA = median(a);
            double medianB = median(b);
            double meanA = mean(a);
            double meanB = mean(b);
            System.out.printf(Locale.ROOT, "784-256-256-10 MLP, batch %d, N = %d, %d x %d steps each, interleaved%n",
                    BATCH, every, blocks, perBlock);
            System.out.printf(Locale.ROOT, "without listener: median %.3f ms, mean %.3f ms per step%n", medianA, meanA);
            System.out.printf(Locale.ROOT, "with listener:    median %.3f ms, mean %.3f ms per step%n", medianB, meanB);
            System.out.printf(Locale.ROOT, "overhead: median %+.1f%%, mean %+.1f%%%n",
                    100 * (medianB / medianA - 1), 100 * (meanB / meanA - 1));
            listener.monitor().ifPresent(m -> System.out.printf(Locale.ROOT,
                    "monitor: %d steps, analyses skipped busy=%d rate_limited=%d, errors adapter=%d probe=%d%n",
                    m.steps(), m.skipped(SkipReason.BUSY), m.skipped(SkipReason.RATE_LIMITED), m.errors(Stage.ADAPTER), m.errors(Stage.PROBE)));
            for (String tier : new String[] {"step", "probe", "heavy"}) {
                Timer t = registry.find("noether.analysis").tag("tier", tier).timer();
                if (t != null && t.count() > 0) {
                    System.out.printf(Locale.ROOT, "tier %-5s: %5d calls, mean %.3f ms%n", tier, t.count(),
                            t.totalTime(TimeUnit.MILLISECONDS) / t.count());
                }
            }
        }
    }

    private static Optimizer sgd() {
        return Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.01f)).optWeightDecays(1e-4f).build();
    }

    /** Per-step wall times in nanoseconds. */
    private static long[] time(DjlRun run, int steps) {
        long[] out = new long[steps];
        for (int s = 0; s < steps; s++) {
            long start = System.nanoTime();
            run.steps(1, BATCH);
            out[s] = System.nanoTime() - start;
        }
        return out;
    }

    static double median(long[] nanos) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        return s[s.length / 2] / 1e6;
    }

    static double mean(long[] nanos) {
        return Arrays.stream(nanos).average().orElse(Double.NaN) / 1e6;
    }
}
