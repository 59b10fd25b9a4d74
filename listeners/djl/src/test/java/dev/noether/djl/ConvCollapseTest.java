package dev.noether.djl;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherMonitor;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * METRICS.md §9.5 on a convolution: weight decay drives a wide ReLU conv layer (48 channels, 3×3, on 4×4×4
 * generated images, global average pooling, a dense head) towards fewer distinct channels and a large block of
 * channels whose pre-activations, over (sample, position) pairs, correlate.
 */
class ConvCollapseTest {
    private static final String[] CONV = {"layer", "01Conv2d"};
    private static final int CHANNELS = 48;
    private static final Shape IMAGE = new Shape(4, 4, 4);
    private static final int STEPS = 1500; // a multiple of N = 500

    @Test
    void weightDecayLeavesFewerDistinctChannelsAndLargerCorrelatedBlocks() throws InterruptedException {
        TeacherStudent images = TeacherStudent.generate(512, 64, 4, 23);
        double[] without = afterTraining(images, 0f);
        double[] with = afterTraining(images, 0.05f);
        System.out.printf("conv channels after %d steps: distinct %.0f -> %.0f, dead %.0f -> %.0f, blocks %.0f -> %.0f, "
                + "max block %.0f -> %.0f%n", STEPS, without[0], with[0], without[1], with[1], without[2], with[2],
                without[3], with[3]);
        // measured: distinct 48 -> 42 (6 dead), correlated blocks 0 -> 2 with the largest of 27 channels
        assertThat(without[0]).isGreaterThanOrEqualTo(0.9 * CHANNELS);
        assertThat(with[0]).isLessThan(without[0]);
        assertThat(with[3]).isGreaterThanOrEqualTo(5).isGreaterThan(without[3]);
    }

    /** distinct, dead, blocks and largest block of the first conv after training with decay γ. */
    private static double[] afterTraining(TeacherStudent images, float gamma) throws InterruptedException {
        NoetherTrainingListener listener = NoetherTrainingListener.builder().registry(new SimpleMeterRegistry())
                .config(NoetherConfig.builder().analysisEvery(500).minAnalysisInterval(Duration.ZERO)
                        .maxAnalysisShare(1).overheadBudget(1).build())
                .build();
        SequentialBlock net = new SequentialBlock()
                .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(CHANNELS).optPadding(new Shape(1, 1)).build())
                .add(Activation.reluBlock())
                .add(Pool.globalAvgPool2dBlock())
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(4).build());
        Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.1f)).optWeightDecays(gamma).build();
        try (DjlRun run = new DjlRun(net, images, IMAGE, sgd, 5, listener)) {
            NoetherMonitor monitor = Analyses.trainAndAnalyseLastStep(run, listener, STEPS, 32);
            return new double[] {monitor.value("neurons.distinct", CONV).getAsDouble(),
                    monitor.value("neurons.dead", CONV).getAsDouble(),
                    monitor.value("neuron.blocks", CONV).getAsDouble(),
                    monitor.value("neuron.block.max.size", CONV).getAsDouble()};
        }
    }
}
