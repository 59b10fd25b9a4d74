package dev.noether.dl4j;

import dev.noether.core.model.NetworkDescription;
import dev.noether.dl4j.Dl4jNode.Kind;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.graph.PreprocessorVertex;
import org.deeplearning4j.nn.conf.graph.rnn.DuplicateToTimeSeriesVertex;
import org.deeplearning4j.nn.conf.graph.rnn.LastTimeStepVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.EmbeddingLayer;
import org.deeplearning4j.nn.conf.layers.EmbeddingSequenceLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.conf.layers.Subsampling1DLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.graph.vertex.impl.LayerVertex;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * Reads a {@link MultiLayerNetwork} or a {@link ComputationGraph} of any topology as Noether's graph
 * (METRICS.md §10). DL4J attaches the activation to the layer itself, so a dense or convolution layer is a
 * linear layer followed by its activation. Dense, output and convolution layers ({@code ConvolutionLayer}
 * and {@code Convolution1DLayer}, channels-first; see {@link ConvGeometry}), {@code ActivationLayer},
 * {@code BatchNormalization}, {@code DropoutLayer}, {@code SubsamplingLayer} (also 1-D), {@code GlobalPoolingLayer},
 * {@code ZeroPaddingLayer}, {@code ElementWiseVertex(Add)} and {@code MergeVertex} are mapped; every other
 * layer or vertex is named as unsupported (with the reason), and the rest of the graph is still read.
 */
final class Dl4jNetworkMapper {
    private Dl4jNetworkMapper() {}

    static Dl4jGraph map(Model model, String modelName) {
        List<Dl4jNode> nodes;
        if (model instanceof MultiLayerNetwork net) {
            nodes = multiLayerNodes(net);
        } else if (model instanceof ComputationGraph graph) {
            nodes = graphNodes(graph);
        } else {
            String what = model == null ? "null" : model.getClass().getSimpleName();
            return unsupported(model, modelName, what, "only MultiLayerNetwork and ComputationGraph are supported");
        }
        List<Dl4jNode> indexed = new ArrayList<>(nodes.size());
        int linear = 0; // the description's index: a Bidirectional's two cells take two
        for (Dl4jNode n : nodes) {
            if (n.isLinear()) {
                indexed.add(n.withLinearIndex(linear++));
            } else if (n.kind() == Kind.RECURRENT) {
                indexed.add(n.withLinearIndex(linear));
                linear += n.cellPrefixes().size();
            } else {
                indexed.add(n);
            }
        }
        return new Dl4jGraph(model, Dl4jDescription.describe(modelName, indexed), indexed);
    }

    private static List<Dl4jNode> multiLayerNodes(MultiLayerNetwork net) {
        Layer[] layers = net.getLayers();
        List<Dl4jNode> nodes = new ArrayList<>();
        Set<String> names = new HashSet<>();
        names.add(Dl4jGraph.INPUT);
        String previous = Dl4jGraph.INPUT;
        for (int i = 0; i < layers.length; i++) {
            String name = layers[i].conf().getLayer().getLayerName();
            if (name == null || name.isBlank() || !names.add(name)) {
                name = "layer" + i;
                names.add(name);
            }
            InputPreProcessor pre = net.getLayerWiseConfigurations().getInputPreProcess(i);
            nodes.addAll(layerNodes(name, List.of(previous), layers[i], null, pre, i + "_"));
            previous = name;
        }
        return nodes;
    }

    private static List<Dl4jNode> graphNodes(ComputationGraph graph) {
        ComputationGraphConfiguration conf = graph.getConfiguration();
        List<Dl4jNode> nodes = new ArrayList<>();
        for (String name : topologicalOrder(conf)) {
            GraphVertex vertex = graph.getVertex(name);
            List<String> inputs = conf.getVertexInputs().getOrDefault(name, List.of());
            if (vertex instanceof LayerVertex lv) {
                nodes.addAll(layerNodes(name, inputs, lv.getLayer(), vertex, lv.getLayerPreProcessor(), name + "_"));
            } else {
                nodes.add(vertexNode(name, inputs, vertex, conf.getVertices().get(name)));
            }
        }
        return nodes;
    }

