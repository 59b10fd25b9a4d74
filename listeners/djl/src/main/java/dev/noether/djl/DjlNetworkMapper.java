package dev.noether.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.core.Prelu;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.util.Pair;
import dev.noether.core.model.Activation;
import dev.noether.core.model.NetworkDescription;
import dev.noether.core.model.Normalization;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Maps an initialized DJL block to the core's {@link NetworkDescription} (METRICS.md §1). A
 * {@link SequentialBlock} (nested ones are flattened) of {@link Linear}, activations, {@link BatchNorm},
 * {@link LayerNorm} and {@link Dropout} is described exactly; any other block is named as unsupported with the
 * reason, and breaks the chain at that point. Layer names are DJL's child names, nested ones joined with '_'
 * as in DJL's parameter names (e.g. {@code 01Linear}, {@code 02SequentialBlock_01Linear}).
 */
final class DjlNetworkMapper {
    private final NDManager manager;
    private NetworkDescription.Builder description;
    private List<MappedNetwork.DenseParameters> dense;
    private List<MappedNetwork.Link> chain;

    /** @param manager where the activation recognizer may run a lambda once on a small test matrix */
    DjlNetworkMapper(NDManager manager) {
        this.manager = manager;
    }

    MappedNetwork map(String model, Block root) {
        description = NetworkDescription.builder(model);
        dense = new ArrayList<>();
        chain = new ArrayList<>();
        boolean sequential = root instanceof SequentialBlock s && !s.isReturnIntermediate();
        if (sequential) {
            children((SequentialBlock) root, "");
        } else {
            description.unsupported(root.getClass().getSimpleName(),
                    "the model's block is not a SequentialBlock; only sequential chains are mapped");
        }
        return new MappedNetwork(description.build(), List.copyOf(dense), sequential ? List.copyOf(chain) : null);
    }

    private void children(SequentialBlock block, String prefix) {
        for (Pair<String, Block> child : block.getChildren()) {
            leaf(prefix + child.getKey(), child.getValue());
        }
    }

    private void leaf(String name, Block block) {
        if (block instanceof SequentialBlock s && !s.isReturnIntermediate()) {
            children(s, name + "_");
        } else if (block instanceof Linear linear) {
            linear(name, linear);
        } else if (block instanceof LambdaBlock lambda) {
            Optional<Activation> activation = ActivationRecognizer.recognize(lambda, manager);
            if (activation.isPresent()) {
                description.activation(activation.get());
                link(name, block, MappedNetwork.Role.ACTIVATION);
            } else {
                unsupported(name, block, "LambdaBlock '" + lambda.getName()
                        + "' is not an activation Noether recognises");
            }
        } else if (block instanceof Prelu) {
            description.activation(Activation.PRELU);
            link(name, block, MappedNetwork.Role.ACTIVATION);
        } else if (block instanceof BatchNorm) {
            description.normalization(Normalization.BATCH_NORM, name);
            link(name, block, MappedNetwork.Role.PASS);
        } else if (block instanceof LayerNorm) {
            description.normalization(Normalization.LAYER_NORM, name);
            link(name, block, MappedNetwork.Role.PASS);
        } else if (block instanceof Dropout) {
            description.dropout(name);
            link(name, block, MappedNetwork.Role.PASS);
        } else {
            unsupported(name, block, block.getClass().getSimpleName() + " is not modelled");
        }
    }

    private void linear(String name, Linear linear) {
        Parameter weight = linear.getParameters().get("weight");
        Parameter bias = linear.getParameters().get("bias");
        NDArray w = weight.getArray(); // throws when the block is not initialized yet
        Shape shape = w.getShape();
        if (shape.dimension() != 2) {
            unsupported(name, linear, "Linear weight of shape " + shape + " is not a matrix");
            return;
        }
        description.dense(name, Math.toIntExact(shape.get(0)), Math.toIntExact(shape.get(1)), bias != null);
        chain.add(new MappedNetwork.Link(name, linear, MappedNetwork.Role.DENSE, dense.size()));
        dense.add(new MappedNetwork.DenseParameters(name, weight, bias));
    }

    private void unsupported(String name, Block block, String reason) {
        description.unsupported(name, reason);
        link(name, block, MappedNetwork.Role.OPAQUE);
    }

    private void link(String name, Block block, MappedNetwork.Role role) {
        chain.add(new MappedNetwork.Link(name, block, role, -1));
    }
}
