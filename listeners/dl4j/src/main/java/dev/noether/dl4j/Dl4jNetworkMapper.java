package dev.noether.dl4j;

import dev.noether.core.model.NetworkDescription;
import dev.noether.core.model.Normalization;
import dev.noether.dl4j.ChainElement.Kind;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.graph.vertex.impl.LayerVertex;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a {@link MultiLayerNetwork}, or a {@link ComputationGraph} whose vertices form a simple chain, as
 * the core's {@link NetworkDescription} (METRICS.md §1). DL4J attaches the activation to the layer itself,
 * so a {@code DenseLayer} becomes a dense layer followed by its activation, and the {@code OutputLayer}'s
 * activation (softmax, identity, ...) follows the last dense layer. {@code ActivationLayer},
 * {@code BatchNormalization} and {@code DropoutLayer} are mapped; every other layer is named as unsupported
 * and cuts the chain, as does a {@code DenseLayer} with layer normalization (its output is not W h + b).
 */
final class Dl4jNetworkMapper {
    private Dl4jNetworkMapper() {}

    static Dl4jChain map(Model model, String modelName) {
        if (model instanceof MultiLayerNetwork net) {
            return mapMultiLayer(net, modelName);
        }
        if (model instanceof ComputationGraph graph) {
            return mapGraph(graph, modelName);
        }
        String what = model == null ? "null" : model.getClass().getSimpleName();
        return unsupported(model, modelName, what, "only MultiLayerNetwork and ComputationGraph are supported");
    }

    private static Dl4jChain mapMultiLayer(MultiLayerNetwork net, String modelName) {
        Layer[] layers = net.getLayers();
        List<ChainElement> elements = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < layers.length; i++) {
            String name = layers[i].conf().getLayer().getLayerName();
            if (name == null || name.isBlank() || !names.add(name)) {
                name = "layer" + i;
                names.add(name);
            }
            InputPreProcessor pre = net.getLayerWiseConfigurations().getInputPreProcess(i);
            elements.add(element(name, layers[i], pre, i + "_"));
        }
        return chain(net, modelName, elements);
    }

    private static Dl4jChain mapGraph(ComputationGraph graph, String modelName) {
        ComputationGraphConfiguration conf = graph.getConfiguration();
        List<String> order = chainOrder(conf);
        if (order == null) {
            return unsupported(graph, modelName, "ComputationGraph",
                    "not a simple chain (branches, merges, several inputs or outputs, or non-layer vertices)");
        }
        List<ChainElement> elements = new ArrayList<>();
        for (String name : order) {
            GraphVertex vertex = graph.getVertex(name);
            InputPreProcessor pre = vertex instanceof LayerVertex lv ? lv.getLayerPreProcessor() : null;
            elements.add(element(name, vertex.getLayer(), pre, name + "_"));
        }
        return chain(graph, modelName, elements);
    }

    /**
     * The layer vertices from the single input to the single output when each consumes exactly the one
     * before it and nothing else branches off; null otherwise.
     */
    static List<String> chainOrder(ComputationGraphConfiguration conf) {
        if (conf.getNetworkInputs().size() != 1 || conf.getNetworkOutputs().size() != 1) {
            return null;
        }
        Map<String, List<String>> consumers = new HashMap<>();
        for (Map.Entry<String, List<String>> e : conf.getVertexInputs().entrySet()) {
            for (String input : e.getValue()) {
                consumers.computeIfAbsent(input, k -> new ArrayList<>()).add(e.getKey());
            }
        }
        List<String> order = new ArrayList<>();
        String current = conf.getNetworkInputs().get(0);
        while (consumers.containsKey(current)) {
            List<String> next = consumers.get(current);
            if (next.size() != 1) {
                return null;
            }
            String v = next.get(0);
            if (conf.getVertexInputs().get(v).size() != 1
                    || !(conf.getVertices().get(v) instanceof org.deeplearning4j.nn.conf.graph.LayerVertex)) {
                return null;
            }
            order.add(v);
            current = v;
        }
        boolean coversAll = order.size() == conf.getVertices().size();
        return coversAll && current.equals(conf.getNetworkOutputs().get(0)) ? order : null;
    }

    private static ChainElement element(String name, Layer layer, InputPreProcessor pre, String prefix) {
        org.deeplearning4j.nn.conf.layers.Layer conf = layer.conf().getLayer();
        Class<?> type = conf.getClass();
        if (type == DenseLayer.class) {
            if (((DenseLayer) conf).hasLayerNorm()) {
                return unsupportedElement(name, layer, pre, prefix, "DenseLayer with layer normalization");
            }
            return new ChainElement(name, Kind.DENSE, layer, pre, prefix, -1, null);
        }
        if (type == OutputLayer.class) {
            return new ChainElement(name, Kind.OUTPUT, layer, pre, prefix, -1, null);
        }
        if (type == ActivationLayer.class) {
            return new ChainElement(name, Kind.ACTIVATION, layer, pre, prefix, -1, null);
        }
        if (type == BatchNormalization.class) {
            return new ChainElement(name, Kind.BATCH_NORM, layer, pre, prefix, -1, null);
        }
        if (type == DropoutLayer.class) {
            return new ChainElement(name, Kind.DROPOUT, layer, pre, prefix, -1, null);
        }
        return unsupportedElement(name, layer, pre, prefix, type.getSimpleName() + " is not modelled");
    }

    private static ChainElement unsupportedElement(String name, Layer layer, InputPreProcessor pre, String prefix,
                                                   String reason) {
        return new ChainElement(name, Kind.UNSUPPORTED, layer, pre, prefix, -1, reason);
    }

    private static Dl4jChain chain(Model model, String modelName, List<ChainElement> elements) {
        NetworkDescription.Builder d = NetworkDescription.builder(modelName);
        List<ChainElement> indexed = new ArrayList<>(elements.size());
        int dense = 0;
        for (ChainElement e : elements) {
            switch (e.kind()) {
                case DENSE, OUTPUT -> {
                    d.dense(e.name(), e.outputs(), e.inputs(), e.hasBias());
                    d.activation(ActivationMapping.of(e.activation()));
                    e = new ChainElement(e.name(), e.kind(), e.layer(), e.preProcessor(), e.gradientPrefix(), dense++, null);
                }
                case ACTIVATION -> d.activation(ActivationMapping.of(e.activation()));
                case BATCH_NORM -> d.normalization(Normalization.BATCH_NORM, e.name());
                case DROPOUT -> d.dropout(e.name());
                case UNSUPPORTED -> d.unsupported(e.name(), e.reason());
            }
            indexed.add(e);
        }
        return new Dl4jChain(model, d.build(), indexed);
    }

    /** The description of a network whose mapping failed: named unsupported, with the failure as reason. */
    static Dl4jChain unmapped(Model model, String modelName, RuntimeException failure) {
        String what = model == null ? "null" : model.getClass().getSimpleName();
        return unsupported(model, modelName, what, "could not be read: " + failure);
    }

    private static Dl4jChain unsupported(Model model, String modelName, String what, String reason) {
        NetworkDescription description = NetworkDescription.builder(modelName).unsupported(what, reason).build();
        return new Dl4jChain(model, description, List.of());
    }
}
