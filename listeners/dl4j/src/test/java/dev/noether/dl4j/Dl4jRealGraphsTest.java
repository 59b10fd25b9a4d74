package dev.noether.dl4j;

import dev.noether.core.model.DenseLayer;
import dev.noether.core.model.LayerProbe;
import dev.noether.core.probe.ProbeAllowance;
import dev.noether.core.probe.ProbeResult;
import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherMonitor;
import dev.noether.core.runtime.SkipReason;
import dev.noether.core.runtime.Stage;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer.Builder;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Graphs real programs train (issue 21), under the listener: a residual tower with a policy and a value head
 * (each output with its own labels and loss) and a sequence-to-sequence model with the recurrent vertices and
 * masks. Training stays bit-identical, no probe fails, every mapped layer gets its metrics, and what the probe
 * cannot do yet (the LSTMs, issue 23) is one named, counted part.
 */
class Dl4jRealGraphsTest {
    /** A probe allowance no test machine runs out of: the plan is the whole pass, whatever the load. */
    private static final NoetherConfig EVERY_FEW = NoetherConfig.builder().analysisEvery(4).observeEvery(1)
            .minAnalysisInterval(Duration.ZERO).maxAnalysisShare(1).overheadBudget(1).maxProbeTime(Duration.ofMinutes(5)).build();
    private static final int ITERATIONS = 12;

    @Test
    void aTwoHeadResidualTowerTrainsBitIdenticallyAndEveryLayerGetsItsMetrics() throws InterruptedException {
        MultiDataSet data = RealGraphs.towerData(64, 5, 3);
        float[] without = trainTower(data, null);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        NoetherListener listener = NoetherListener.builder().registry(registry).modelName("tower").config(EVERY_FEW).build();
        float[] with = trainTower(data, listener);
        assertThat(with).containsExactly(without);

        NoetherMonitor monitor = listener.monitor().orElseThrow();
        awaitAnalysis(monitor);
        assertThat(monitor.errors(Stage.PROBE) + monitor.errors(Stage.ADAPTER) + monitor.errors(Stage.STEP)
                + monitor.errors(Stage.ANALYSIS)).isZero();
        assertThat(monitor.skipped(SkipReason.PROBE_PART)).isZero();
        assertThat(monitor.skipped(SkipReason.PROBE_COST)).isZero();
        assertThat(monitor.description().layers()).extracting(DenseLayer::name).containsExactly("stem", "block0a",
                "block0b", "block1a", "block1b", "policyConv", "policy", "valueConv", "valueFc", "value");
        for (DenseLayer l : monitor.description().layers()) {
            String[] layer = {"layer", l.name()};
            assertThat(monitor.value("layer.weight.norm", layer)).as(l.name()).isPresent();
            assertThat(monitor.value("layer.effective.rank", layer)).as(l.name()).isPresent();
            assertThat(monitor.value("representation.effective.rank", layer)).as(l.name()).isPresent();
            // G_b from both heads' losses reaches every layer (side a: valueConv has a single output channel)
            assertThat(monitor.value("crh.alignment", "layer", l.name(), "side", "a", "relation", "gwa"))
                    .as(l.name()).isPresent();
        }
        listener.close();
    }

