package dev.noether.djl;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv1d;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.convolutional.Conv3d;
import ai.djl.nn.convolutional.Convolution;
import ai.djl.nn.convolutional.Deconvolution;
import ai.djl.nn.core.Linear;
import ai.djl.nn.core.Prelu;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.util.Pair;
import dev.noether.core.model.Activation;
import dev.noether.core.model.LayerKind;
import dev.noether.core.model.NetworkDescription;
import dev.noether.core.model.Normalization;
import dev.noether.core.model.Op;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Maps an initialized DJL block tree to the core's graph-shaped {@link NetworkDescription} (METRICS.md §1,
 * §10) and to the plan the probe interprets. Understood: nested {@link SequentialBlock}s, {@link ParallelBlock}s
 * whose join is a sum (ResNet's residual units, with or without a ReLU after the sum) or a channel concat,
 * {@link Linear}, {@link Conv1d}/{@link Conv2d}/{@link Conv3d} (ungrouped; any stride, padding and dilation; with
 * or without bias), activations ({@link LambdaBlock}s recognised by name or behaviour, {@link Prelu}),
 * {@link BatchNorm}, {@link LayerNorm}, {@link Dropout}, and DJL's pooling and flatten LambdaBlocks (by their
 * names: {@code maxPool2d}, {@code avgPool1d}, {@code globalAvgPool2d}, {@code batchFlatten}, ...). Anything else
 * (grouped/depthwise and transposed convolutions, LSTM, embeddings, anonymous lambdas that are not activations,
 * an unrecognised join) is named as unsupported with the reason; the rest of the graph is still described and
 * probed. Layer names are DJL's child names, nested ones joined with '_' as in DJL's parameter names (e.g.
 * {@code 01Linear}, {@code 02ParallelBlock_01SequentialBlock_01Conv2d}).
 */
final class DjlNetworkMapper implements TransformerMapping.Layers {
    /** DJL 0.36's pooling LambdaBlock names ({@code ai.djl.nn.pooling.Pool}); Lp pooling is left unsupported. */
    private static final Map<String, Op> POOLS = Map.ofEntries(
            Map.entry("maxPool1d", Op.MAX_POOL), Map.entry("maxPool2d", Op.MAX_POOL), Map.entry("maxPool3d", Op.MAX_POOL),
            Map.entry("avgPool1d", Op.AVG_POOL), Map.entry("avgPool2d", Op.AVG_POOL), Map.entry("avgPool3d", Op.AVG_POOL),
            Map.entry("globalMaxPool1d", Op.GLOBAL_MAX_POOL), Map.entry("globalMaxPool2d", Op.GLOBAL_MAX_POOL),
            Map.entry("globalMaxPool3d", Op.GLOBAL_MAX_POOL), Map.entry("globalAvgPool1d", Op.GLOBAL_AVG_POOL),
            Map.entry("globalAvgPool2d", Op.GLOBAL_AVG_POOL), Map.entry("globalAvgPool3d", Op.GLOBAL_AVG_POOL));

    private final NDManager manager;
    private NetworkDescription.Builder description;
    private List<MappedNetwork.DenseParameters> dense;

    /** @param manager where the activation and join recognizers may run a lambda once on a small test array */
    DjlNetworkMapper(NDManager manager) {
        this.manager = manager;
    }

    MappedNetwork map(String model, Block root) {
        description = NetworkDescription.builder(model);
        dense = new ArrayList<>();
        Shape input = null;
        try {
            Shape[] shapes = root.getInputShapes();
            input = shapes != null && shapes.length == 1 ? shapes[0] : null;
        } catch (RuntimeException notInitialized) {
            // shapes only help to count flatten positions; the graph is described without them
        }
        Mapped top = map(root.getClass().getSimpleName(), root, NetworkDescription.INPUT, input, true);
        return new MappedNetwork(description.build(), List.copyOf(dense), top.step);
    }

    /** A mapped block: the description node that holds its output, its probe step and its output shape. */
    private record Mapped(String node, MappedNetwork.Step step, Shape shape) {}

