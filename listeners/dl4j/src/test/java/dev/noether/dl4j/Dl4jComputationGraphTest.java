package dev.noether.dl4j;

import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherMonitor;
import dev.noether.core.runtime.Stage;
import dev.noether.core.runtime.NoetherReport;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/** A ComputationGraph that is a simple chain is watched like a MultiLayerNetwork; a branching one layer by layer. */
class Dl4jComputationGraphTest {

    @Test
    void aChainGraphGetsTheSamePhysicsAsAMultiLayerNetwork() throws InterruptedException {
        ComputationGraph graph = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(2)
                .updater(new Sgd(0.05)).l2(0.01).weightInit(WeightInit.XAVIER).biasInit(0.1).graphBuilder()
                .addInputs("in")
                .addLayer("fc1", new DenseLayer.Builder().nIn(6).nOut(12).activation(Activation.RELU).build(), "in")
                .addLayer("fc2", new DenseLayer.Builder().nIn(12).nOut(12).activation(Activation.RELU).build(), "fc1")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(12).nOut(3)
                        .activation(Activation.IDENTITY).build(), "fc2")
                .setOutputs("out").build());
        graph.init();
        List<NoetherReport> steps = new CopyOnWriteArrayList<>(); // reports arrive on the step thread
        NoetherListener listener = NoetherListener.builder().registry(new SimpleMeterRegistry()).modelName("graph")
                .config(NoetherConfig.builder().analysisEvery(10).observeEvery(1).minAnalysisInterval(Duration.ZERO).maxAnalysisShare(1).overheadBudget(1).build())
                .addListener(r -> {
                    if (r.kind() == NoetherReport.Kind.STEP) {
                        steps.add(r);
                    }
                }).build();
        graph.addListeners(listener);
        DataSet data = TeacherStudent.data(128, 6, 3, 4);
        for (int t = 0; t < 30; t++) {
            graph.fit(TeacherStudent.batch(data, 16 * t, 16));
        }
        NoetherMonitor monitor = listener.monitor().orElseThrow();
        assertThat(monitor.awaitSteps(Duration.ofSeconds(10))).as("steps observed").isTrue();
        assertThat(monitor.description().summary()).contains("pairs [fc1:fc2(rescaling), fc2:out(rescaling)]");
        for (NoetherReport r : steps.subList(1, steps.size())) {
            assertThat(r.value("charge.residual", "pair", "fc2:out", "symmetry", "rescaling").getAsDouble()).isLessThan(1e-5);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (monitor.latestAnalysis() == null && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(monitor.value("crh.alignment", "layer", "fc2", "side", "b", "relation", "rga")).isPresent();
        assertThat(monitor.errors(Stage.ADAPTER) + monitor.errors(Stage.PROBE) + monitor.errors(Stage.STEP)).isZero();
        listener.close();
    }

    @Test
    void aBranchingGraphGetsLayerMetricsForEveryLayerAndNoPairAcrossTheConcat() throws InterruptedException {
        ComputationGraph graph = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(2)
                .updater(new Sgd(0.05)).weightInit(WeightInit.XAVIER).graphBuilder()
                .addInputs("in")
                .addLayer("left", new DenseLayer.Builder().nIn(6).nOut(5).activation(Activation.RELU).build(), "in")
                .addLayer("right", new DenseLayer.Builder().nIn(6).nOut(5).activation(Activation.TANH).build(), "in")
                .addVertex("merge", new MergeVertex(), "left", "right")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(10).nOut(3)
                        .activation(Activation.IDENTITY).build(), "merge")
                .setOutputs("out").build());
        graph.init();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        NoetherListener listener = NoetherListener.builder().registry(registry).modelName("branches")
                .config(NoetherConfig.builder().analysisEvery(2).observeEvery(1).minAnalysisInterval(Duration.ZERO).maxAnalysisShare(1).overheadBudget(1).build()).build();
        graph.addListeners(listener);
        DataSet data = TeacherStudent.data(64, 6, 3, 5);
        for (int t = 0; t < 6; t++) {
            graph.fit(TeacherStudent.batch(data, 16 * t, 16));
        }
        NoetherMonitor monitor = listener.monitor().orElseThrow();
        assertThat(monitor.description().layers()).extracting(l -> l.name()).containsExactly("left", "right", "out");
        assertThat(monitor.description().unsupported()).isEmpty();
        // concatenation into a layer that also reads another input breaks the pair (METRICS.md §10)
        assertThat(monitor.description().pairs()).isEmpty();
        assertThat(monitor.steps()).isEqualTo(6);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (monitor.latestAnalysis() == null && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        for (String layer : List.of("left", "right", "out")) {
            assertThat(registry.find("noether.layer.weight.norm").tag("layer", layer).gauge()).as(layer).isNotNull();
            assertThat(monitor.value("crh.alignment", "layer", layer, "side", "b", "relation", "rga")).as(layer).isPresent();
        }
        assertThat(monitor.errors(Stage.ADAPTER) + monitor.errors(Stage.PROBE) + monitor.errors(Stage.STEP)).isZero();
        listener.close();
    }
}
