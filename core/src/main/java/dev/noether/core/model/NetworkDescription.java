package dev.noether.core.model;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The network as Noether sees it: a chain of dense layers with the activations, normalizations and
 * unsupported layers between them, in forward order. From it {@code core} decides which symmetries exist
 * (METRICS.md §1): which consecutive pairs carry a rescaling or rotation charge, which layers are
 * scale-invariant, and which layers are skipped and why.
 *
 * <pre>{@code
 * NetworkDescription net = NetworkDescription.builder("mlp")
 *     .dense("fc1", 256, 784, true).activation(Activation.RELU)
 *     .dense("fc2", 256, 256, true).activation(Activation.RELU)
 *     .dense("out", 10, 256, true)
 *     .build();
 * }</pre>
 *
 * Shapes are checked when the description is built: an {@link IllegalArgumentException} names the layers
 * and the shapes that do not fit.
 */
public final class NetworkDescription {
    private final String model;
    private final List<DenseLayer> layers;
    private final List<SymmetryPair> pairs;
    private final List<UnsupportedLayer> unsupported;

    private final boolean[] chainedToNext;

    private NetworkDescription(String model, List<DenseLayer> layers, List<SymmetryPair> pairs,
                               List<UnsupportedLayer> unsupported, boolean[] chainedToNext) {
        this.model = model;
        this.chainedToNext = chainedToNext;
        this.layers = List.copyOf(layers);
        this.pairs = List.copyOf(pairs);
        this.unsupported = List.copyOf(unsupported);
    }

    /** Starts a description of the model named {@code model} (the value of the {@code model} tag). */
    public static Builder builder(String model) {
        return new Builder(model);
    }

    public String model() {
        return model;
    }

    /** The dense layers in forward order; {@link DenseLayer#index()} is the position in this list. */
    public List<DenseLayer> layers() {
        return layers;
    }

    /** The consecutive layer pairs that carry a continuous symmetry. */
    public List<SymmetryPair> pairs() {
        return pairs;
    }

    /** Layers the adapter could not map, with the reason. */
    public List<UnsupportedLayer> unsupported() {
        return unsupported;
    }

    /**
     * The dense layer after {@code layer} in an unbroken chain (no unsupported layer between), whose
     * columns are the outgoing weights u_i of {@code layer}'s neurons; {@code null} for the last layer.
     */
    public DenseLayer next(DenseLayer layer) {
        return layer.index() + 1 < layers.size() && chainedToNext[layer.index()] ? layers.get(layer.index() + 1) : null;
    }