    private Mapped map(String name, Block block, String input, Shape in, boolean root) {
        if (block instanceof SequentialBlock s) {
            if (s.isReturnIntermediate()) {
                return unsupported(name, block, input, "a SequentialBlock that returns its intermediate outputs");
            }
            return sequence(root ? "" : name + "_", s, input, in);
        }
        if (block instanceof ParallelBlock p) {
            return parallel(name, p, input, in);
        }
        Shape out = outputShape(block, in);
        if (TransformerMapping.maps(block)) {
            // run whole by the probe; its layers are described inside (TransformerMapping)
            Optional<String> node = new TransformerMapping(this).map(name, block, input);
            return node.isPresent() ? new Mapped(node.get(), new MappedNetwork.Leaf(name, block,
                    MappedNetwork.Role.OPAQUE, -1, null), out)
                    : unsupported(name, block, input, block.getClass().getSimpleName() + " of a structure Noether does "
                            + "not know (DJL 0.36's children expected)");
        }
        if (block instanceof Linear linear) {
            return linear(name, linear, input, in, out);
        }
        if (block instanceof Convolution conv) {
            return convolution(name, conv, input, out);
        }
        if (block instanceof Deconvolution) {
            return unsupported(name, block, input, block.getClass().getSimpleName() + " (a transposed convolution "
                    + "stores (C_in, C_out, k...): its rows are not its output channels)");
        }
        if (block instanceof LambdaBlock lambda) {
            return lambda(name, lambda, input, in, out);
        }
        if (block instanceof Prelu) {
            description.activation(name, Activation.PRELU, input);
            return leaf(name, block, MappedNetwork.Role.ACTIVATION, out);
        }
        if (block instanceof BatchNorm bn) {
            description.normalization(name, Normalization.BATCH_NORM, input);
            return leaf(name, block, MappedNetwork.Role.PASS, out);
        }
        if (block instanceof LayerNorm) {
            description.normalization(name, Normalization.LAYER_NORM, input);
            return leaf(name, block, MappedNetwork.Role.PASS, out);
        }
        if (block instanceof Dropout) {
            description.op(name, Op.DROPOUT, input);
            return leaf(name, block, MappedNetwork.Role.PASS, out);
        }
        return unsupported(name, block, input, block.getClass().getSimpleName() + " is not modelled");
    }

    private Mapped sequence(String prefix, SequentialBlock block, String input, Shape in) {
        List<MappedNetwork.Step> steps = new ArrayList<>();
        boolean runnable = true;
        String node = input;
        Shape shape = in;
        for (Pair<String, Block> child : block.getChildren()) {
            Mapped m = map(prefix + child.getKey(), child.getValue(), node, shape, false);
            steps.add(m.step);
            runnable &= m.step != null;
            node = m.node;
            shape = m.shape;
        }
        return new Mapped(node, runnable ? new MappedNetwork.Sequence(List.copyOf(steps)) : null, shape);
    }

    private Mapped parallel(String name, ParallelBlock block, String input, Shape in) {
        List<MappedNetwork.Step> branches = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        for (Pair<String, Block> child : block.getChildren()) {
            Mapped m = map(name + "_" + child.getKey(), child.getValue(), input, in, false);
            branches.add(m.step);
            outputs.add(m.node);
        }
        Shape out = outputShape(block, in);
        Function<List<NDList>, NDList> join = JoinRecognizer.joinOf(block);
        Optional<JoinRecognizer.Join> known = join == null ? Optional.empty()
                : JoinRecognizer.recognize(join, outputs.size(), manager);
        String[] inputs = outputs.toArray(new String[0]);
        String node = name;
        if (known.isEmpty() || outputs.isEmpty()) {
            description.unsupported(name, join == null ? "ParallelBlock whose join cannot be read (DJL's private field)"
                    : "ParallelBlock whose join is neither a sum nor a channel concat", inputs);
        } else {
            description.merge(name, known.get().merge(), inputs);
            if (known.get().after() != Activation.IDENTITY) {
                node = name + "_" + known.get().after().name().toLowerCase();
                description.activation(node, known.get().after(), name);
            }
        }
        if (join == null || branches.contains(null)) {
            return new Mapped(node, null, out); // cannot be run piecewise: the probe stays off
        }
        return new Mapped(node, new MappedNetwork.Parallel(name, List.copyOf(branches), join), out);
    }

    private Mapped linear(String name, Linear linear, String input, Shape in, Shape out) {
        Parameter weight = linear.getParameters().get("weight");
        Parameter bias = linear.getParameters().get("bias");
        Shape shape = weight.getArray().getShape(); // throws when the block is not initialized yet
        if (shape.dimension() != 2) {
            return unsupported(name, linear, input, "Linear weight of shape " + shape + " is not a matrix");
        }
        String reads = input;
        if (in != null && in.dimension() > 2) {
            // DJL's Linear acts on the last axis of a higher-rank input: not a reading of whole channels
            reads = name + "/lastAxis";
            description.unsupported(reads, "Linear '" + name + "' acts on the last axis of a rank-" + in.dimension()
                    + " input " + in + ": no channel grouping with the layer before", input);
        }
        description.dense(name, Math.toIntExact(shape.get(0)), Math.toIntExact(shape.get(1)), bias != null, reads);
        return linearLeaf(name, linear, weight, bias, null, out);
    }

    @Override
    public NetworkDescription.Builder description() {
        return description;
    }

