package dev.noether.core.model;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The network as Noether sees it (METRICS.md §1, §10): a directed acyclic graph of linear layers (dense and
 * convolutions read as dense over channels), element-wise activations, channel-preserving ops (pooling,
 * padding, dropout, reshape), flattens, normalizations, merge vertices and unsupported nodes. From it
 * {@code core} derives which symmetries exist: each linear layer's unique consumer and how the consumer's
 * columns group by the layer's channels (u_i), which pairs carry a rescaling or rotation charge, which
 * layers are scale-invariant, the longest chain of linear layers, and which nodes are skipped and why.
 *
 * <p>Chain form: every method called without input names consumes the node added just before it.
 * <pre>{@code
 * NetworkDescription lenet = NetworkDescription.builder("lenet")
 *     .conv("c1", LayerKind.CONV2D, 6, 1, true, new int[] {5, 5}).activation(Activation.RELU)
 *     .op("p1", Op.MAX_POOL)
 *     .conv("c2", LayerKind.CONV2D, 16, 6, true, new int[] {5, 5}).activation(Activation.RELU)
 *     .op("p2", Op.MAX_POOL).flatten("flat", 16)            // 4x4 positions per channel
 *     .dense("fc1", 120, 256, true).activation(Activation.RELU)
 *     .dense("out", 10, 120, true)
 *     .build();
 * }</pre>
 * Graph form: name the inputs. {@value #INPUT} is the implicit graph input; others are declared with
 * {@link Builder#input(String)}. Nodes may be added in any order.
 * <pre>{@code
 * NetworkDescription.builder("block")
 *     .conv("a", LayerKind.CONV2D, 16, 16, false, new int[] {3, 3}, "input")
 *     .normalization("bnA", Normalization.BATCH_NORM, "a").activation("reluA", Activation.RELU, "bnA")
 *     .conv("b", LayerKind.CONV2D, 16, 16, false, new int[] {3, 3}, "reluA")
 *     .normalization("bnB", Normalization.BATCH_NORM, "b")
 *     .merge("add", Merge.ADD, "bnB", "input").activation("relu", Activation.RELU, "add")
 *     .build();
 * }</pre>
 *
 * Shapes are checked when the description is built (and, for a layer whose producer is already known,
 * when it is added): an {@link IllegalArgumentException} names the layers and the shapes that do not fit.
 * So do a cycle and an input name that is neither a node nor a declared graph input.
 */
public final class NetworkDescription {
    /** The name of the implicit graph input. */
    public static final String INPUT = "input";

    private final String model;
    private final List<DenseLayer> layers;
    private final List<SymmetryPair> pairs;
    private final List<UnsupportedLayer> unsupported;
    private final List<AttentionBlock> attention;
    private final DenseLayer[] consumer;
    private final ChannelGrouping[] grouping;
    private final List<DenseLayer> longestChain;
    private final boolean[] hidden;

    private NetworkDescription(String model, List<DenseLayer> layers, List<SymmetryPair> pairs,
                               List<UnsupportedLayer> unsupported, List<AttentionBlock> attention, DenseLayer[] consumer,
                               ChannelGrouping[] grouping, List<DenseLayer> longestChain, boolean[] hidden) {
        this.hidden = hidden;
        this.attention = List.copyOf(attention);
        this.model = model;
        this.layers = List.copyOf(layers);
        this.pairs = List.copyOf(pairs);
        this.unsupported = List.copyOf(unsupported);
        this.consumer = consumer;
        this.grouping = grouping;
        this.longestChain = List.copyOf(longestChain);
    }

    /** Starts a description of the model named {@code model} (the value of the {@code model} tag). */
    public static Builder builder(String model) {
        return new Builder(model);
    }

    public String model() {
        return model;
    }

    /**
     * The linear layers in the order they were added; {@link DenseLayer#index()} is the position in this
     * list, and snapshots and probes follow it.
     */
    public List<DenseLayer> layers() {
        return layers;
    }

    /** The layer pairs that carry a continuous symmetry. */
    public List<SymmetryPair> pairs() {
        return pairs;
    }

    /** The attention blocks (METRICS.md §12), whose projections are among {@link #layers()}, in the order declared. */
    public List<AttentionBlock> attention() {
        return attention;
    }

    /** Nodes the adapter could not map, with the reason, in the order they were added. */
    public List<UnsupportedLayer> unsupported() {
        return unsupported;
    }

    /**
     * The unique consumer of {@code layer}: the linear layer that alone reads its output through element-wise
     * ops (any activation, dropout, normalization), pooling, padding, flatten and reshape, with no fan-out,
     * merge or unsupported node between. Its column groups ({@link #grouping}) are the outgoing weights u_i
     * of {@code layer}'s channels. {@code null} for an output layer or where the graph does not say.
     */
    public DenseLayer next(DenseLayer layer) {
        return consumer[layer.index()];
    }

    /** How {@link #next}'s columns group by {@code layer}'s channels; {@code null} when there is no consumer. */
    public ChannelGrouping grouping(DenseLayer layer) {
        return grouping[layer.index()];
    }

    /**
     * True when another linear layer reads this layer's output, directly or through any nodes: a hidden layer
     * (METRICS.md §4), whose neuron correlations and inactive neurons are reported even without a unique
     * consumer (a conv feeding a residual add).
     */
    public boolean hidden(DenseLayer layer) {
        return hidden[layer.index()];
    }

    /**
     * The longest path of linear layers through the graph, in forward order (the first found on ties): the
     * chain {@code norm.imbalance} is taken along (METRICS.md §10). All layers for a chain.
     */
    public List<DenseLayer> longestChain() {
        return longestChain;
    }

    /** One line for logs: layers, pairs with their symmetry, scale-invariant and unsupported layers. */
    public String summary() {
        boolean allDense = layers.stream().allMatch(l -> l.kind() == LayerKind.DENSE);
        StringBuilder s = new StringBuilder(model).append(": ").append(layers.size())
                .append(allDense ? " dense layers " : " linear layers ")
                .append(layers).append("; pairs ").append(pairs);
        List<String> invariant = new ArrayList<>();
        for (DenseLayer l : layers) {
            if (l.isScaleInvariant()) {
                invariant.add(l.name());
            }
        }
        if (!invariant.isEmpty()) {
            s.append("; scale-invariant ").append(invariant);
        }
        if (!unsupported.isEmpty()) {
            s.append("; unsupported ").append(unsupported);
        }
        return s.toString();
    }

    @Override
    public String toString() {
        return summary();
    }

    private enum Type { LINEAR, ACTIVATION, OP, FLATTEN, NORMALIZATION, MERGE, UNSUPPORTED }

    /** One node while building; {@code inputs} are node names. */
    private static final class Node {
        final String name;
        final Type type;
        final List<String> inputs;
        // LINEAR
        LayerKind kind;
        int outputs;
        int inputChannels;
        int[] kernel;
        boolean hasBias;
        // a recurrent layer: its gate blocks and h_{t−1} columns; a barrier in the graph (no pairs across it)
        boolean recurrent;
        int gates = 1;
        int hiddenStart;
        int hiddenColumns;
        // ACTIVATION / OP / FLATTEN / NORMALIZATION / UNSUPPORTED
        Activation activation;
        Op op;
        int positions;
        Normalization normalization;
        String reason;

        Node(String name, Type type, List<String> inputs) {
            this.name = name;
            this.type = type;
            this.inputs = inputs;
        }

        int columns() {
            return inputChannels * DenseLayer.kernelSize(kernel);
        }

        String shape() {
            return outputs + "x" + columns();
        }

        /** Activations, pooling, flatten and normalization pass a channel through to the next layer. */
        boolean passesChannels() {
            return type == Type.ACTIVATION || type == Type.OP || type == Type.FLATTEN || type == Type.NORMALIZATION;
        }

        /** Commutes with a positive per-channel scale (METRICS.md §10). */
        boolean homogeneous() {
            return switch (type) {
                case ACTIVATION -> activation.isPositivelyHomogeneous();
                case OP, FLATTEN -> true;
                default -> false;
            };
        }
    }

    /**
     * Collects the nodes. Every method without input names consumes the node added just before it (the chain
     * form); with names, it reads those nodes. Not thread-safe; {@link #build()} returns an immutable value.
     */
    public static final class Builder {
        private final String model;
        /** Every node by its unique internal name, in the order added. */
        private final Map<String, Node> nodes = new LinkedHashMap<>();
        private final Set<String> graphInputs = new LinkedHashSet<>(List.of(INPUT));
        private final List<UnsupportedLayer> unsupported = new ArrayList<>();
        private final List<String[]> attention = new ArrayList<>();
        private final List<Integer> headSizes = new ArrayList<>();
        /** Weights outside the graph (METRICS.md §12), listed after the graph's linear layers. */
        private final Map<String, Node> weightOnly = new LinkedHashMap<>();
        private String last = INPUT;
        private int anonymous;

        private Builder(String model) {
            this.model = Objects.requireNonNull(model, "model");
        }

        /** Declares a graph input other than {@value NetworkDescription#INPUT}, for the graph form. */
        public Builder input(String name) {
            Objects.requireNonNull(name, "name");
            if (nodes.containsKey(name)) {
                throw new IllegalArgumentException("'" + name + "' is already a node; it cannot also be a graph input");
            }
            graphInputs.add(name);
            last = name;
            return this;
        }

        /** A dense layer with W of shape {@code outputs × inputs}; reads {@code inputNodes} or the previous node. */
        public Builder dense(String name, int outputs, int inputs, boolean hasBias, String... inputNodes) {
            return linear(name, LayerKind.DENSE, outputs, inputs, hasBias, new int[0], inputNodes);
        }

        /**
         * A convolution read as a dense layer over channels: W = (C_out, C_in, k...) flattened to
         * {@code outputChannels × inputChannels·∏kernel}. Only ungrouped convolutions in channels-first layout
         * fit this reading: an adapter reports grouped/depthwise ones as {@link #unsupported}.
         */
        public Builder conv(String name, LayerKind kind, int outputChannels, int inputChannels, boolean hasBias,
                            int[] kernel, String... inputNodes) {
            return linear(name, kind, outputChannels, inputChannels, hasBias, kernel, inputNodes);
        }

        /**
         * A linear layer of any kind: {@code outputs} = m, {@code inputChannels} = n for dense or C_in for a
         * convolution with the spatial {@code kernel} (its length = {@link LayerKind#spatialDims()}).
         */
        public Builder linear(String name, LayerKind kind, int outputs, int inputChannels, boolean hasBias,
                              int[] kernel, String... inputNodes) {
            if (kind != null && (kind.isRecurrent() || kind.isWeightOnly())) {
                throw new IllegalArgumentException("Layer '" + name + "' is " + kind.tag() + ": add it with "
                        + (kind.isRecurrent() ? "recurrent(...)" : "weightOnly(...)"));
            }
            return addLinear(linearNode(name, kind, outputs, inputChannels, hasBias, kernel, inputNodes));
        }

        private Node linearNode(String name, LayerKind kind, int outputs, int inputChannels, boolean hasBias,
                                int[] kernel, String... inputNodes) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(kernel, "kernel");
            if (kernel.length != kind.spatialDims()) {
                throw new IllegalArgumentException("Layer '" + name + "' is " + kind.tag() + " but has a kernel of "
                        + kernel.length + " dimensions " + Arrays.toString(kernel));
            }
            long columns = inputChannels;
            for (int k : kernel) {
                if (k <= 0) {
                    throw new IllegalArgumentException("Layer '" + name + "' has kernel " + Arrays.toString(kernel)
                            + "; every dimension must be positive");
                }
                columns *= k;
            }
            if (outputs <= 0 || inputChannels <= 0 || columns > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("Layer '" + name + "' has shape " + outputs + "x" + columns
                        + " (outputs x inputs); both must be positive");
            }
            Node n = new Node(name, Type.LINEAR, inputs(inputNodes));
            if (n.inputs.size() != 1) {
                throw new IllegalArgumentException("Layer '" + name + "' reads " + n.inputs + "; a linear layer reads one node");
            }
            n.kind = kind;
            n.outputs = outputs;
            n.inputChannels = inputChannels;
            n.kernel = kernel.clone();
            n.hasBias = hasBias;
            return n;
        }

        private Builder addLinear(Node n) {
            String name = n.name;
            Node existing = nodes.get(name);
            if (existing == null && weightOnly.containsKey(name)) {
                existing = weightOnly.get(name);
            }
            if (existing != null) {
                throw new IllegalArgumentException("Two " + (existing.type == Type.LINEAR ? "dense layers" : "nodes")
                        + " are named '" + name + "'; layer names must be unique (they become the 'layer' tag)");
            }
            add(n, true);
            Walk back = walkBack(n);
            if (back != null) {
                grouping(back.producer, back.path, n); // throws on a shape that does not fit
            }
            return this;
        }

        /**
         * A recurrent layer read as a dense layer over (sequence, time step) samples (METRICS.md §12):
         * W = [W_x W_h] of shape {@code gates·units × (inputColumns + hiddenColumns)}, h_a = [x_t; h_{t−1}], h_b the
         * gate pre-activations z_t. Rows are gate-major (gate g's block is rows {@code g·units ..}). A GRU is two
         * such layers, one with {@code hiddenColumns = 0} (W_x) and one with {@code inputColumns = 0} (W_h). The
         * layer gets every layer metric and its unit census; sigmoid/tanh gates carry no continuous symmetry, so it
         * is a barrier in the graph: no pair and no shape check across it. Reads {@code inputNodes} or the previous
         * node; its output is h_t (what the next node reads).
         */
        public Builder recurrent(String name, LayerKind kind, int units, int gates, int inputColumns, int hiddenColumns,
                                 boolean hasBias, String... inputNodes) {
            Objects.requireNonNull(kind, "kind");
            if (!kind.isRecurrent()) {
                throw new IllegalArgumentException("Layer '" + name + "' is " + kind.tag() + ", not a recurrent kind");
            }
            if (units <= 0 || gates <= 0 || inputColumns < 0 || hiddenColumns < 0 || inputColumns + hiddenColumns <= 0
                    || (hiddenColumns != 0 && hiddenColumns != units)) {
                throw new IllegalArgumentException("Recurrent layer '" + name + "' has " + units + " units, " + gates
                        + " gates, " + inputColumns + " input and " + hiddenColumns + " hidden columns; h_{t-1} has one "
                        + "column per unit");
            }
            Node n = linearNode(name, kind, Math.multiplyExact(units, gates), inputColumns + hiddenColumns, hasBias,
                    new int[0], inputNodes);
            n.recurrent = true;
            n.gates = gates;
            n.hiddenStart = inputColumns;
            n.hiddenColumns = hiddenColumns;
            return addLinear(n);
        }

        /**
         * A weight the adapter cannot place in the graph (an embedding, a custom or opaque block; METRICS.md §12),
         * as its matricization {@code rows × columns} (first dimension × the rest). It is no node of the graph
         * (the chain form's previous node stays what it was): it gets {@code layer.weight.norm},
         * {@code layer.update.ratio}, the effective and stable ranks and {@code layer.info{kind}}, nothing that needs
         * the graph or a probe. Weight-only layers come after every graph layer in {@link NetworkDescription#layers()}
         * and in the snapshots, in the order added. Name the block that holds it with {@link #unsupported} too
         * when the graph cannot pass through it.
         */
        public Builder weightOnly(String name, LayerKind kind, int rows, int columns) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(kind, "kind");
            if (!kind.isWeightOnly()) {
                throw new IllegalArgumentException("Layer '" + name + "' is " + kind.tag() + ", not a weight-only kind");
            }
            if (rows <= 0 || columns <= 0) {
                throw new IllegalArgumentException("Weight '" + name + "' has shape " + rows + "x" + columns
                        + "; both must be positive");
            }
            Node existing = nodes.get(name);
            if ((existing != null && existing.type == Type.LINEAR) || weightOnly.containsKey(name)) {
                throw new IllegalArgumentException("Two layers are named '" + name
                        + "'; layer names must be unique (they become the 'layer' tag)");
            }
            Node n = new Node(name, Type.LINEAR, List.of());
            n.kind = kind;
            n.outputs = rows;
            n.inputChannels = columns;
            n.kernel = new int[0];
            weightOnly.put(name, n);
            return this;
        }

        /**
         * An element-wise activation. Several in a row compose: the result is positively homogeneous only if all
         * are. An activation with no linear layer before it is harmless.
         */
        public Builder activation(Activation activation) {
            return activation(null, activation);
        }

        /** A named element-wise activation reading {@code inputNodes} or the previous node. */
        public Builder activation(String name, Activation activation, String... inputNodes) {
            Objects.requireNonNull(activation, "activation");
            Node n = new Node(nameOr(name, "activation"), Type.ACTIVATION, inputs(inputNodes));
            n.activation = activation;
            return add(single(n), name != null && inputNodes.length > 0);
        }

        /** A channel-preserving op (pooling, padding, dropout, reshape), reading {@code inputNodes} or the previous node. */
        public Builder op(String name, Op op, String... inputNodes) {
            Objects.requireNonNull(op, "op");
            Node n = new Node(nameOr(name, op.name().toLowerCase()), Type.OP, inputs(inputNodes));
            n.op = op;
            return add(single(n), inputNodes.length > 0);
        }

        /**
         * A channel-major (NCHW) flatten: the next dense layer's columns {@code i·positions + p} read channel i.
         * {@code positionsPerChannel} = spatial positions per channel (1 after global pooling), or 0 when the
         * adapter does not know them: they are then the dense layer's inputs over the channels.
         */
        public Builder flatten(String name, int positionsPerChannel, String... inputNodes) {
            if (positionsPerChannel < 0) {
                throw new IllegalArgumentException("Flatten '" + name + "' has " + positionsPerChannel + " positions");
            }
            Node n = new Node(nameOr(name, "flatten"), Type.FLATTEN, inputs(inputNodes));
            n.positions = positionsPerChannel;
            return add(single(n), inputNodes.length > 0);
        }

        /** A dropout layer: an element-wise positive mask, which keeps the rescaling symmetry. */
        public Builder dropout(String name) {
            return op(name, Op.DROPOUT);
        }

        /**
         * A normalization after the previous node. It makes the linear layer before it scale-invariant when only
         * positively homogeneous ops stand between them, and it breaks that layer's rescaling pair.
         */
        public Builder normalization(Normalization kind, String name) {
            return normalization(name, kind, new String[0]);
        }

        /** A named normalization (batch/layer norm, per channel) reading {@code inputNodes} or the previous node. */
        public Builder normalization(String name, Normalization kind, String... inputNodes) {
            Objects.requireNonNull(kind, "kind");
            Node n = new Node(nameOr(name, "normalization"), Type.NORMALIZATION, inputs(inputNodes));
            n.normalization = kind;
            return add(single(n), inputNodes.length > 0);
        }

        /** A merge vertex (residual add, channel concat) reading two or more nodes. */
        public Builder merge(String name, Merge merge, String... inputNodes) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(merge, "merge");
            if (inputNodes.length < 1) {
                throw new IllegalArgumentException("Merge '" + name + "' names no inputs");
            }
            return add(new Node(name, Type.MERGE, List.of(inputNodes)), true);
        }

        /**
         * A node Noether cannot model (LSTM, embedding, attention, a grouped convolution, anything unknown). It
         * is reported by name, breaks every pair across it and no shape is checked across it; the rest of the
         * graph is still analysed. Reads {@code inputNodes} or the previous node.
         */
        public Builder unsupported(String name, String reason, String... inputNodes) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(reason, "reason");
            unsupported.add(new UnsupportedLayer(name, reason));
            Node n = new Node(nodes.containsKey(name) || graphInputs.contains(name) ? fresh(name) : name,
                    Type.UNSUPPORTED, inputs(inputNodes));
            n.reason = reason;
            return add(n, false);
        }

        /**
         * Declares the dense layers {@code query}, {@code key}, {@code value} and {@code output} (added before or
         * after, by name) as the projections of the multi-head attention block {@code name} with heads of size
         * {@code headSize} (METRICS.md §12). The adapter also adds the node between them, a
         * {@link Merge#ATTENTION} reading Q, K and V that O reads. Checked when the description is built.
         */
        public Builder attention(String name, String query, String key, String value, String output, int headSize) {
            Objects.requireNonNull(name, "name");
            attention.add(new String[] {name, Objects.requireNonNull(query, "query"), Objects.requireNonNull(key, "key"),
                    Objects.requireNonNull(value, "value"), Objects.requireNonNull(output, "output")});
            headSizes.add(headSize);
            return this;
        }

        public NetworkDescription build() {
            for (Node n : nodes.values()) {
                for (String in : n.inputs) {
                    if (!nodes.containsKey(in) && !graphInputs.contains(in)) {
                        throw new IllegalArgumentException("Node '" + n.name + "' reads '" + in
                                + "', which is neither a node nor a graph input " + graphInputs);
                    }
                }
            }
            List<Node> order = topologicalOrder();
            Map<String, List<Node>> readers = new HashMap<>();
            for (Node n : nodes.values()) {
                for (String in : n.inputs) {
                    readers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
                }
            }
            List<Node> linear = new ArrayList<>(nodes.values().stream().filter(n -> n.type == Type.LINEAR).toList());
            int graphLinear = linear.size();
            linear.addAll(weightOnly.values());
            Map<String, Integer> indexOf = new HashMap<>();
            for (int i = 0; i < linear.size(); i++) {
                indexOf.put(linear.get(i).name, i);
            }
            List<DenseLayer> layers = new ArrayList<>();
            List<Walk> walks = new ArrayList<>();
            for (int i = 0; i < linear.size(); i++) {
                Node n = linear.get(i);
                if (i >= graphLinear) { // weight-only: outside the graph
                    walks.add(new Walk(n, List.of(), null));
                    layers.add(new DenseLayer(i, n.name, n.kind, n.outputs, n.inputChannels, n.kernel, false,
                            Activation.IDENTITY, null));
                    continue;
                }
                Walk walk = walkForward(n, readers);
                walks.add(walk);
                layers.add(new DenseLayer(i, n.name, n.kind, n.outputs, n.inputChannels, n.kernel, n.hasBias,
                        n.recurrent ? Activation.IDENTITY : composedActivation(walk.path),
                        n.recurrent ? null : scaleInvariance(n, readers), n.gates, n.hiddenStart, n.hiddenColumns));
            }
            DenseLayer[] consumer = new DenseLayer[layers.size()];
            ChannelGrouping[] grouping = new ChannelGrouping[layers.size()];
            List<SymmetryPair> pairs = new ArrayList<>();
            for (int i = 0; i < linear.size(); i++) {
                Walk walk = walks.get(i);
                if (walk.consumer == null) {
                    continue;
                }
                Node first = linear.get(i);
                ChannelGrouping g = grouping(first, walk.path, walk.consumer);
                DenseLayer next = layers.get(indexOf.get(walk.consumer.name));
                consumer[i] = next;
                grouping[i] = g;
                if (walk.path.stream().allMatch(Node::homogeneous)) {
                    boolean rotation = first.kind == LayerKind.DENSE && walk.consumer.kind == LayerKind.DENSE
                            && !first.hasBias && walk.path.stream().allMatch(p ->
                            (p.type == Type.ACTIVATION && p.activation == Activation.IDENTITY)
                                    || (p.type == Type.FLATTEN && g.positions() == 1));
                    pairs.add(new SymmetryPair(layers.get(i), next, rotation ? Symmetry.ROTATION : Symmetry.RESCALING, g));
                }
            }
            boolean[] hidden = new boolean[layers.size()];
            for (int i = 0; i < graphLinear; i++) {
                hidden[i] = linear.get(i).recurrent; // its gates feed h_t, which the layer itself reads at t + 1
            }
            Map<String, Boolean> feedsLinear = new HashMap<>();
            for (int k = order.size() - 1; k >= 0; k--) { // reverse topological order: readers first
                Node n = order.get(k);
                boolean feeds = false;
                for (Node r : readers.getOrDefault(n.name, List.of())) {
                    feeds |= r.type == Type.LINEAR || feedsLinear.get(r.name);
                }
                feedsLinear.put(n.name, feeds);
                if (n.type == Type.LINEAR) {
                    hidden[indexOf.get(n.name)] |= feeds;
                }
            }
            List<AttentionBlock> blocks = new ArrayList<>();
            for (int b = 0; b < attention.size(); b++) {
                String[] names = attention.get(b);
                DenseLayer[] projections = new DenseLayer[4];
                for (int k = 0; k < 4; k++) {
                    Integer at = indexOf.get(names[k + 1]);
                    if (at == null) {
                        throw new IllegalArgumentException("Attention block '" + names[0] + "' names '" + names[k + 1]
                                + "', which is not a dense layer of '" + model + "'");
                    }
                    projections[k] = layers.get(at);
                }
                blocks.add(new AttentionBlock(names[0], projections[0], projections[1], projections[2], projections[3],
                        headSizes.get(b)));
            }
            return new NetworkDescription(model, layers, pairs, unsupported, blocks, consumer, grouping,
                    longestChain(order, layers, indexOf), hidden);
        }

        // ---- structure

        /** The path from a linear layer to its unique consumer (or as far as a single reader goes). */
        private record Walk(Node producer, List<Node> path, Node consumer) {
        }

        private static Walk walkForward(Node layer, Map<String, List<Node>> readers) {
            List<Node> path = new ArrayList<>();
            if (layer.recurrent) {
                return new Walk(layer, path, null); // its output is h_t, not its gate rows: no consumer's u_i
            }
            Node cur = layer;
            Set<String> seen = new HashSet<>();
            while (seen.add(cur.name)) {
                List<Node> r = readers.getOrDefault(cur.name, List.of());
                if (r.size() != 1) {
                    return new Walk(layer, path, null);
                }
                Node c = r.get(0);
                if (c.type == Type.LINEAR) {
                    return new Walk(layer, path, c.recurrent ? null : c);
                }
                if (!c.passesChannels()) {
                    return new Walk(layer, path, null);
                }
                path.add(c);
                cur = c;
            }
            return new Walk(layer, path, null);
        }

        /** The producer of a just-added layer when it is already known (chain form), for the early shape check. */
        private Walk walkBack(Node layer) {
            Deque<Node> path = new ArrayDeque<>();
            Node cur = nodes.get(layer.inputs.get(0));
            while (cur != null && cur.passesChannels() && cur.inputs.size() == 1 && path.size() <= nodes.size()) {
                path.addFirst(cur);
                cur = nodes.get(cur.inputs.get(0));
            }
            return cur != null && cur.type == Type.LINEAR && !cur.recurrent && !layer.recurrent
                    ? new Walk(cur, new ArrayList<>(path), layer) : null;
        }

        /** u_i grouping of {@code consumer}'s columns by {@code producer}'s channels; throws when shapes do not fit. */
        private static ChannelGrouping grouping(Node producer, List<Node> path, Node consumer) {
            int m = producer.outputs;
            int n = consumer.columns();
            if (consumer.kind.isConvolution()) {
                if (consumer.inputChannels != m) {
                    throw new IllegalArgumentException("Layer '" + consumer.name + "' reads " + consumer.inputChannels
                            + " channels (shape " + consumer.outputs + "x" + consumer.inputChannels + "x"
                            + Arrays.toString(consumer.kernel) + ") but the layer before it, '" + producer.name
                            + "', has " + m + " output channels (shape " + producer.shape() + ")");
                }
                return new ChannelGrouping(m, DenseLayer.kernelSize(consumer.kernel));
            }
            int positions = 1;
            boolean derived = false;
            for (Node p : path) {
                if (p.type == Type.FLATTEN && p.positions > 0) {
                    positions = p.positions;
                    derived = false;
                } else if ((p.type == Type.FLATTEN && p.positions == 0) || (p.type == Type.OP && p.op == Op.RESHAPE)) {
                    derived = true;
                }
            }
            if (derived && n % m == 0) {
                positions = n / m;
            }
            if ((long) m * positions != n) {
                throw new IllegalArgumentException("Layer '" + consumer.name + "' takes " + n + " inputs (shape "
                        + consumer.shape() + ") but the layer before it, '" + producer.name + "', has " + m
                        + " outputs (shape " + producer.shape() + ")"
                        + (positions > 1 || derived ? " x " + (derived ? "?" : positions) + " positions per channel" : ""));
            }
            return new ChannelGrouping(m, positions);
        }

        /** The activation after a layer: the first non-homogeneous one on its path, else the last non-identity. */
        private static Activation composedActivation(List<Node> path) {
            Activation a = Activation.IDENTITY;
            for (Node p : path) {
                if (p.type != Type.ACTIVATION || p.activation == Activation.IDENTITY) {
                    continue;
                }
                if (a == Activation.IDENTITY || (a.isPositivelyHomogeneous() && !p.activation.isPositivelyHomogeneous())) {
                    a = p.activation;
                }
            }
            return a;
        }

        /** The normalization the layer's output reaches through only homogeneous single-reader ops, or null. */
        private static Normalization scaleInvariance(Node layer, Map<String, List<Node>> readers) {
            Node cur = layer;
            Set<String> seen = new HashSet<>();
            while (seen.add(cur.name)) {
                List<Node> r = readers.getOrDefault(cur.name, List.of());
                if (r.size() != 1) {
                    return null;
                }
                Node c = r.get(0);
                if (c.type == Type.NORMALIZATION) {
                    return c.normalization;
                }
                if (!c.homogeneous()) {
                    return null;
                }
                cur = c;
            }
            return null;
        }

        /** Kahn's algorithm; a cycle throws naming the nodes on it or behind it. */
        private List<Node> topologicalOrder() {
            Map<String, Integer> pending = new HashMap<>();
            Map<String, List<Node>> readers = new HashMap<>();
            Deque<Node> ready = new ArrayDeque<>();
            for (Node n : nodes.values()) {
                int internal = 0;
                for (String in : n.inputs) {
                    if (nodes.containsKey(in)) {
                        internal++;
                        readers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
                    }
                }
                pending.put(n.name, internal);
                if (internal == 0) {
                    ready.add(n);
                }
            }
            List<Node> order = new ArrayList<>();
            while (!ready.isEmpty()) {
                Node n = ready.poll();
                order.add(n);
                for (Node r : readers.getOrDefault(n.name, List.of())) {
                    if (pending.merge(r.name, -1, Integer::sum) == 0) {
                        ready.add(r);
                    }
                }
            }
            if (order.size() < nodes.size()) {
                List<String> cyclic = nodes.keySet().stream().filter(k -> pending.get(k) > 0).toList();
                throw new IllegalArgumentException("The graph of '" + model + "' has a cycle through " + cyclic);
            }
            return order;
        }

        private static List<DenseLayer> longestChain(List<Node> order, List<DenseLayer> layers, Map<String, Integer> indexOf) {
            Map<String, Integer> length = new HashMap<>();
            Map<String, String> lastLinear = new HashMap<>(); // the chain's last linear layer reaching this node
            Map<String, String> previous = new HashMap<>();   // linear layer -> the one before it on its chain
            for (Node n : order) {
                int best = 0;
                String bestLast = null;
                for (String in : n.inputs) {
                    int l = length.getOrDefault(in, 0);
                    if (l > best) {
                        best = l;
                        bestLast = lastLinear.get(in);
                    }
                }
                if (n.type == Type.LINEAR && !n.recurrent) {
                    previous.put(n.name, bestLast);
                    best++;
                    bestLast = n.name;
                }
                length.put(n.name, best);
                lastLinear.put(n.name, bestLast);
            }
            String end = null;
            int best = 0;
            for (Node n : order) {
                if (n.type == Type.LINEAR && !n.recurrent && length.get(n.name) > best) {
                    best = length.get(n.name);
                    end = n.name;
                }
            }
            List<DenseLayer> chain = new ArrayList<>();
            for (String at = end; at != null; at = previous.get(at)) {
                chain.add(0, layers.get(indexOf.get(at)));
            }
            return chain;
        }

        // ---- bookkeeping

        private List<String> inputs(String[] inputNodes) {
            for (String s : inputNodes) {
                Objects.requireNonNull(s, "input node name");
            }
            return inputNodes.length == 0 ? List.of(last) : List.of(inputNodes);
        }

        private static Node single(Node n) {
            if (n.inputs.size() != 1) {
                throw new IllegalArgumentException("Node '" + n.name + "' reads " + n.inputs + "; it reads one node");
            }
            return n;
        }

        /** Graph-form names must be unique; chain-form helper nodes get a fresh name when theirs is taken. */
        private Builder add(Node n, boolean strictName) {
            String name = n.name;
            if (nodes.containsKey(name) || graphInputs.contains(name)) {
                if (strictName) {
                    throw new IllegalArgumentException("Two nodes are named '" + name + "'; node names must be unique");
                }
                Node renamed = copyAs(n, fresh(name));
                nodes.put(renamed.name, renamed);
                last = renamed.name;
                return this;
            }
            nodes.put(name, n);
            last = name;
            return this;
        }

        private static Node copyAs(Node n, String name) {
            Node c = new Node(name, n.type, n.inputs);
            c.kind = n.kind;
            c.outputs = n.outputs;
            c.inputChannels = n.inputChannels;
            c.kernel = n.kernel;
            c.hasBias = n.hasBias;
            c.recurrent = n.recurrent;
            c.gates = n.gates;
            c.hiddenStart = n.hiddenStart;
            c.hiddenColumns = n.hiddenColumns;
            c.activation = n.activation;
            c.op = n.op;
            c.positions = n.positions;
            c.normalization = n.normalization;
            c.reason = n.reason;
            return c;
        }

        private String nameOr(String name, String kind) {
            return name != null ? name : fresh(last + "/" + kind);
        }

        private String fresh(String base) {
            String name;
            do {
                name = base + "#" + (++anonymous);
            } while (nodes.containsKey(name) || graphInputs.contains(name));
            return name;
        }
    }
}
