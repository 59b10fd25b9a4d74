package dev.noether.exporter;

import dev.noether.core.model.Activation;
import dev.noether.core.model.LayerSnapshot;
import dev.noether.core.model.NetworkDescription;
import dev.noether.core.model.OptimizerSettings;
import dev.noether.core.model.StepSnapshot;
import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherMonitor;

import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * A stack of dense ReLU layers of equal width, watched by a monitor that observes and analyses every step, fed
 * with random weights and gradients: the series of a deep model without training one.
 */
final class DeepModel {
    private final int layers;
    private final int width;
    private final Random random = new Random(1);
    private final double lossOffset;
    final NoetherMonitor monitor;

    DeepModel(int layers, int width) {
        this(layers, width, 0);
    }

    /** A model whose loss at step t is {@code lossOffset + 1 / (t + 1)} (workers of one run told apart by their loss). */
    DeepModel(int layers, int width, double lossOffset) {
        this.layers = layers;
        this.width = width;
        this.lossOffset = lossOffset;
        NetworkDescription.Builder b = NetworkDescription.builder("deep");
        for (int l = 0; l < layers; l++) {
            b.dense("fc" + l, width, width, true).activation(Activation.RELU);
        }
        monitor = NoetherMonitor.builder(b.build()).config(NoetherConfig.builder().observeEvery(1).analysisEvery(1)
                .minAnalysisInterval(Duration.ZERO).maxAnalysisShare(1).overheadBudget(1).build()).build();
    }

    /** Observes step {@code t} (random weights and gradients, plain SGD) and waits until its report is out. */
    void step(long t) {
        StepSnapshot.Builder s = StepSnapshot.builder(t).loss(lossOffset + 1.0 / (t + 1)).optimizer(OptimizerSettings.plainSgd(0.01, 0, 0));
        for (int l = 0; l < layers; l++) {
            s.layer(LayerSnapshot.of(gaussian(width * width), gaussian(width), gaussian(width * width), gaussian(width)));
        }
        monitor.onStep(s.build());
        if (!monitor.awaitSteps(Duration.ofSeconds(60))) {
            throw new IllegalStateException("step " + t + " still not observed after a minute");
        }
    }

    /** Runs an analysis of step {@code t} and waits (at most a minute) for its report. */
    void analyze(long t) throws InterruptedException {
        monitor.analyze(t, List::of);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while ((monitor.latestAnalysis() == null || monitor.latestAnalysis().step() < t || monitor.isAnalysisRunning())
                && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }

    private float[] gaussian(int size) {
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = (float) (0.3 * random.nextGaussian());
        }
        return a;
    }
}
