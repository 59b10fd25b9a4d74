package dev.noether.dl4j;

import dev.noether.core.runtime.Stage;

import dev.noether.core.model.DenseLayer;
import dev.noether.core.model.UnsupportedLayer;
import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherMonitor;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.ScaleVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.Deconvolution2D;
import org.deeplearning4j.nn.conf.layers.DenseLayer.Builder;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SeparableConvolution2D;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Bad input (issue 12): layers Noether does not read as dense over channels are named, counted skips; the rest
 * of the network keeps its metrics; training never sees an exception.
 */
class Dl4jBadInputTest {

    /** conv1 → the odd layer "odd" → global pooling → fc → out: "odd" is named, the others are analysed. */
    @ParameterizedTest
    @ValueSource(strings = {"depthwise", "separable", "deconvolution", "channelsLast"})
    void anUnreadConvolutionIsNamedAndTheRestIsAnalysed(String kind) throws InterruptedException {
        CNN2DFormat format = kind.equals("channelsLast") ? CNN2DFormat.NHWC : CNN2DFormat.NCHW;
        Layer odd = switch (kind) {
            case "depthwise" -> new DepthwiseConvolution2D.Builder(3, 3).name("odd").depthMultiplier(2).nOut(8)
                    .activation(Activation.RELU).build();
            case "separable" -> new SeparableConvolution2D.Builder(3, 3).name("odd").nOut(8).activation(Activation.RELU).build();
            case "deconvolution" -> new Deconvolution2D.Builder(2, 2).name("odd").stride(2, 2).nOut(8)
                    .activation(Activation.RELU).build();
            default -> new ConvolutionLayer.Builder(3, 3).name("odd").dataFormat(CNN2DFormat.NHWC).nOut(8)
                    .activation(Activation.RELU).build();
        };
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(1)
                .updater(new Sgd(0.05)).weightInit(WeightInit.XAVIER).list()
                .layer(new ConvolutionLayer.Builder(3, 3).name("conv1").dataFormat(format).nOut(4)
                        .activation(Activation.RELU).build())
                .layer(odd)
                .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).name("pool").build())
                .layer(new Builder().name("fc").nOut(8).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).name("out").nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(10, 10, 1, format)).build());
        net.init();
        List<String> expected = kind.equals("channelsLast") ? List.of("fc", "out") : List.of("conv1", "fc", "out");
        NoetherMonitor monitor = train(net, GeneratedImages.of(32, 1, 10, 3, 5, false), format);
        assertThat(monitor.description().layers().stream().filter(l -> !l.isWeightOnly()))
                .extracting(DenseLayer::name).containsExactlyElementsOf(expected);
        // the unread convolutions' weights are weight-only layers (METRICS.md §12), with their layer metrics
        List<DenseLayer> weightOnly = monitor.description().layers().stream().filter(DenseLayer::isWeightOnly).toList();
        assertThat(weightOnly).isNotEmpty().allSatisfy(l -> assertThat(l.name()).startsWith(
                kind.equals("channelsLast") && l.name().startsWith("conv1") ? "conv1" : "odd"));
        for (DenseLayer l : weightOnly) {
            assertThat(monitor.value("layer.weight.norm", "layer", l.name())).as(l.name()).isPresent();
            assertThat(monitor.value("layer.effective.rank", "layer", l.name())).as(l.name()).isPresent();
        }
        assertThat(monitor.description().unsupported()).extracting(UnsupportedLayer::name).contains("odd");
        assertThat(monitor.description().pairs()).extracting(Object::toString).containsExactly("fc:out(rescaling)");
        for (String layer : expected) {
            assertThat(monitor.value("layer.weight.norm", "layer", layer)).as(layer).isPresent();
            assertThat(monitor.value("crh.alignment", "layer", layer, "side", "b", "relation", "rga")).as(layer).isPresent();
        }
        assertThat(monitor.errors(Stage.ADAPTER) + monitor.errors(Stage.PROBE) + monitor.errors(Stage.STEP)
                + monitor.errors(Stage.ANALYSIS)).isZero();
    }

    /** An unknown vertex (here a ScaleVertex and a product) is named; the layers around it keep their metrics. */
    @Test
    void anUnknownVertexIsNamedAndTheGraphIsStillAnalysed() throws InterruptedException {
        ComputationGraph graph = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(2)
                .updater(new Sgd(0.05)).weightInit(WeightInit.XAVIER).graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.convolutional(8, 8, 1))
                .addLayer("conv1", new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build(), "in")
                .addVertex("scale", new ScaleVertex(0.5), "conv1")
                .addLayer("conv2", new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build(), "scale")
                .addVertex("product", new ElementWiseVertex(ElementWiseVertex.Op.Product), "conv2", "conv2")
                .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.MAX).build(), "product")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "pool")
                .setOutputs("out").build());
        graph.init();
        NoetherMonitor monitor = train(graph, GeneratedImages.of(32, 1, 8, 3, 6, false), CNN2DFormat.NCHW);
        assertThat(monitor.description().layers()).extracting(DenseLayer::name).containsExactly("conv1", "conv2", "out");
        assertThat(monitor.description().unsupported()).extracting(UnsupportedLayer::toString)
                .containsExactly("scale (ScaleVertex is not modelled)", "product (ElementWiseVertex(Product) is not modelled)");
        assertThat(monitor.description().pairs()).isEmpty();
        for (String layer : List.of("conv1", "conv2", "out")) {
            assertThat(monitor.value("layer.weight.norm", "layer", layer)).as(layer).isPresent();
            // forward moments reach every layer; the gradient stops at the unknown vertices
            assertThat(monitor.value("crh.alignment", "layer", layer, "side", "a", "relation", "rwa")).as(layer).isPresent();
        }
        assertThat(monitor.value("crh.alignment", "layer", "out", "side", "b", "relation", "rga")).isPresent();
        assertThat(monitor.errors(Stage.ADAPTER) + monitor.errors(Stage.PROBE) + monitor.errors(Stage.STEP)
                + monitor.errors(Stage.ANALYSIS)).isZero();
    }

    /** A configuration with a cycle (DL4J's builder refuses one; a hand-edited one may not) names the vertices. */
    @Test
    void aCycleIsRefusedWithTheVerticesNamed() {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().graphBuilder()
                .addInputs("in")
                .addLayer("a", new Builder().nIn(3).nOut(3).build(), "in")
                .addLayer("b", new Builder().nIn(3).nOut(3).build(), "a")
                .addLayer("out", new OutputLayer.Builder().nIn(3).nOut(2).build(), "b")
                .setOutputs("out").build();
        Map<String, List<String>> inputs = new HashMap<>(conf.getVertexInputs());
        inputs.put("a", List.of("b"));
        conf.setVertexInputs(inputs);
        assertThatThrownBy(() -> Dl4jNetworkMapper.topologicalOrder(conf))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cycle").hasMessageContaining("a")
                .hasMessageContaining("b");
        inputs.put("a", List.of("nowhere"));
        assertThatThrownBy(() -> Dl4jNetworkMapper.topologicalOrder(conf))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nowhere");
    }

    private static NoetherMonitor train(Model model, DataSet data, CNN2DFormat format) throws InterruptedException {
        if (format == CNN2DFormat.NHWC) {
            data = new DataSet(data.getFeatures().permute(0, 2, 3, 1).dup(), data.getLabels());
        }
        NoetherListener listener = NoetherListener.builder().registry(new SimpleMeterRegistry()).modelName("bad")
                .config(NoetherConfig.builder().analysisEvery(2).observeEvery(1).minAnalysisInterval(Duration.ZERO)
                        .maxAnalysisShare(1).overheadBudget(1).build()).build();
        List<Double> scores = new ArrayList<>();
        if (model instanceof MultiLayerNetwork net) {
            net.addListeners(listener);
            for (int t = 0; t < 5; t++) {
                net.fit(GeneratedImages.batch(data, t, 16));
                scores.add(net.score());
            }
        } else {
            ComputationGraph graph = (ComputationGraph) model;
            graph.addListeners(listener);
            for (int t = 0; t < 5; t++) {
                graph.fit(GeneratedImages.batch(data, t, 16));
                scores.add(graph.score());
            }
        }
        NoetherMonitor monitor = listener.monitor().orElseThrow();
        assertThat(monitor.steps()).isEqualTo(5);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (monitor.latestAnalysis() == null && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(monitor.latestAnalysis()).isNotNull();
        listener.close();
        return monitor;
    }
}