    /** One line for logs: layers, pairs with their symmetry, scale-invariant and unsupported layers. */
    public String summary() {
        StringBuilder s = new StringBuilder(model).append(": ").append(layers.size()).append(" dense layers ")
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

    /** Collects the chain in forward order. Not thread-safe; {@link #build()} returns an immutable value. */
    public static final class Builder {
        private final String model;
        private final List<Pending> dense = new ArrayList<>();
        private final List<UnsupportedLayer> unsupported = new ArrayList<>();
        private boolean brokenSinceLastDense;

        private Builder(String model) {
            this.model = Objects.requireNonNull(model, "model");
        }

        /** A dense layer with W of shape {@code outputs × inputs}, in forward order. */
        public Builder dense(String name, int outputs, int inputs, boolean hasBias) {
            Objects.requireNonNull(name, "name");
            if (outputs <= 0 || inputs <= 0) {
                throw new IllegalArgumentException("Layer '" + name + "' has shape " + outputs + "x" + inputs
                        + " (outputs x inputs); both must be positive");
            }
            if (!dense.isEmpty()) {
                Pending previous = dense.get(dense.size() - 1);
                previous.chainedToNext = !brokenSinceLastDense;
                if (previous.chainedToNext && previous.outputs != inputs) {
                    throw new IllegalArgumentException("Layer '" + name + "' takes " + inputs + " inputs (shape "
                            + outputs + "x" + inputs + ") but the layer before it, '" + previous.name + "', has "
                            + previous.outputs + " outputs (shape " + previous.outputs + "x" + previous.inputs + ")");
                }
            }
            dense.add(new Pending(name, outputs, inputs, hasBias));
            brokenSinceLastDense = false;
            return this;
        }

        /**
         * The element-wise activation after the last dense layer. Several in a row compose: the result is
         * positively homogeneous only if all are. An activation before the first dense layer is ignored.
         */
        public Builder activation(Activation activation) {
            Objects.requireNonNull(activation, "activation");
            Pending last = last();
            if (last != null && activation != Activation.IDENTITY) {
                // The composition is homogeneous only if every part is; keep the one that decides that.
                if (last.activation == Activation.IDENTITY
                        || (last.activation.isPositivelyHomogeneous() && !activation.isPositivelyHomogeneous())) {
                    last.activation = activation;
                }
            }
            return this;
        }

        /**
         * A normalization after the last dense layer. It makes that layer scale-invariant when only positively
         * homogeneous activations stand between them, and it breaks the rescaling pair with the next layer.
         */
        public Builder normalization(Normalization kind, String name) {
            Objects.requireNonNull(kind, "kind");
            Pending last = last();
            if (last != null) {
                if (last.activation.isPositivelyHomogeneous() && !last.pairBroken) {
                    last.normalization = kind;
                }
                last.pairBroken = true;
            }
            return this;
        }

        /** A dropout layer: an element-wise positive mask, which keeps every symmetry; recorded for clarity. */
        public Builder dropout(String name) {
            return this;
        }

        /**
         * A layer Noether cannot model (convolution, embedding, attention, anything unknown). It is reported
         * by name, and no pair or shape check is made across it.
         */
        public Builder unsupported(String name, String reason) {
            unsupported.add(new UnsupportedLayer(name, reason));
            brokenSinceLastDense = true;
            Pending last = last();
            if (last != null) {
                last.pairBroken = true;
            }
            return this;
        }

        public NetworkDescription build() {
            Set<String> names = new HashSet<>();
            List<DenseLayer> layers = new ArrayList<>();
            for (int i = 0; i < dense.size(); i++) {
                Pending p = dense.get(i);
                if (!names.add(p.name)) {
                    throw new IllegalArgumentException("Two dense layers are named '" + p.name
                            + "'; layer names must be unique (they become the 'layer' tag)");
                }
                layers.add(new DenseLayer(i, p.name, p.outputs, p.inputs, p.hasBias, p.activation, p.normalization));
            }
            List<SymmetryPair> pairs = new ArrayList<>();
            boolean[] chained = new boolean[layers.size()];
            for (int i = 0; i + 1 < layers.size(); i++) {
                Pending p = dense.get(i);
                chained[i] = p.chainedToNext;
                if (!p.chainedToNext || p.pairBroken || !p.activation.isPositivelyHomogeneous()) {
                    continue;
                }
                DenseLayer first = layers.get(i);
                Symmetry symmetry = p.activation == Activation.IDENTITY && !p.hasBias ? Symmetry.ROTATION : Symmetry.RESCALING;
                pairs.add(new SymmetryPair(first, layers.get(i + 1), symmetry));
            }
            return new NetworkDescription(model, layers, pairs, unsupported, chained);
        }

        private Pending last() {
            return dense.isEmpty() || brokenSinceLastDense ? null : dense.get(dense.size() - 1);
        }
    }

    private static final class Pending {
        final String name;
        final int outputs;
        final int inputs;
        final boolean hasBias;
        Activation activation = Activation.IDENTITY;
        Normalization normalization;
        boolean chainedToNext;
        boolean pairBroken;

        Pending(String name, int outputs, int inputs, boolean hasBias) {
            this.name = name;
            this.outputs = outputs;
            this.inputs = inputs;
            this.hasBias = hasBias;
        }
    }
}