    /**
     * The vertices of {@code conf} (network inputs left out), each after every vertex it reads, in the
     * configuration's own order where the graph leaves a choice (Kahn's algorithm, the earliest-declared
     * ready vertex first).
     *
     * @throws IllegalArgumentException naming the vertices on a cycle or reading an unknown vertex
     */
    static List<String> topologicalOrder(ComputationGraphConfiguration conf) {
        Map<String, List<String>> inputs = new LinkedHashMap<>();
        for (String v : conf.getVertices().keySet()) {
            inputs.put(v, conf.getVertexInputs().getOrDefault(v, List.of()));
        }
        Set<String> known = new HashSet<>(conf.getNetworkInputs());
        Map<String, Integer> waiting = new HashMap<>();
        Map<String, List<String>> consumers = new HashMap<>();
        Map<String, Integer> position = new HashMap<>();
        for (String v : inputs.keySet()) {
            position.put(v, position.size());
        }
        PriorityQueue<String> ready = new PriorityQueue<>(Comparator.comparing(position::get));
        for (Map.Entry<String, List<String>> e : inputs.entrySet()) {
            int pending = 0;
            for (String in : e.getValue()) {
                if (!known.contains(in)) {
                    if (!inputs.containsKey(in)) {
                        throw new IllegalArgumentException("vertex " + e.getKey() + " reads unknown vertex " + in);
                    }
                    pending++;
                    consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(e.getKey());
                }
            }
            waiting.put(e.getKey(), pending);
            if (pending == 0) {
                ready.add(e.getKey());
            }
        }
        List<String> order = new ArrayList<>();
        while (!ready.isEmpty()) {
            String v = ready.poll();
            order.add(v);
            for (String c : consumers.getOrDefault(v, List.of())) {
                if (waiting.merge(c, -1, Integer::sum) == 0) {
                    ready.add(c);
                }
            }
        }
        if (order.size() != inputs.size()) {
            List<String> cycle = new ArrayList<>(inputs.keySet());
            cycle.removeAll(order);
            throw new IllegalArgumentException("vertices on a cycle: " + cycle);
        }
        return order;
    }

    /** The node of one DL4J layer; the five of a self-attention layer ({@link Dl4jAttention}). */
    private static List<Dl4jNode> layerNodes(String name, List<String> inputs, Layer layer, GraphVertex vertex,
                                             InputPreProcessor pre, String prefix) {
        return Dl4jAttention.maps(layer.conf().getLayer()) ? Dl4jAttention.nodes(name, inputs, layer, vertex, pre, prefix)
                : List.of(layerNode(name, inputs, layer, vertex, pre, prefix));
    }

    private static Dl4jNode layerNode(String name, List<String> inputs, Layer layer, GraphVertex vertex,
                                      InputPreProcessor pre, String prefix) {
        org.deeplearning4j.nn.conf.layers.Layer conf = layer.conf().getLayer();
        Class<?> type = conf.getClass();
        Kind kind;
        ConvGeometry conv = null;
        String reason = null;
        if (type == DenseLayer.class) {
            kind = ((DenseLayer) conf).hasLayerNorm() ? Kind.UNSUPPORTED : Kind.DENSE;
            reason = kind == Kind.DENSE ? null : "DenseLayer with layer normalization";
        } else if (type == OutputLayer.class || type == RnnOutputLayer.class) {
            kind = Kind.OUTPUT; // RnnOutputLayer: a dense layer over (sequence, time step) samples
        } else if (Dl4jNode.recurrentCell(conf) != null) {
            kind = Kind.RECURRENT;
        } else if (conf instanceof ConvolutionLayer c) {
            reason = ConvGeometry.unsupportedReason(c);
            kind = reason == null ? Kind.CONV : Kind.UNSUPPORTED;
            conv = reason == null ? ConvGeometry.of(c) : null;
        } else if (type == ActivationLayer.class) {
            kind = Kind.ACTIVATION;
        } else if (type == BatchNormalization.class) {
            boolean channelsFirst = ((BatchNormalization) conf).getCnn2DFormat() != CNN2DFormat.NHWC;
            kind = channelsFirst ? Kind.BATCH_NORM : Kind.UNSUPPORTED;
            reason = channelsFirst ? null : "BatchNormalization with channels-last layout NHWC";
        } else if (type == DropoutLayer.class) {
            kind = Kind.DROPOUT;
        } else if (type == SubsamplingLayer.class || type == Subsampling1DLayer.class) {
            boolean channelsFirst = ((SubsamplingLayer) conf).getCnn2dDataFormat() == CNN2DFormat.NCHW;
            kind = channelsFirst ? Kind.POOLING : Kind.UNSUPPORTED;
            reason = channelsFirst ? null : "SubsamplingLayer with channels-last layout NHWC";
        } else if (type == GlobalPoolingLayer.class) {
            kind = Kind.POOLING;
        } else if (type == ZeroPaddingLayer.class) {
            boolean channelsFirst = ((ZeroPaddingLayer) conf).getDataFormat() == CNN2DFormat.NCHW;
            kind = channelsFirst ? Kind.POOLING : Kind.UNSUPPORTED;
            reason = channelsFirst ? null : "ZeroPaddingLayer with channels-last layout NHWC";
        } else {
            kind = Kind.UNSUPPORTED;
            reason = type.getSimpleName() + " is not modelled";
        }
        if (kind == Kind.UNSUPPORTED) {
            List<String> weights = weightOnlyKeys(layer);
            if (!weights.isEmpty()) {
                reason += "; weight metrics only for " + String.join(", ", weights.stream()
                        .map(k -> weightOnlyName(name, k, weights.size())).toList());
            }
        }
        return new Dl4jNode(name, kind, inputs, layer, vertex, pre, prefix, -1, conv, reason, null);
    }

