package dev.noether.dl4j;

import dev.noether.core.runtime.Stage;

import dev.noether.core.model.DenseLayer;
import dev.noether.core.model.NetworkDescription;
import dev.noether.core.model.OptimizerSettings;
import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherMonitor;
import dev.noether.core.runtime.NoetherReport;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer.Builder;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The models users train (METRICS.md §10), trained on generated images: a LeNet {@code MultiLayerNetwork}
 * and a residual {@code ComputationGraph}. Every conv and dense layer gets its layer metrics, the pairs
 * through pooling and flattening carry charges that follow the exact plain-SGD identity, and batch norm makes
 * the convolution before it scale-invariant.
 */
class Dl4jConvNetworksTest {
    private static final String[] CONV_POOL_CONV = {"pair", "conv1:conv2", "symmetry", "rescaling"};
    private static final String[] CONV_FLATTEN_DENSE = {"pair", "conv2:fc", "symmetry", "rescaling"};

    @Test
    void leNetShowsEveryLayerAndItsThreePairsCarryCharges() throws InterruptedException {
        MultiLayerNetwork net = leNet(28, 5, Activation.RELU, b -> b.updater(new Sgd(0.05)));
        DataSet data = GeneratedImages.of(128, 1, 28, 10, 1, true);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        NoetherListener listener = NoetherListener.builder().registry(registry).modelName("lenet")
                .config(NoetherConfig.builder().analysisEvery(10).observeEvery(1).minAnalysisInterval(Duration.ZERO)
                        .maxAnalysisShare(1).overheadBudget(1).build()).build();
        net.addListeners(listener);
        for (int t = 0; t < 21; t++) {
            net.fit(GeneratedImages.batch(data, t, 32));
        }
        NoetherMonitor monitor = listener.monitor().orElseThrow();
        NetworkDescription d = monitor.description();
        assertThat(d.layers()).extracting(DenseLayer::name).containsExactly("conv1", "conv2", "fc", "out");
        assertThat(d.layers()).extracting(DenseLayer::shape).containsExactly("6x1x5x5", "16x6x5x5", "32x256", "10x32");
        assertThat(d.pairs()).extracting(Object::toString)
                .containsExactly("conv1:conv2(rescaling)", "conv2:fc(rescaling)", "fc:out(rescaling)");
        assertThat(d.unsupported()).isEmpty();
        awaitAnalysis(monitor);
        for (String layer : List.of("conv1", "conv2", "fc", "out")) {
            assertThat(monitor.value("layer.weight.norm", "layer", layer)).as(layer).isPresent();
            assertThat(monitor.value("layer.update.ratio", "layer", layer)).as(layer).isPresent();
            assertThat(monitor.value("crh.alignment", "layer", layer, "side", "a", "relation", "rga")).as(layer).isPresent();
            assertThat(monitor.value("crh.alignment", "layer", layer, "side", "b", "relation", "gwa")).as(layer).isPresent();
        }
        assertThat(registry.find("noether.layer.info").tag("layer", "conv2").tag("kind", "conv2d")
                .tag("shape", "16x6x5x5").gauge()).isNotNull();
        for (String pair : List.of("conv1:conv2", "conv2:fc", "fc:out")) {
            assertThat(monitor.value("charge", "pair", pair, "symmetry", "rescaling")).as(pair).isPresent();
            assertThat(monitor.value("charge.relative", "pair", pair, "symmetry", "rescaling")).as(pair).isPresent();
        }
        assertThat(monitor.errors(Stage.ADAPTER) + monitor.errors(Stage.PROBE) + monitor.errors(Stage.STEP)
                + monitor.errors(Stage.ANALYSIS)).isZero();
        listener.close();
    }

