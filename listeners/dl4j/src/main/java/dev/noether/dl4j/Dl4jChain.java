package dev.noether.dl4j;

import dev.noether.core.model.NetworkDescription;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.solvers.BaseOptimizer;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.List;

/**
 * A DL4J network seen as the chain Noether models: its {@link NetworkDescription} and the layers behind it,
 * in forward order, with the model-specific ways to read the current batch and the iteration counter.
 * A {@code ComputationGraph} that is not a simple chain has a description naming it unsupported and no
 * elements.
 */
final class Dl4jChain {
    private final Model model;
    private final NetworkDescription description;
    private final List<ChainElement> elements;
    private final List<ChainElement> dense;

    Dl4jChain(Model model, NetworkDescription description, List<ChainElement> elements) {
        this.model = model;
        this.description = description;
        this.elements = List.copyOf(elements);
        List<ChainElement> d = new ArrayList<>();
        for (ChainElement e : elements) {
            if (e.isDense()) {
                d.add(e);
            }
        }
        this.dense = List.copyOf(d);
    }

    Model model() {
        return model;
    }

    NetworkDescription description() {
        return description;
    }

    /** Every mapped layer in forward order. */
    List<ChainElement> elements() {
        return elements;
    }

    /** The dense layers, in the order of {@link NetworkDescription#layers()}. */
    List<ChainElement> dense() {
        return dense;
    }

    /** DL4J's iteration counter: the index of the update being computed. */
    int iteration() {
        return BaseOptimizer.getIterationCount(model);
    }

    int epoch() {
        return BaseOptimizer.getEpochCount(model);
    }

    /** The features of the minibatch being trained on, or null. */
    INDArray features() {
        if (model instanceof MultiLayerNetwork net) {
            return net.getInput();
        }
        INDArray[] inputs = ((ComputationGraph) model).getInputs();
        return inputs == null || inputs.length == 0 ? null : inputs[0];
    }

    /** The labels of the minibatch being trained on (held by the output layer), or null. */
    INDArray labels() {
        if (elements.isEmpty() || !(elements.get(elements.size() - 1).layer() instanceof IOutputLayer out)) {
            return null;
        }
        return out.getLabels();
    }
}
