package dev.noether.dl4j;

import dev.noether.core.model.NetworkDescription;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.solvers.BaseOptimizer;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A DL4J network seen as the graph Noether models: its {@link NetworkDescription} and the layers and vertices
 * behind it in topological order, with the model-specific ways to read the current batch and the iteration
 * counter. A network that could not be read has a description naming it unsupported and no nodes.
 */
final class Dl4jGraph {
    /** The name of the network input of a {@code MultiLayerNetwork} (a graph's inputs keep their own names). */
    static final String INPUT = "input";

    private final Model model;
    private final NetworkDescription description;
    private final List<Dl4jNode> nodes;
    private final List<Dl4jNode> linear;
    private final List<Dl4jWeights> measured;
    private final Map<String, List<String>> consumers = new HashMap<>();
    private final List<String> inputs;
    private final List<String> outputs;

    Dl4jGraph(Model model, NetworkDescription description, List<Dl4jNode> nodes) {
        this.model = model;
        this.description = description;
        this.nodes = List.copyOf(nodes);
        List<Dl4jNode> l = new ArrayList<>();
        for (Dl4jNode n : nodes) {
            if (n.isLinear()) {
                l.add(n);
            }
            for (String in : n.sources()) {
                consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n.name());
            }
        }
        this.linear = List.copyOf(l);
        this.measured = measured(nodes);
        if (model instanceof ComputationGraph graph) {
            this.inputs = List.copyOf(graph.getConfiguration().getNetworkInputs());
            this.outputs = List.copyOf(graph.getConfiguration().getNetworkOutputs());
        } else {
            this.inputs = List.of(INPUT);
            this.outputs = nodes.isEmpty() ? List.of() : List.of(nodes.get(nodes.size() - 1).name());
        }
    }

    /**
     * The network inputs, in DL4J's order ({@code getNetworkInputs()} of a graph; {@link #INPUT} of a
     * {@code MultiLayerNetwork}): the order of a {@link ProbeBatch}'s features.
     */
    List<String> inputs() {
        return inputs;
    }

    /**
     * The network outputs, in DL4J's order ({@code getNetworkOutputs()}; the last layer of a
     * {@code MultiLayerNetwork}): the order of a {@link ProbeBatch}'s labels.
     */
    List<String> outputs() {
        return outputs;
    }

    Model model() {
        return model;
    }

    NetworkDescription description() {
        return description;
    }

    /** Every node in topological order (each after all the nodes it reads). */
    List<Dl4jNode> nodes() {
        return nodes;
    }

    /** The linear layers, in the order of {@link NetworkDescription#layers()}. */
    List<Dl4jNode> linear() {
        return linear;
    }

    /**
     * Every layer of the description, in its order: the linear layers and recurrent cells of the graph, then the
     * weight-only parameters of the layers Noether cannot map (METRICS.md §12). The step capture reads these.
     */
    List<Dl4jWeights> measured() {
        return measured;
    }

    /** {@link #measured()} of the nodes in topological order. */
    static List<Dl4jWeights> measured(List<Dl4jNode> nodes) {
        List<Dl4jWeights> out = new ArrayList<>();
        for (Dl4jNode n : nodes) {
            if (n.isLinear()) {
                out.add(Dl4jWeights.linear(n));
            } else if (n.kind() == Dl4jNode.Kind.RECURRENT) {
                List<String> prefixes = n.cellPrefixes();
                for (String prefix : prefixes) {
                    String name = prefixes.size() == 1 ? n.name() : n.name() + "_" + prefix;
                    out.add(new Dl4jWeights(name, n, Dl4jWeights.Form.RECURRENT, prefix, null));
                }
            }
        }
        for (Dl4jNode n : nodes) {
            if (n.kind() == Dl4jNode.Kind.UNSUPPORTED && n.layer() != null) {
                List<String> keys = Dl4jNetworkMapper.weightOnlyKeys(n.layer());
                for (String key : keys) {
                    out.add(new Dl4jWeights(Dl4jNetworkMapper.weightOnlyName(n.name(), key, keys.size()), n,
                            Dl4jWeights.Form.WEIGHT_ONLY, "", key));
                }
            }
        }
        return List.copyOf(out);
    }

    /** The names of the nodes that read {@code name}'s output. */
    List<String> consumers(String name) {
        return consumers.getOrDefault(name, List.of());
    }

    /** DL4J's iteration counter: the index of the update being computed. */
    int iteration() {
        return BaseOptimizer.getIterationCount(model);
    }

    int epoch() {
        return BaseOptimizer.getEpochCount(model);
    }

    /**
     * Copies of the first {@code max} samples of the minibatch being trained on: every input's features, every
     * output layer's labels, and their masks. Only while DL4J holds them (during the backward pass: a
     * graph's output layers hold their labels no longer); null when the model holds no input.
     */
    ProbeBatch currentBatch(int max) {
        if (model instanceof MultiLayerNetwork net) {
            INDArray features = net.getInput();
            if (features == null) {
                return null;
            }
            Layer last = net.getOutputLayer();
            INDArray labels = last instanceof IOutputLayer out ? out.getLabels() : net.getLabels();
            return ProbeBatch.copyOf(new INDArray[] {features}, new INDArray[] {labels},
                    new INDArray[] {net.getMask()}, new INDArray[] {last == null ? null : last.getMaskArray()}, max);
        }
        ComputationGraph graph = (ComputationGraph) model;
        INDArray[] features = graph.getInputs();
        if (features == null || features.length == 0 || features[0] == null) {
            return null;
        }
        INDArray[] labels = new INDArray[outputs.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = graph.getOutputLayer(i) instanceof IOutputLayer out ? out.getLabels() : null;
        }
        return ProbeBatch.copyOf(features, labels, graph.getInputMaskArrays(), graph.getLabelMaskArrays(), max);
    }
}
