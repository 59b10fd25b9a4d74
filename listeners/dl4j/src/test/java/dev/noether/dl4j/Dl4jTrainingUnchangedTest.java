package dev.noether.dl4j;

import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherMonitor;
import dev.noether.core.runtime.Stage;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.optimize.listeners.CollectScoresListener;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The listener never changes what training computes (issue 5): parameters after K iterations are bit-identical. */
class Dl4jTrainingUnchangedTest {
    private static final int ITERATIONS = 60;

    @Test
    void parametersAfterTrainingAreBitIdenticalWithAndWithoutTheListener() {
        DataSet data = TeacherStudent.data(256, 6, 3, 21);
        float[] without = train(data, null);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        NoetherListener listener = NoetherListener.builder().registry(registry).modelName("same")
                .config(NoetherConfig.builder().analysisEvery(5).observeEvery(1).minAnalysisInterval(Duration.ZERO).maxAnalysisShare(1).overheadBudget(1).build()).build();
        float[] with = train(data, listener);

        assertThat(with).containsExactly(without);
        NoetherMonitor monitor = listener.monitor().orElseThrow();
        assertThat(monitor.steps()).isEqualTo(ITERATIONS);
        Timer probes = registry.find("noether.analysis").tag("tier", "probe").timer();
        assertThat(probes.count()).as("probe passes that ran between the updates").isGreaterThanOrEqualTo(3);
        assertThat(monitor.errors(Stage.ADAPTER) + monitor.errors(Stage.PROBE) + monitor.errors(Stage.STEP)).isZero();
        listener.close();
    }

    /**
     * The probe of a residual conv graph runs DL4J's own layer passes (convolutions, pooling, batch norm at
     * inference) between the updates: still bit-identical.
     */
    @Test
    void aResidualConvGraphTrainsBitIdenticallyWithTheListener() {
        DataSet data = GeneratedImages.of(64, 1, 12, 4, 21, false);
        float[] without = trainGraph(data, null);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        NoetherListener listener = NoetherListener.builder().registry(registry).modelName("same")
                .config(NoetherConfig.builder().analysisEvery(3).observeEvery(1).minAnalysisInterval(Duration.ZERO).maxAnalysisShare(1).overheadBudget(1).build()).build();
        float[] with = trainGraph(data, listener);
        assertThat(with).containsExactly(without);
        NoetherMonitor monitor = listener.monitor().orElseThrow();
        assertThat(registry.find("noether.analysis").tag("tier", "probe").timer().count())
                .as("probe passes between the updates").isGreaterThanOrEqualTo(3);
        assertThat(monitor.errors(Stage.ADAPTER) + monitor.errors(Stage.PROBE) + monitor.errors(Stage.STEP)).isZero();
        listener.close();
    }

    private static float[] trainGraph(DataSet data, NoetherListener listener) {
        org.deeplearning4j.nn.graph.ComputationGraph graph = Dl4jConvNetworksTest.residualGraph(12, 4);
        if (listener != null) {
            graph.addListeners(listener);
        }
        graph.addListeners(new CollectScoresListener(1));
        for (int t = 0; t < 12; t++) {
            graph.fit(GeneratedImages.batch(data, t, 16));
            awaitAnalysis(listener); // so that no due probe is skipped as busy, however loaded the machine
        }
        return graph.params().dup().data().asFloat();
    }

    /** Waits for a running analysis of {@code listener}'s monitor, if any. */
    static void awaitAnalysis(NoetherListener listener) {
        if (listener == null || listener.monitor().isEmpty()) {
            return;
        }
        NoetherMonitor monitor = listener.monitor().get();
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (monitor.isAnalysisRunning() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
    }

    /** Dropout (random masks) and batch norm (running statistics) make any interference visible. */
    private static float[] train(DataSet data, NoetherListener listener) {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(12)
                .updater(new Sgd(0.05)).l2(1e-3).weightInit(WeightInit.XAVIER).biasInit(0.1).list()
                .layer(new DenseLayer.Builder().name("fc1").nIn(6).nOut(16).activation(Activation.RELU).build())
                .layer(new BatchNormalization.Builder().name("bn").nOut(16).build())
                .layer(new DenseLayer.Builder().name("fc2").nIn(16).nOut(16).dropOut(0.8).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).name("out").nIn(16).nOut(3)
                        .activation(Activation.IDENTITY).build())
                .build());
        net.init();
        if (listener != null) {
            net.addListeners(listener);
        }
        net.addListeners(new CollectScoresListener(1)); // a listener after ours still sees DL4J's own state
        Nd4j.getRandom().setSeed(99);
        for (int t = 0; t < ITERATIONS; t++) {
            net.fit(TeacherStudent.batch(data, 32 * t, 32));
            awaitAnalysis(listener);
        }
        return net.params().dup().data().asFloat();
    }
}
