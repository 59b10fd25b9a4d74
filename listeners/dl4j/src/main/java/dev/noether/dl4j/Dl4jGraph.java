package dev.noether.dl4j;

import dev.noether.core.model.NetworkDescription;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.solvers.BaseOptimizer;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Set;
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
    private final Map<String, List<String>> consumers = new HashMap<>();
    private final List<String> inputs;

    Dl4jGraph(Model model, NetworkDescription description, List<Dl4jNode> nodes) {
        this.model = model;
        this.description = description;
        this.nodes = List.copyOf(nodes);
        List<Dl4jNode> l = new ArrayList<>();
        for (Dl4jNode n : nodes) {
            if (n.linearIndex() >= 0) {
                l.add(n);
            }
            for (String in : n.sources()) {
                consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n.name());
            }
        }
        this.linear = List.copyOf(l);
        Set<String> names = new HashSet<>();
        nodes.forEach(n -> names.add(n.name()));
        Set<String> in = new LinkedHashSet<>();
        nodes.forEach(n -> n.sources().stream().filter(i -> !names.contains(i)).forEach(in::add));
        this.inputs = List.copyOf(in);
    }

    /**
     * The network inputs the nodes read. The probe batch feeds every one of them, so a graph with several
     * inputs is probed only where they have the same shape.
     */
    List<String> inputs() {
        return inputs;
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

    /** The features of the minibatch being trained on (a graph's first input), or null. */
    INDArray features() {
        if (model instanceof MultiLayerNetwork net) {
            return net.getInput();
        }
        INDArray[] inputs = ((ComputationGraph) model).getInputs();
        return inputs == null || inputs.length == 0 ? null : inputs[0];
    }

    /** The labels of the minibatch being trained on (held by the output layer), or null. */
    INDArray labels() {
        for (int i = nodes.size() - 1; i >= 0; i--) {
            if (nodes.get(i).kind() == Dl4jNode.Kind.OUTPUT && nodes.get(i).layer() instanceof IOutputLayer out) {
                return out.getLabels();
            }
        }
        return null;
    }
}
