package dev.noether.djl;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.noether.core.model.DenseLayer;
import dev.noether.core.model.LayerSnapshot;
import dev.noether.core.model.OptimizerSettings;
import dev.noether.core.model.StepSnapshot;
import dev.noether.core.physics.LayerMoments;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The engine's reductions ({@link EngineReductions}, DJL ops on the parameters' device) against core's host
 * reference ({@link LayerMoments#of(LayerSnapshot, int, int, boolean, boolean, float[])} on full copies),
 * element for element, for convolutions and dense layers with and without bias, over consecutive steps of
 * real training (so ‖ΔW‖² is compared too).
 */
class EngineReductionsTest {

    @Test
    void engineSumsEqualTheHostSumsOfFullCopiesForConvAndDenseLayersWithAndWithoutBias() {
        SequentialBlock block = new SequentialBlock()
                .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(4).build())
                .add(Activation.reluBlock())
                .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(3).optBias(false).build())
                .add(Activation.reluBlock())
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(12).optBias(false).build())
                .add(Activation.reluBlock())
                .add(Linear.builder().setUnits(10).build());
        TeacherStudent images = TeacherStudent.generate(128, 784, 10, 3);
        Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.05f)).build();
        try (DjlRun run = new DjlRun(block, images, ConvNets.MNIST, sgd, 5)) {
            run.steps(2, 16);
            MappedNetwork mapped = new DjlNetworkMapper(run.trainer.getManager()).map("m", run.model.getBlock());
            List<DenseLayer> layers = mapped.description().layers();
            assertThat(layers).hasSize(4);
            assertThat(mapped.dense().stream().filter(d -> d.bias() == null)).hasSize(2);
            OptimizerSettings opt = OptimizerSettings.plainSgd(0.05, 0, 0);
            float[][] previous = new float[layers.size()][];
            try (StepCapture capture = new StepCapture(mapped.dense())) {
                for (int t = 0; t < 3; t++) {
                    run.backward(16);
                    StepSnapshot engine = capture.reduced(t, 0, opt, t == 1);
                    StepSnapshot host = capture.captureArrays(t, 0, opt);
                    for (DenseLayer layer : layers) {
                        int i = layer.index();
                        LayerSnapshot e = engine.layer(i);
                        e.checkShape(layer);
                        assertThat(e.hasWeights()).isEqualTo(t == 1);
                        if (t == 1) {
                            assertThat(e.weight()).containsExactly(host.layer(i).weight());
                        }
                        LayerMoments expected = LayerMoments.of(host.layer(i), layer.outputs(), layer.inputs(),
                                true, true, previous[i]);
                        LayerMoments actual = LayerMoments.of(e.reductions(), true, true, t > 0);
                        Reductions.assertSame(layer.name() + " step " + t, actual, expected);
                        previous[i] = host.layer(i).weight();
                    }
                    run.trainer.step();
                }
            }
        }
    }
}