    /** The parameters of rank ≥ 2 of a layer Noether cannot map: its weight-only layers (METRICS.md §12). */
    static List<String> weightOnlyKeys(Layer layer) {
        List<String> keys = new ArrayList<>();
        for (Map.Entry<String, INDArray> e : layer.paramTable().entrySet()) {
            INDArray p = e.getValue();
            // a (1, n) parameter is DL4J's way to store a bias vector, not a matrix
            if (p != null && p.rank() >= 2 && !(p.rank() == 2 && p.size(0) == 1)) {
                keys.add(e.getKey());
            }
        }
        return keys;
    }

    /** The layer tag of a weight-only parameter: the layer's name, or name_key when it holds several. */
    static String weightOnlyName(String layer, String key, int count) {
        return count == 1 ? layer : layer + "_" + key;
    }

    /** The embedding layers' weight-only kind; any other unmapped layer's is {@code other}. */
    static boolean isEmbedding(org.deeplearning4j.nn.conf.layers.Layer conf) {
        return conf instanceof EmbeddingLayer || conf instanceof EmbeddingSequenceLayer;
    }

    private static Dl4jNode vertexNode(String name, List<String> inputs, GraphVertex vertex,
                                       org.deeplearning4j.nn.conf.graph.GraphVertex conf) {
        Kind kind = Kind.UNSUPPORTED;
        String reason = null;
        String timeInput = null;
        if (conf instanceof ElementWiseVertex ew && ew.getOp() == ElementWiseVertex.Op.Add) {
            kind = Kind.ADD;
        } else if (conf instanceof MergeVertex) {
            kind = Kind.CONCAT;
        } else if (conf instanceof LastTimeStepVertex last) {
            kind = Kind.LAST_TIME_STEP;
            timeInput = last.getMaskArrayInputName();
            reason = "LastTimeStepVertex is not modelled (no pairs across it)";
        } else if (conf instanceof DuplicateToTimeSeriesVertex duplicate) {
            kind = Kind.DUPLICATE_TO_TIME;
            timeInput = duplicate.getInputName();
            reason = "DuplicateToTimeSeriesVertex is not modelled (no pairs across it)";
        } else if (conf instanceof PreprocessorVertex pre) {
            kind = Kind.PREPROCESSOR;
            reason = "PreprocessorVertex(" + pre.getPreProcessor().getClass().getSimpleName() + ") is not modelled";
            return new Dl4jNode(name, kind, inputs, null, vertex, pre.getPreProcessor(), name + "_", -1, null, reason,
                    null);
        } else {
            reason = conf.getClass().getSimpleName()
                    + (conf instanceof ElementWiseVertex ew ? "(" + ew.getOp() + ")" : "") + " is not modelled";
        }
        return new Dl4jNode(name, kind, inputs, null, vertex, null, name + "_", -1, null, reason, timeInput);
    }

    /** The description of a network whose mapping failed: named unsupported, with the failure as reason. */
    static Dl4jGraph unmapped(Model model, String modelName, RuntimeException failure) {
        String what = model == null ? "null" : model.getClass().getSimpleName();
        return unsupported(model, modelName, what, "could not be read: " + failure);
    }

    private static Dl4jGraph unsupported(Model model, String modelName, String what, String reason) {
        NetworkDescription description = NetworkDescription.builder(modelName).unsupported(what, reason).build();
        return new Dl4jGraph(model, description, List.of());
    }
}
