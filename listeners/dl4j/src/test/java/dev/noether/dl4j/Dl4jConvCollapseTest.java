package dev.noether.dl4j;

import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherMonitor;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * METRICS.md §9.5 on a convolution (the DL4J twin of the DJL adapter's {@code ConvCollapseTest}): weight
 * decay drives a wide ReLU conv layer (48 channels, 3×3, on 4×4×4 teacher–student inputs, global average
 * pooling, a dense head) towards fewer distinct channels and a large block of channels whose pre-activations,
 * over (sample, position) pairs, correlate.
 */
class Dl4jConvCollapseTest {
    private static final String[] CONV = {"layer", "conv"};
    private static final int CHANNELS = 48;
    private static final int STEPS = 1500;

    @Test
    void weightDecayLeavesFewerDistinctChannelsAndLargerCorrelatedBlocks() throws InterruptedException {
        DataSet data = TeacherStudent.data(512, 64, 4, 23);
        double[] without = afterTraining(data, 0);
        double[] with = afterTraining(data, 0.05);
        System.out.printf("DL4J conv channels after %d steps: distinct %.0f -> %.0f, dead %.0f -> %.0f, blocks %.0f -> %.0f, "
                + "max block %.0f -> %.0f%n", STEPS, without[0], with[0], without[1], with[1], without[2], with[2],
                without[3], with[3]);
        assertThat(without[0]).isGreaterThanOrEqualTo(0.9 * CHANNELS);
        assertThat(with[0]).isLessThan(without[0]);
        assertThat(with[3]).isGreaterThanOrEqualTo(5).isGreaterThan(without[3]);
    }

    /** distinct, dead, blocks and largest block of the conv layer after training with L2 decay γ. */
    private static double[] afterTraining(DataSet data, double gamma) throws InterruptedException {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(5)
                .updater(new Sgd(0.1)).l2(gamma).l2Bias(gamma).weightInit(WeightInit.RELU).list()
                .layer(new ConvolutionLayer.Builder(3, 3).name("conv").padding(1, 1).nOut(CHANNELS)
                        .activation(Activation.RELU).build())
                .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).name("out").nOut(4)
                        .activation(Activation.IDENTITY).build())
                .setInputType(InputType.convolutionalFlat(4, 4, 4)).build());
        net.init();
        NoetherListener listener = NoetherListener.builder().registry(new SimpleMeterRegistry())
                .config(NoetherConfig.builder().analysisEvery(500).minAnalysisInterval(Duration.ZERO)
                        .maxAnalysisShare(1).overheadBudget(1).build()).build();
        net.addListeners(listener);
        for (int t = 0; t <= STEPS; t++) { // the last iteration, 1500, is analysed
            net.fit(TeacherStudent.batch(data, 32 * t, 32));
        }
        NoetherMonitor monitor = listener.monitor().orElseThrow();
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while ((monitor.latestAnalysis() == null || monitor.latestAnalysis().step() < STEPS)
                && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(monitor.latestAnalysis().step()).isEqualTo(STEPS);
        double[] out = {monitor.value("neurons.distinct", CONV).getAsDouble(),
                monitor.value("neurons.dead", CONV).getAsDouble(),
                monitor.value("neuron.blocks", CONV).getAsDouble(),
                monitor.value("neuron.block.max.size", CONV).getAsDouble()};
        listener.close();
        return out;
    }
}
