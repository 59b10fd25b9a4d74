package dev.noether.djl;

import dev.noether.core.runtime.SkipReason;

import dev.noether.core.runtime.Stage;

import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.noether.core.runtime.NoetherConfig;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Step time with and without {@link NoetherTrainingListener} at default settings (N = 50, every step observed, the analysis CPU share
 * cap) for a convolutional model on 1×28×28 generated images at batch 32, PyTorch CPU: DJL's model-zoo
 * ResNetV1-20 ({@code resnet20}) or the LeNet-style CNN of the tests ({@code lenet}). Not a test: run its
 * {@code main} (module README). As {@link DjlOverheadBench}: two identical trainers, A without and B with the
 * listener, train in alternating blocks in one JVM; reports median and mean step times, their ratio, and the
 * probe tier's cost per analysis (the conv patch moments of every layer, on the training thread).
 *
 * <p>Arguments (all optional): model (default resnet20), blocks (default 6), steps per block (default 50),
 * warm-up steps (default 20).
 */
public final class DjlConvBench {
    private static final int BATCH = 32;

    public static void main(String[] args) {
        String model = args.length > 0 ? args[0] : "resnet20";
        int blocks = args.length > 1 ? Integer.parseInt(args[1]) : 6;
        int perBlock = args.length > 2 ? Integer.parseInt(args[2]) : 50;
        int warmUp = args.length > 3 ? Integer.parseInt(args[3]) : 20;
        java.util.function.Supplier<ai.djl.nn.Block> net = switch (model) {
            case "resnet20" -> () -> ConvNets.resnet(20, 10);
            case "lenet" -> () -> ConvNets.lenet(10);
            default -> throw new IllegalArgumentException("model is resnet20 or lenet, not " + model);
        };
        TeacherStudent images = TeacherStudent.generate(2048, 784, 10, 7);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        NoetherTrainingListener listener = NoetherTrainingListener.builder().registry(registry).config(NoetherConfig.defaults()).build();
        try (DjlRun plain = new DjlRun(net.get(), images, ConvNets.MNIST, sgd(), 3);
             DjlRun watched = new DjlRun(net.get(), images, ConvNets.MNIST, sgd(), 3, listener)) {
            time(plain, warmUp);
            time(watched, warmUp);
            long[] a = new long[blocks * perBlock];
            long[] b = new long[blocks * perBlock];
            for (int k = 0; k < blocks; k++) {
                System.arraycopy(time(plain, perBlock), 0, a, k * perBlock, perBlock);
                System.arraycopy(time(watched, perBlock), 0, b, k * perBlock, perBlock);
            }
            double medianA = DjlOverheadBench.median(a);
            double medianB = DjlOverheadBench.median(b);
            double meanA = DjlOverheadBench.mean(a);
            double meanB = DjlOverheadBench.mean(b);
            System.out.printf(Locale.ROOT, "%s, 1x28x28, batch %d, defaults, %d x %d steps each, interleaved%n",
                    model, BATCH, blocks, perBlock);
            System.out.printf(Locale.ROOT, "without listener: median %.1f ms, mean %.1f ms per step%n", medianA, meanA);
            System.out.printf(Locale.ROOT, "with listener:    median %.1f ms, mean %.1f ms per step%n", medianB, meanB);
            System.out.printf(Locale.ROOT, "overhead: median %+.1f%%, mean %+.1f%%%n",
                    100 * (medianB / medianA - 1), 100 * (meanB / meanA - 1));
            listener.monitor().ifPresent(m -> System.out.printf(Locale.ROOT,
                    "monitor: %d steps, analyses skipped busy=%d rate_limited=%d, errors adapter=%d probe=%d analysis=%d%n",
                    m.steps(), m.skipped(SkipReason.BUSY), m.skipped(SkipReason.RATE_LIMITED), m.errors(Stage.ADAPTER), m.errors(Stage.PROBE),
                    m.errors(Stage.ANALYSIS)));
            for (String tier : new String[] {"step", "probe", "heavy"}) {
                Timer t = registry.find("noether.analysis").tag("tier", tier).timer();
                if (t != null && t.count() > 0) {
                    System.out.printf(Locale.ROOT, "tier %-5s: %5d calls, mean %.1f ms, max %.1f ms%n", tier, t.count(),
                            t.totalTime(TimeUnit.MILLISECONDS) / t.count(), t.max(TimeUnit.MILLISECONDS));
                }
            }
        }
    }

    private static Optimizer sgd() {
        return Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.05f)).optWeightDecays(1e-4f).build();
    }

    private static long[] time(DjlRun run, int steps) {
        long[] out = new long[steps];
        for (int s = 0; s < steps; s++) {
            long start = System.nanoTime();
            run.steps(1, BATCH);
            out[s] = System.nanoTime() - start;
        }
        return out;
    }
}