    /**
     * §2 and §10: plain SGD with weight decay follows the discrete identity at every step for conv→maxpool→conv
     * and conv→flatten→dense, for DL4J's L2 (with its own bias decay) and its weight decay, and the symmetry
     * holds (violation ≈ 0).
     */
    @ParameterizedTest
    @ValueSource(strings = {"l2", "weightDecay"})
    void convPairsFollowTheExactPlainSgdIdentityWithWeightDecay(String decay) {
        UnaryOperator<NeuralNetConfiguration.Builder> regularization = decay.equals("l2")
                ? b -> b.updater(new Sgd(0.05)).l2(0.01).l2Bias(0.02)
                : b -> b.updater(new Sgd(0.05)).weightDecay(0.01, true).weightDecayBias(0.02, true);
        MultiLayerNetwork net = leNet(12, 3, Activation.RELU, regularization);
        List<NoetherReport> steps = new CopyOnWriteArrayList<>(); // reports arrive on the step thread
        NoetherListener listener = stepListener(steps);
        net.addListeners(listener);
        DataSet data = GeneratedImages.of(64, 1, 12, 10, 2, true);
        for (int t = 0; t < 40; t++) {
            net.fit(GeneratedImages.batch(data, t, 16));
        }
        assertThat(listener.monitor().orElseThrow().awaitSteps(Duration.ofSeconds(10))).as("steps observed").isTrue();
        assertThat(steps).hasSize(40);
        for (NoetherReport r : steps.subList(1, steps.size())) {
            for (String[] pair : List.of(CONV_POOL_CONV, CONV_FLATTEN_DENSE)) {
                assertThat(r.value("charge.residual", pair)).as("step %d %s", r.step(), pair[1]).isPresent();
                assertThat(r.value("charge.residual", pair).getAsDouble()).as("residual %s step %d", pair[1], r.step())
                        .isLessThan(1e-5);
                assertThat(r.value("symmetry.violation", pair).getAsDouble()).as("violation %s step %d", pair[1], r.step())
                        .isLessThan(1e-4);
            }
        }
        NoetherMonitor monitor = listener.monitor().orElseThrow();
        // the prediction is not trivially met: the charges move by much more than the residual
        assertThat(Math.abs(monitor.value("charge.drift.rate", CONV_POOL_CONV).getAsDouble())).isGreaterThan(1e-4);
        assertThat(Math.abs(monitor.value("charge.drift.rate", CONV_FLATTEN_DENSE).getAsDouble())).isGreaterThan(1e-4);
        assertThat(monitor.errors(Stage.ADAPTER) + monitor.errors(Stage.STEP)).isZero();
        listener.close();
    }

