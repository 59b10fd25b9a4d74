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
import ai.djl.nn.core.AbstractEmbedding;
import ai.djl.nn.core.Linear;
import ai.djl.nn.core.Prelu;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.nn.recurrent.RecurrentBlock;
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
    private List<MappedNetwork.DenseParameters> weightOnly;

    /** @param manager where the activation and join recognizers may run a lambda once on a small test array */
    DjlNetworkMapper(NDManager manager) {
        this.manager = manager;
    }

    MappedNetwork map(String model, Block root) {
        description = NetworkDescription.builder(model);
        dense = new ArrayList<>();
        weightOnly = new ArrayList<>();
        Shape input = null;
        try {
            Shape[] shapes = root.getInputShapes();
            input = shapes != null && shapes.length == 1 ? shapes[0] : null;
        } catch (RuntimeException notInitialized) {
            // shapes only help to count flatten positions; the graph is described without them
        }
        Mapped top = map(root.getClass().getSimpleName(), root, NetworkDescription.INPUT, input, true);
        List<MappedNetwork.DenseParameters> all = new ArrayList<>(dense);
        all.addAll(weightOnly); // core lists weight-only layers after the graph's
        return new MappedNetwork(description.build(), List.copyOf(all), top.step);
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
        if (block instanceof RecurrentBlock recurrent) {
            return recurrent(name, recurrent, input, out);
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

    /** A recurrent direction and layer of a {@link RecurrentBlock}: its i2h and h2h weights. */
    private record Cell(String key, Parameter i2h, Parameter h2h) {}

    /**
     * DJL's LSTM, GRU and RNN as recurrent layers over (sequence, time step) samples (METRICS.md §12): per layer
     * and direction ({@code l_0_...}, {@code r_0_...} when bidirectional) W = [W_i2h W_h2h]; a GRU is two layers
     * (its candidate gate reads r ⊙ (W_hn h)): {@code _x} (W_i2h) and {@code _h} (W_h2h). Biases (DJL keeps two,
     * i2h and h2h) are left out: the census and ranks read W. The probe writes a single-layer, unidirectional cell
     * out ({@link RecurrentProbe}) and measures its layers over (sequence, step) samples.
     */
    private Mapped recurrent(String name, RecurrentBlock block, String input, Shape out) {
        Map<String, Parameter[]> cells = new java.util.LinkedHashMap<>();
        for (Pair<String, Parameter> p : block.getDirectParameters()) {
            String[] part = p.getKey().split("_");
            if (part.length != 4 || !(part[2].equals("i2h") || part[2].equals("h2h"))) {
                return unsupported(name, block, input, block.getClass().getSimpleName() + " parameter '" + p.getKey()
                        + "' is not DJL's {l|r}_<layer>_{i2h|h2h}_{WEIGHT|BIAS}");
            }
            if (part[3].equals("WEIGHT")) {
                cells.computeIfAbsent(part[0] + "_" + part[1], k -> new Parameter[2])[part[2].equals("i2h") ? 0 : 1] =
                        p.getValue();
            }
        }
        List<Cell> list = new ArrayList<>();
        for (Map.Entry<String, Parameter[]> e : cells.entrySet()) {
            if (e.getValue()[0] == null || e.getValue()[1] == null) {
                return unsupported(name, block, input, "recurrent cell " + e.getKey() + " lacks its i2h or h2h weight");
            }
            list.add(new Cell(e.getKey(), e.getValue()[0], e.getValue()[1]));
        }
        LayerKind kind = block instanceof ai.djl.nn.recurrent.LSTM ? LayerKind.LSTM
                : block instanceof ai.djl.nn.recurrent.GRU ? LayerKind.GRU : LayerKind.RNN;
        String node = input;
        for (Cell c : list) {
            String layer = list.size() == 1 ? name : name + "_" + c.key;
            Shape x = c.i2h.getArray().getShape();
            Shape h = c.h2h.getArray().getShape();
            int units = Math.toIntExact(h.get(1));
            int rows = Math.toIntExact(x.get(0));
            int gates = rows / units;
            int nIn = Math.toIntExact(x.get(1));
            // every cell reads the block's input: the cells are barriers in the graph, so their wiring has no effect
            if (kind == LayerKind.GRU) {
                description.recurrent(layer + "_x", kind, units, gates, nIn, 0, false, input);
                dense.add(new MappedNetwork.DenseParameters(layer + "_x", c.i2h, null));
                description.recurrent(layer + "_h", kind, units, gates, 0, units, false, layer + "_x");
                dense.add(new MappedNetwork.DenseParameters(layer + "_h", c.h2h, null));
                node = layer + "_h";
            } else {
                description.recurrent(layer, kind, units, gates, nIn, units, false, input);
                dense.add(new MappedNetwork.DenseParameters(layer, c.i2h, null, c.h2h));
                node = layer;
            }
        }
        return new Mapped(node, new MappedNetwork.Leaf(name, block, MappedNetwork.Role.OPAQUE, -1, null), out);
    }

    private Mapped linearLeaf(String name, Block block, Parameter weight, Parameter bias,
                              MappedNetwork.ConvGeometry geometry, Shape out) {
        MappedNetwork.Leaf leaf = new MappedNetwork.Leaf(name, block, MappedNetwork.Role.LINEAR, dense.size(), geometry);
        dense.add(new MappedNetwork.DenseParameters(name, weight, bias));
        return new Mapped(name, leaf, out);
    }

    /**
     * A block Noether cannot read as a whole: named once with the reason, run whole by the probe, and still
     * measured inside (METRICS.md §12). Its children are mapped on their own ({@link #children}), and every
     * weight of rank ≥ 2 it holds directly becomes a weight-only layer ({@link #weightOnly}). A weight is
     * <em>claimed</em> by the mapping of the block that holds it directly (a Linear, a convolution, a recurrent
     * block...): map a new block kind before this fallback and its weights leave the weight-only path.
     */
    private Mapped unsupported(String name, Block block, String input, String reason) {
        List<String> weights = weightOnly(name, block);
        int children = children(name, block);
        String full = reason
                + (children > 0 ? "; its " + children + " children are mapped on their own, no pairs across it" : "")
                + (weights.isEmpty() ? "" : "; weight metrics only for " + String.join(", ", weights));
        description.unsupported(name, full, input);
        return leaf(name, block, MappedNetwork.Role.OPAQUE, null);
    }

    /** The weights of rank ≥ 2 that {@code block} holds itself, as weight-only layers; returns their layer names. */
    private List<String> weightOnly(String name, Block block) {
        List<Pair<String, Parameter>> matrices = new ArrayList<>();
        for (Pair<String, Parameter> p : block.getDirectParameters()) {
            Parameter param = p.getValue();
            if (param.isInitialized() && param.getArray().getShape().dimension() >= 2) {
                matrices.add(p);
            }
        }
        LayerKind kind = block instanceof AbstractEmbedding<?> ? LayerKind.EMBEDDING : LayerKind.OTHER;
        List<String> names = new ArrayList<>();
        for (Pair<String, Parameter> p : matrices) {
            String layer = matrices.size() == 1 ? name : name + "_" + p.getKey();
            Shape shape = p.getValue().getArray().getShape();
            int rows = Math.toIntExact(shape.get(0));
            description.weightOnly(layer, kind, rows, Math.toIntExact(shape.size() / rows)); // first dim × the rest
            weightOnly.add(new MappedNetwork.DenseParameters(layer, p.getValue(), null));
            names.add(layer);
        }
        return names;
    }

    /**
     * Maps each child of a block whose own forward Noether cannot read as a graph of its own, reading an input of
     * its own (no pair crosses the parent's boundary); the probe runs the parent whole, so these layers get
     * step-tier and weight analyses but no probe moments. Returns the number of children.
     */
    private int children(String name, Block block) {
        int count = 0;
        for (Pair<String, Block> child : block.getChildren()) {
            String in = name + "_" + child.getKey() + "/input";
            description.input(in);
            map(name + "_" + child.getKey(), child.getValue(), in, null, false);
            count++;
        }
        return count;
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
