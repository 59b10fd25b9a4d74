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
 * Step time with and without {@link NoetherTrainingListener} for the 784-256-256-10 MLP at batch 128 on DJL's
 * PyTorch CPU engine. Not a test: run its {@code main} (see the module README). Identical trainers train in
 * rotating blocks in one JVM, so that machine load affects all alike: no listener; Noether at its defaults
 * (an analysis every N); Noether's step tier observing every step ({@code observeEvery=1}, no analysis);
 * Noether observing 2 steps in 25. Each step (trainBatch +
 * step) is timed; the table gives the 10th percentile, median and mean per variant with their ratios to no
 * listener. The mean includes the probe every N steps and the background analysis competing for the cores.
 * Noether's own timers follow, for the defaults and for {@code observeEvery=1}: the step tier per observed
 * step on the training thread (the copy) and on its step thread (the sums), the probe and the heavy analysis.
 * Run it with {@code -Pdjl-bench} (see the module README).
 *
 * <p>Arguments (all optional): blocks (default 20), steps per block (default 100), warm-up steps (default 200),
 * analysis stride N (default 50, the default of {@link NoetherConfig}).
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
        SimpleMeterRegistry everyStepMeters = new SimpleMeterRegistry();
        NoetherTrainingListener defaults = NoetherTrainingListener.builder().registry(registry)
                .config(NoetherConfig.builder().analysisEvery(every).build()).build();
        String[] names = {"none", "noether-default", "noether-every-step", "noether-observe-25"};
        NoetherTrainingListener[] listeners = {null, defaults,
                NoetherTrainingListener.builder().registry(everyStepMeters)
                        .config(NoetherConfig.builder().observeEvery(1).analysisEvery(Integer.MAX_VALUE).build()).build(),
                NoetherTrainingListener.builder().config(NoetherConfig.builder().analysisEvery(every).observeEvery(25).build()).build()};
        DjlRun[] runs = new DjlRun[names.length];
        try {
            for (int v = 0; v < runs.length; v++) {
                runs[v] = listeners[v] == null ? new DjlRun(Mlp.relu(256, 256, 10), data, sgd(), 3)
                        : new DjlRun(Mlp.relu(256, 256, 10), data, sgd(), 3, listeners[v]);
                time(runs[v], warmUp);
            }
            long[][] times = new long[runs.length][blocks * perBlock];
            for (int k = 0; k < blocks; k++) {
                for (int i = 0; i < runs.length; i++) {
                    int v = (i + k) % runs.length; // rotate so that no variant always follows another
                    System.arraycopy(time(runs[v], perBlock), 0, times[v], k * perBlock, perBlock);
                }
            }
            System.out.printf(Locale.ROOT, "DJL 784-256-256-10 MLP, batch %d, N = %d, %d x %d steps per variant, interleaved%n",
                    BATCH, every, blocks, perBlock);
            System.out.printf(Locale.ROOT, "%-24s %10s %7s %10s %7s %10s %7s%n", "variant", "p10 ms", "ratio",
                    "median ms", "ratio", "mean ms", "ratio");
            for (int v = 0; v < runs.length; v++) {
                System.out.printf(Locale.ROOT, "%-24s %10.3f %7.3f %10.3f %7.3f %10.3f %7.3f%n", names[v],
                        percentile(times[v], 0.1), percentile(times[v], 0.1) / percentile(times[0], 0.1),
                        median(times[v]), median(times[v]) / median(times[0]), mean(times[v]), mean(times[v]) / mean(times[0]));
            }
            defaults.monitor().ifPresent(m -> System.out.printf(Locale.ROOT,
                    "noether-default: %d steps, %d observed (%.1f %% lately), measured overhead %.2f %% of a %.0f %% budget, "
                            + "interference %.2f, %d dropped, analyses %d, skipped busy=%d rate_limited=%d budget=%d, "
                            + "errors adapter=%d probe=%d%n",
                    m.steps(), m.observedSteps(), 100 * m.observedFraction(), 100 * m.overhead(),
                    100 * m.config().overheadBudget(), m.interference(), m.droppedSteps(), m.stats().analyses(),
                    m.skipped(SkipReason.BUSY), m.skipped(SkipReason.RATE_LIMITED), m.skipped(SkipReason.BUDGET),
                    m.errors(Stage.ADAPTER), m.errors(Stage.PROBE)));
            printTimers("noether-default", registry, "step", "step_background", "probe", "heavy");
            // observeEvery=1 (issue 20): per observed step, the training thread's part and the step thread's sums
            printTimers("noether-every-step", everyStepMeters, "step", "step_background");
        } finally {
            for (DjlRun r : runs) {
                if (r != null) {
                    r.close();
                }
            }
        }
    }

    private static void printTimers(String variant, SimpleMeterRegistry meters, String... tiers) {
        for (String tier : tiers) {
            Timer t = meters.find("noether.analysis").tag("tier", tier).timer();
            if (t != null && t.count() > 0) {
                System.out.printf(Locale.ROOT, "%s tier %-15s: %6d calls, mean %.3f ms%n", variant, tier, t.count(),
                        t.totalTime(TimeUnit.MILLISECONDS) / t.count());
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
        return percentile(nanos, 0.5);
    }

    /** The q-quantile in ms (nearest rank); p10 is a step that other load on a busy machine did not disturb. */
    static double percentile(long[] nanos, double q) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        return s[Math.min(s.length - 1, (int) (q * s.length))] / 1e6;
    }

    static double mean(long[] nanos) {
        return Arrays.stream(nanos).average().orElse(Double.NaN) / 1e6;
    }
}