    /**
     * 1-D convolutions (their kernels permuted from DL4J's conv1d order) through 1-D max pooling: the pair
     * carries the exact plain-SGD identity too, which holds only if weights, gradients and the channel
     * grouping u_i are all read right.
     */
    @Test
    void oneDimensionalConvPairsFollowTheExactPlainSgdIdentity() {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(14)
                .updater(new Sgd(0.05)).l2(0.01).l2Bias(0.02).weightInit(WeightInit.XAVIER).biasInit(0.05).list()
                .layer(new org.deeplearning4j.nn.conf.layers.Convolution1DLayer.Builder(3).name("c1").nOut(4)
                        .convolutionMode(ConvolutionMode.Truncate).activation(Activation.RELU).build())
                .layer(new org.deeplearning4j.nn.conf.layers.Subsampling1DLayer.Builder(SubsamplingLayer.PoolingType.MAX)
                        .kernelSize(2).stride(2).build())
                .layer(new org.deeplearning4j.nn.conf.layers.Convolution1DLayer.Builder(3).name("c2").nOut(5)
                        .convolutionMode(ConvolutionMode.Truncate).activation(Activation.RELU).build())
                .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).name("out").nOut(3)
                        .activation(Activation.IDENTITY).build())
                .setInputType(InputType.recurrent(2, 16)).build());
        net.init();
        List<NoetherReport> steps = new CopyOnWriteArrayList<>(); // reports arrive on the step thread
        NoetherListener listener = stepListener(steps);
        net.addListeners(listener);
        DataSet flat = TeacherStudent.data(64, 32, 3, 8);
        DataSet data = new DataSet(flat.getFeatures().reshape('c', 64, 2, 16), flat.getLabels());
        for (int t = 0; t < 30; t++) {
            net.fit(GeneratedImages.batch(data, t, 16));
        }
        NoetherMonitor monitor = listener.monitor().orElseThrow();
        assertThat(monitor.awaitSteps(Duration.ofSeconds(10))).as("steps observed").isTrue();
        assertThat(monitor.description().layers()).extracting(DenseLayer::shape).containsExactly("4x2x3", "5x4x3", "3x5");
        // DL4J puts an RnnToFeedForwardPreProcessor before the output layer; it is a reshape, not a cut
        assertThat(monitor.description().pairs()).extracting(Object::toString)
                .containsExactly("c1:c2(rescaling)", "c2:out(rescaling)");
        assertThat(monitor.description().unsupported()).isEmpty();
        String[] pair = {"pair", "c1:c2", "symmetry", "rescaling"};
        for (NoetherReport r : steps.subList(1, steps.size())) {
            for (String p : List.of("c1:c2", "c2:out")) {
                String[] tags = {"pair", p, "symmetry", "rescaling"};
                assertThat(r.value("charge.residual", tags).getAsDouble()).as("residual %s step %d", p, r.step()).isLessThan(1e-5);
                assertThat(r.value("symmetry.violation", tags).getAsDouble()).as("violation %s step %d", p, r.step()).isLessThan(1e-4);
            }
        }
        assertThat(Math.abs(monitor.value("charge.drift.rate", pair).getAsDouble())).isGreaterThan(1e-4);
        assertThat(monitor.errors(Stage.ADAPTER) + monitor.errors(Stage.STEP)).isZero();
        listener.close();
    }

    /**
     * tanh breaks the rescaling symmetry: the description has no conv1:conv2 pair, and a monitor told the
     * tanh network had ReLU's pair sees a large violation where the ReLU network's is ≈ 0.
     */
    @Test
    void tanhBetweenTwoConvolutionsBreaksTheSymmetry() {
        UnaryOperator<NeuralNetConfiguration.Builder> sgd = b -> b.updater(new Sgd(0.05));
        MultiLayerNetwork tanh = leNet(12, 3, Activation.TANH, sgd);
        NetworkDescription claimed = Dl4jNetworkMapper.map(leNet(12, 3, Activation.RELU, sgd), "relu").description();
        Dl4jGraph tanhGraph = Dl4jNetworkMapper.map(tanh, "tanh");
        assertThat(tanhGraph.description().pairs()).extracting(Object::toString).doesNotContain("conv1:conv2(rescaling)");
        double tanhViolation = violation(tanh, new Dl4jGraph(tanh, claimed, tanhGraph.nodes()));
        MultiLayerNetwork relu = leNet(12, 3, Activation.RELU, sgd);
        double reluViolation = violation(relu, Dl4jNetworkMapper.map(relu, "relu"));
        assertThat(reluViolation).isLessThan(1e-4);
        assertThat(tanhViolation).isGreaterThan(0.05).isGreaterThan(1000 * reluViolation);
    }

    /** Mean conv1:conv2 violation over 10 steps of a monitor fed by the step capture of {@code graph}. */
    private static double violation(MultiLayerNetwork net, Dl4jGraph graph) {
        NoetherMonitor monitor = NoetherMonitor.builder(graph.description())
                .config(NoetherConfig.builder().observeEvery(1).build()).build();
        List<Double> values = new CopyOnWriteArrayList<>(); // filled on the step thread; close() waits for it
        monitor.addListener(r -> r.value("symmetry.violation", CONV_POOL_CONV).ifPresent(values::add));
        Dl4jStepCapture capture = new Dl4jStepCapture(graph);
        net.addListeners(new BaseTrainingListener() {
            @Override
            public void onGradientCalculation(Model model) {
                monitor.onStep(capture.reduced(OptimizerSettings.unknown(), false)); // the engine path, whatever the backend
            }
        });
        DataSet data = GeneratedImages.of(64, 1, 12, 10, 3, true);
        for (int t = 0; t < 10; t++) {
            net.fit(GeneratedImages.batch(data, t, 16));
        }
        monitor.close();
        assertThat(values).isNotEmpty();
        return values.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
    }

    /**
     * The residual graph: every conv and dense layer has its layer metrics and probe moments; batch norm makes
     * convA and convB scale-invariant (effective learning rate); the dense head's pair carries charges.
     */
    @Test
    void residualGraphShowsEveryLayerAndBatchNormMakesItsConvolutionsScaleInvariant() throws InterruptedException {
        ComputationGraph graph = residualGraph(12, 8);
        DataSet data = GeneratedImages.of(128, 1, 12, 4, 4, false);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        NoetherListener listener = NoetherListener.builder().registry(registry).modelName("resnet")
                .config(NoetherConfig.builder().analysisEvery(10).observeEvery(1).minAnalysisInterval(Duration.ZERO)
                        .maxAnalysisShare(1).overheadBudget(1).build()).build();
        graph.addListeners(listener);
        for (int t = 0; t < 21; t++) {
            graph.fit(GeneratedImages.batch(data, t, 32));
        }
        NoetherMonitor monitor = listener.monitor().orElseThrow();
        NetworkDescription d = monitor.description();
        assertThat(d.layers()).extracting(DenseLayer::name).containsExactly("stem", "convA", "convB", "fc", "out");
        assertThat(d.unsupported()).isEmpty();
        assertThat(d.layers()).filteredOn(DenseLayer::isScaleInvariant).extracting(DenseLayer::name)
                .containsExactly("convA", "convB");
        assertThat(d.pairs()).extracting(Object::toString).contains("fc:out(rescaling)")
                .noneMatch(p -> p.startsWith("stem:") || p.startsWith("convB:"));
        awaitAnalysis(monitor);
        for (String layer : List.of("stem", "convA", "convB", "fc", "out")) {
            assertThat(monitor.value("layer.weight.norm", "layer", layer)).as(layer).isPresent();
            assertThat(monitor.value("crh.alignment", "layer", layer, "side", "b", "relation", "rga")).as(layer).isPresent();
        }
        for (String layer : List.of("convA", "convB")) {
            double norm = monitor.value("layer.weight.norm", "layer", layer).getAsDouble();
            assertThat(monitor.value("layer.effective.learning.rate", "layer", layer).getAsDouble()).as(layer)
                    .isCloseTo(0.05 / (norm * norm), org.assertj.core.data.Percentage.withPercentage(1));
        }
        assertThat(monitor.value("charge", "pair", "fc:out", "symmetry", "rescaling")).isPresent();
        assertThat(monitor.errors(Stage.ADAPTER) + monitor.errors(Stage.PROBE) + monitor.errors(Stage.STEP)
                + monitor.errors(Stage.ANALYSIS)).isZero();
        listener.close();
    }

    /**
     * LeNet: conv1 (k×k, 6) - maxpool 2 - conv2 (k×k, 16) - maxpool 2 - fc (32) - out (10), on
     * {@code convolutionalFlat(size, size, 1)} input.
     */
    static MultiLayerNetwork leNet(int size, int k, Activation hidden, UnaryOperator<NeuralNetConfiguration.Builder> configure) {
        NeuralNetConfiguration.Builder b = new NeuralNetConfiguration.Builder().seed(12).weightInit(WeightInit.XAVIER)
                .biasInit(0.05);
        MultiLayerNetwork net = new MultiLayerNetwork(configure.apply(b).list()
                .layer(new ConvolutionLayer.Builder(k, k).name("conv1").nOut(6).activation(hidden).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).name("pool1").kernelSize(2, 2).stride(2, 2).build())
                .layer(new ConvolutionLayer.Builder(k, k).name("conv2").nOut(16).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).name("pool2").kernelSize(2, 2).stride(2, 2).build())
                .layer(new Builder().name("fc").nOut(32).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).name("out").nOut(10)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutionalFlat(size, size, 1)).build());
        net.init();
        return net;
    }

    /**
     * stem conv (3×3, c, ReLU); a residual block convA-bnA-relu-convB-bnB + stem, ReLU; global average pooling;
     * fc (16, ReLU); out (4), on {@code convolutional(size, size, 1)} input.
     */
    static ComputationGraph residualGraph(int size, int c) {
        ComputationGraph graph = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(13)
                .updater(new Sgd(0.05)).weightInit(WeightInit.RELU).convolutionMode(ConvolutionMode.Same).graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.convolutional(size, size, 1))
                .addLayer("stem", new ConvolutionLayer.Builder(3, 3).nOut(c).activation(Activation.RELU).build(), "in")
                .addLayer("convA", new ConvolutionLayer.Builder(3, 3).nOut(c).hasBias(false).activation(Activation.IDENTITY).build(), "stem")
                .addLayer("bnA", new BatchNormalization.Builder().build(), "convA")
                .addLayer("reluA", new ActivationLayer.Builder().activation(Activation.RELU).build(), "bnA")
                .addLayer("convB", new ConvolutionLayer.Builder(3, 3).nOut(c).hasBias(false).activation(Activation.IDENTITY).build(), "reluA")
                .addLayer("bnB", new BatchNormalization.Builder().build(), "convB")
                .addVertex("add", new ElementWiseVertex(ElementWiseVertex.Op.Add), "bnB", "stem")
                .addLayer("reluB", new ActivationLayer.Builder().activation(Activation.RELU).build(), "add")
                .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "reluB")
                .addLayer("fc", new Builder().nOut(16).activation(Activation.RELU).build(), "pool")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(4)
                        .activation(Activation.SOFTMAX).build(), "fc")
                .setOutputs("out").build());
        graph.init();
        return graph;
    }

    private static NoetherListener stepListener(List<NoetherReport> steps) {
        return NoetherListener.builder().registry(new SimpleMeterRegistry()).modelName("charges")
                .config(NoetherConfig.builder().analysisEvery(1000).observeEvery(1).build())
                .addListener(r -> {
                    if (r.kind() == NoetherReport.Kind.STEP) {
                        steps.add(r);
                    }
                }).build();
    }

    private static void awaitAnalysis(NoetherMonitor monitor) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (monitor.latestAnalysis() == null && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(monitor.latestAnalysis()).as("an analysis ran").isNotNull();
    }
}