    @Override
    public String tokenLinear(String name, Linear linear, String input) {
        Parameter weight = linear.getParameters().get("weight");
        Parameter bias = linear.getParameters().get("bias");
        Shape shape = weight.getArray().getShape();
        description.dense(name, Math.toIntExact(shape.get(0)), Math.toIntExact(shape.get(1)), bias != null, input);
        dense.add(new MappedNetwork.DenseParameters(name, weight, bias));
        return name;
    }

    @Override
    public Optional<Activation> activation(LambdaBlock lambda) {
        return ActivationRecognizer.recognize(lambda, manager);
    }

    private Mapped convolution(String name, Convolution conv, String input, Shape out) {
        Parameter weight = conv.getParameters().get("weight");
        Parameter bias = conv.getParameters().get("bias");
        Shape shape = weight.getArray().getShape();
        int dims = shape.dimension() - 2;
        LayerKind kind = switch (dims) {
            case 1 -> LayerKind.CONV1D;
            case 2 -> LayerKind.CONV2D;
            case 3 -> LayerKind.CONV3D;
            default -> null;
        };
        if (kind == null) {
            return unsupported(name, conv, input, conv.getClass().getSimpleName() + " weight of shape " + shape);
        }
        if (conv.getGroups() != 1) {
            return unsupported(name, conv, input, "grouped/depthwise convolution (groups=" + conv.getGroups()
                    + "): each output channel reads only its group, not a dense layer over all channels");
        }
        int[] kernel = new int[dims];
        for (int d = 0; d < dims; d++) {
            kernel[d] = Math.toIntExact(shape.get(d + 2));
        }
        description.conv(name, kind, Math.toIntExact(shape.get(0)), Math.toIntExact(shape.get(1)), bias != null,
                kernel, input);
        int positions = out == null || out.dimension() != dims + 2 ? 0 : Math.toIntExact(out.slice(2).size());
        MappedNetwork.ConvGeometry geometry = new MappedNetwork.ConvGeometry(toLongs(shape.slice(2)),
                dimsOr(conv.getStride(), dims, 1), dimsOr(conv.getPadding(), dims, 0), dimsOr(conv.getDilation(), dims, 1),
                positions);
        return linearLeaf(name, conv, weight, bias, geometry, out);
    }

    private Mapped lambda(String name, LambdaBlock lambda, String input, Shape in, Shape out) {
        String kind = lambda.getName();
        Op pool = POOLS.get(kind);
        if (pool != null) {
            description.op(name, pool, input);
            return leaf(name, lambda, MappedNetwork.Role.PASS, out);
        }
        if ("batchFlatten".equals(kind)) {
            // (B, C, spatial...) → (B, C·P), channel-major; P unknown without shapes: core derives it
            int positions = in == null ? 0 : in.dimension() <= 2 ? 1 : Math.toIntExact(in.slice(2).size());
            description.flatten(name, positions, input);
            return leaf(name, lambda, MappedNetwork.Role.PASS, out);
        }
        Optional<Activation> activation = ActivationRecognizer.recognize(lambda, manager);
        if (activation.isPresent()) {
            description.activation(name, activation.get(), input);
            return leaf(name, lambda, MappedNetwork.Role.ACTIVATION, out);
        }
        return unsupported(name, lambda, input, "LambdaBlock '" + kind + "' is not an activation, pooling or flatten "
                + "Noether recognises");
    }

    private Mapped linearLeaf(String name, Block block, Parameter weight, Parameter bias,
                              MappedNetwork.ConvGeometry geometry, Shape out) {
        MappedNetwork.Leaf leaf = new MappedNetwork.Leaf(name, block, MappedNetwork.Role.LINEAR, dense.size(), geometry);
        dense.add(new MappedNetwork.DenseParameters(name, weight, bias));
        return new Mapped(name, leaf, out);
    }

    private Mapped unsupported(String name, Block block, String input, String reason) {
        description.unsupported(name, reason, input);
        return leaf(name, block, MappedNetwork.Role.OPAQUE, null);
    }

    private static Mapped leaf(String name, Block block, MappedNetwork.Role role, Shape out) {
        return new Mapped(name, new MappedNetwork.Leaf(name, block, role, -1, null), out);
    }

    private static Shape outputShape(Block block, Shape in) {
        if (in == null) {
            return null;
        }
        try {
            Shape[] out = block.getOutputShapes(new Shape[] {in});
            return out.length == 1 ? out[0] : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static long[] dimsOr(Shape s, int dims, long fallback) {
        long[] out = new long[dims];
        for (int d = 0; d < dims; d++) {
            out[d] = s != null && s.dimension() == dims ? s.get(d) : fallback;
        }
        return out;
    }

    private static long[] toLongs(Shape s) {
        return s.getShape();
    }
}