    /**
     * Two outputs on a shared trunk, in double precision: the probe's G_b of every layer against finite
     * differences of DL4J's own per-example score (the sum of both outputs' losses), each output with its labels.
     */
    @Test
    void eachOutputLayerStartsItsOwnLossGradientFromItsOwnLabels() {
        ComputationGraph graph = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(5)
                .dataType(DataType.DOUBLE).updater(new Sgd(0.1)).weightInit(WeightInit.XAVIER).biasInit(0.1)
                .graphBuilder().addInputs("x")
                .addLayer("trunk", new Builder().nIn(6).nOut(8).activation(Activation.TANH).build(), "x")
                .addLayer("classes", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(8).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "trunk")
                .addLayer("side", new Builder().nIn(8).nOut(5).activation(Activation.RELU).build(), "trunk")
                .addLayer("target", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(5).nOut(2)
                        .activation(Activation.IDENTITY).build(), "side")
                .setOutputs("classes", "target").build());
        graph.init();
        Random r = new Random(9);
        int samples = 12;
        double[][] x = new double[samples][6];
        double[][] classes = new double[samples][3];
        double[][] target = new double[samples][2];
        for (int s = 0; s < samples; s++) {
            for (int i = 0; i < 6; i++) {
                x[s][i] = r.nextGaussian();
            }
            classes[s][r.nextInt(3)] = 1;
            target[s][0] = r.nextGaussian();
            target[s][1] = r.nextGaussian();
        }
        MultiDataSet data = new MultiDataSet(new INDArray[] {Nd4j.createFromArray(x)},
                new INDArray[] {Nd4j.createFromArray(classes), Nd4j.createFromArray(target)});
        graph.fit(data);
        Dl4jGraph mapped = Dl4jNetworkMapper.map(graph, "two");
        ProbeResult result = Dl4jProbe.compute(mapped, new ProbeBatch(data.getFeatures(), data.getLabels(),
                new INDArray[1], new INDArray[2]), ProbeAllowance.unlimited(), Map.of());
        assertThat(result.gaps()).isEmpty();
        List<LayerProbe> probes = result.layers();
        assertThat(probes).hasSize(4);
        for (LayerProbe p : probes) {
            String name = mapped.linear().get(p.layer()).name();
            Dl4jConvProbeTest.assertClose(p.outputGradientMoment(),
                    Dl4jConvProbeTest.secondMoment(finiteDifferences(graph, name, data)), name + " G_b");
        }
    }

    @Test
    void aSeq2seqGraphTrainsBitIdenticallyAndItsLstmsAreOneNamedCountedPart() throws InterruptedException {
        MultiDataSet data = RealGraphs.seq2seqData(64, 5, 6, 4, 11);
        float[] without = trainSeq2seq(data, null);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        NoetherListener listener = NoetherListener.builder().registry(registry).modelName("s2s").config(EVERY_FEW).build();
        float[] with = trainSeq2seq(data, listener);
        assertThat(with).containsExactly(without);

        NoetherMonitor monitor = listener.monitor().orElseThrow();
        awaitAnalysis(monitor);
        assertThat(monitor.errors(Stage.PROBE) + monitor.errors(Stage.ADAPTER) + monitor.errors(Stage.STEP)
                + monitor.errors(Stage.ANALYSIS)).isZero();
        long probes = registry.find("noether.analysis").tag("tier", "probe").timer().count();
        assertThat(probes).isEqualTo(3); // iterations 0, 4 and 8
        // the LSTMs are recurrent layers and the RnnOutputLayer a dense layer over (sequence, step) samples
        // (METRICS.md §12): the probe unrolls both LSTMs, so every layer gets its moments, G_b included
        assertThat(monitor.skipped(SkipReason.PROBE_PART)).isZero();
        assertThat(monitor.description().layers()).extracting(DenseLayer::name)
                .containsExactly("encoder", "bridge", "decoder", "out");
        for (String layer : List.of("encoder", "bridge", "decoder", "out")) {
            assertThat(monitor.value("crh.alignment", "layer", layer, "side", "a", "relation", "rga")).as(layer).isPresent();
        }
        assertThat(monitor.value("neurons.distinct", "layer", "decoder")).isPresent();
        String[] bridge = {"layer", "bridge"};
        assertThat(monitor.value("layer.weight.norm", bridge)).isPresent();
        assertThat(monitor.value("layer.effective.rank", bridge)).isPresent();
        assertThat(monitor.value("representation.effective.rank", bridge)).isPresent();
        listener.close();
    }

    /**
     * The bridge's input and output moments from the probe, against DL4J's own forward pass with the encoder mask
     * set: LastTimeStepVertex takes each sample's last unmasked step, and the LSTM runs with its mask.
     */
    @Test
    void theLastTimeStepOfAMaskedEncoderIsReadAsDl4jReadsIt() {
        MultiDataSet data = RealGraphs.seq2seqData(32, 5, 6, 4, 12);
        ComputationGraph graph = RealGraphs.seq2seq(5, 8, 4);
        for (int t = 0; t < 3; t++) {
            graph.fit(data);
        }
        Dl4jGraph mapped = Dl4jNetworkMapper.map(graph, "s2s");
        ProbeResult result = Dl4jProbe.compute(mapped, new ProbeBatch(data.getFeatures(), data.getLabels(),
                data.getFeaturesMaskArrays(), new INDArray[1]), ProbeAllowance.unlimited(), Map.of());

        graph.setLayerMaskArrays(data.getFeaturesMaskArrays(), null);
        Map<String, INDArray> reference = graph.feedForward(data.getFeatures(), false);
        graph.clearLayerMaskArrays();
        double[][] thought = reference.get("thought").castTo(DataType.DOUBLE).toDoubleMatrix();
        double[][] bridge = reference.get("bridge").castTo(DataType.DOUBLE).toDoubleMatrix(); // identity activation
        LayerProbe probe = result.layers().stream().filter(p -> p.layer() == 1).findFirst().orElseThrow(); // bridge
        Dl4jConvProbeTest.assertClose(probe.inputMoment(), Dl4jConvProbeTest.secondMoment(thought), "bridge H_a");
        Dl4jConvProbeTest.assertClose(probe.outputMoment(), Dl4jConvProbeTest.secondMoment(bridge), "bridge H_b");
        // the masks matter: the last step of every sample is not what the masked encoder produced
        INDArray unmasked = graph.feedForward(data.getFeatures(), false).get("thought");
        assertThat(unmasked.castTo(DataType.DOUBLE).toDoubleMatrix()).isNotEqualTo(thought);
    }

    /**
     * A pass planned smaller than the batch (issue 21, the probe within its allowance) measures the plan's first
     * samples, the dense layers exactly as a whole pass over those samples, each convolution at most the plan's
     * rows at its seeded positions.
     */
    @Test
    void aReducedPlanMeasuresItsFirstSamplesAtItsPositions() {
        MultiDataSet data = RealGraphs.towerData(32, 5, 3);
        ComputationGraph graph = RealGraphs.twoHeadTower(5, 8, 1, 7);
        graph.fit(data);
        Dl4jGraph mapped = Dl4jNetworkMapper.map(graph, "tower");
        Map<String, Integer> positions = new java.util.HashMap<>();
        mapped.linear().stream().filter(n -> n.conv() != null).forEach(n -> positions.put(n.name(), 25));
        ProbeBatch batch = new ProbeBatch(data.getFeatures(), data.getLabels(), new INDArray[1], new INDArray[2]);
        dev.noether.core.probe.ProbeWorkload work = Dl4jProbe.workload(mapped, 32, batch.steps(), positions);
        double throughput = 1e9;
        // a budget that fits 12 samples with one position each, not 13
        double budget = (work.cost(12, 12) + work.cost(13, 13)) / 2;
        ProbeAllowance allowance = new ProbeAllowance(Duration.ofNanos((long) (budget / throughput * 1e9)), throughput,
                System.nanoTime(), Duration.ofHours(1));
        ProbeResult reduced = Dl4jProbe.compute(mapped, batch, allowance, positions);
        assertThat(reduced.plan().status()).isEqualTo(dev.noether.core.probe.ProbePlan.Status.REDUCED);
        assertThat(reduced.plan().samples()).isEqualTo(12);
        assertThat(reduced.gaps()).isEmpty();
        List<LayerProbe> whole = Dl4jProbe.compute(mapped, batch.first(12), ProbeAllowance.unlimited(), positions).layers();
        for (LayerProbe p : reduced.layers()) {
            Dl4jNode n = mapped.linear().get(p.layer());
            if (n.conv() == null) {
                assertThat(p.samples()).as(n.name()).isEqualTo(12);
                assertThat(p.inputMoment()).as(n.name()).containsExactly(whole.get(p.layer()).inputMoment());
                assertThat(p.outputGradientMoment()).as(n.name()).containsExactly(whole.get(p.layer()).outputGradientMoment());
            } else {
                int rows = 12 * dev.noether.core.model.ProbePositions.kept(25, 12, reduced.plan().maxRows());
                assertThat(p.samples()).as(n.name()).isEqualTo(rows).isLessThanOrEqualTo(reduced.plan().maxRows());
            }
        }
        assertThat(reduced.plan().multiplyAdds()).isLessThanOrEqualTo(budget);
    }

    private static float[] trainTower(MultiDataSet data, NoetherListener listener) {
        ComputationGraph graph = RealGraphs.twoHeadTower(5, 8, 2, 7);
        if (listener != null) {
            graph.addListeners(listener);
        }
        for (int t = 0; t < ITERATIONS; t++) {
            graph.fit(RealGraphs.rows(data, (t * 16) % 64, 16));
            Dl4jTrainingUnchangedTest.awaitAnalysis(listener); // every due probe runs, however loaded the machine
        }
        return RealGraphs.parameters(graph);
    }

    private static float[] trainSeq2seq(MultiDataSet data, NoetherListener listener) {
        ComputationGraph graph = RealGraphs.seq2seq(5, 8, 3);
        if (listener != null) {
            graph.addListeners(listener);
        }
        for (int t = 0; t < ITERATIONS; t++) {
            graph.fit(RealGraphs.rows(data, (t * 16) % 64, 16));
            Dl4jTrainingUnchangedTest.awaitAnalysis(listener); // every due probe runs, however loaded the machine
        }
        return RealGraphs.parameters(graph);
    }

    private static void awaitAnalysis(NoetherMonitor monitor) throws InterruptedException {
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (monitor.isAnalysisRunning() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }

    /** ∂ℓ_s/∂b_i of layer {@code layer} per sample, by central differences of DL4J's per-example score. */
    private static double[][] finiteDifferences(ComputationGraph graph, String layer, MultiDataSet data) {
        INDArray b = graph.getLayer(layer).getParam("b");
        int m = (int) b.length();
        int samples = (int) data.getFeatures(0).size(0);
        double h = 1e-6;
        double[][] g = new double[samples][m];
        for (int i = 0; i < m; i++) {
            double original = b.getDouble(i);
            b.putScalar(i, original + h);
            double[] up = graph.scoreExamples(data, false).toDoubleVector();
            b.putScalar(i, original - h);
            double[] down = graph.scoreExamples(data, false).toDoubleVector();
            b.putScalar(i, original);
            for (int s = 0; s < samples; s++) {
                g[s][i] = (up[s] - down[s]) / (2 * h);
            }
        }
        return g;
    }
}
