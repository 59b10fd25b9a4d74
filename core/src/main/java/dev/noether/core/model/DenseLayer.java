package dev.noether.core.model;

import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * One linear layer of a {@link NetworkDescription}: {@code h_b = W h_a + b} with W of shape
 * outputs × inputs. A dense layer, or a convolution read as a dense layer over channels (METRICS.md §10):
 * outputs = C_out, inputs = C_in·∏k, W the weight (C_out, C_in, k…) flattened row-major, h_a an input
 * patch. It carries the activation and normalization the description found after it.
 */
public final class DenseLayer {
    private final int index;
    private final String name;
    private final int outputs;
    private final int inputs;
    private final boolean hasBias;
    private final Activation activation;
    private final Normalization normalization;
    private final LayerKind kind;
    private final int[] kernel;
    private final int gates;
    private final int hiddenStart;
    private final int hiddenColumns;

    DenseLayer(int index, String name, LayerKind kind, int outputs, int inputChannels, int[] kernel, boolean hasBias,
               Activation activation, Normalization normalization) {
        this(index, name, kind, outputs, inputChannels, kernel, hasBias, activation, normalization, 1, 0, 0);
    }

    DenseLayer(int index, String name, LayerKind kind, int outputs, int inputChannels, int[] kernel, boolean hasBias,
               Activation activation, Normalization normalization, int gates, int hiddenStart, int hiddenColumns) {
        this.gates = gates;
        this.hiddenStart = hiddenStart;
        this.hiddenColumns = hiddenColumns;
        this.index = index;
        this.name = Objects.requireNonNull(name, "name");
        this.kind = kind;
        this.kernel = kernel.clone();
        this.outputs = outputs;
        this.inputs = inputChannels * kernelSize(kernel);
        this.hasBias = hasBias;
        this.activation = activation;
        this.normalization = normalization;
    }

    /** Position among the dense layers of the description, from 0. */
    public int index() {
        return index;
    }

    /** The name used in the {@code layer} tag. */
    public String name() {
        return name;
    }

    /** m, the number of output neurons (rows of W). */
    public int outputs() {
        return outputs;
    }

    /** n, the number of inputs (columns of W): C_in·∏k for a convolution. */
    public int inputs() {
        return inputs;
    }

    /** Dense or which convolution. */
    public LayerKind kind() {
        return kind;
    }

    /** The spatial kernel dimensions (k_h, k_w, ...); empty for a dense layer. */
    public int[] kernel() {
        return kernel.clone();
    }

    /** ∏k, the columns of W per input channel (1 for a dense layer). */
    public int kernelSize() {
        return kernelSize(kernel);
    }

    /** C_in: n for a dense layer, n / ∏k for a convolution. */
    public int inputChannels() {
        return inputs / kernelSize();
    }

    /**
     * The engine's weight shape as text for the {@code shape} tag of {@code noether.layer.info}:
     * "120x400" (outputs x inputs) for dense, "16x6x5x5" (C_out x C_in x k...) for a convolution.
     */
    public String shape() {
        if (kernel.length == 0) {
            return outputs + "x" + inputs;
        }
        return outputs + "x" + inputChannels() + "x"
                + Arrays.stream(kernel).mapToObj(String::valueOf).collect(Collectors.joining("x"));
    }

    static int kernelSize(int[] kernel) {
        int k = 1;
        for (int d : kernel) {
            k *= d;
        }
        return k;
    }

    /**
     * The gate blocks of a recurrent layer (LSTM 4, GRU 3, simple RNN 1; 1 for any other layer): rows
     * {@code g·units() .. (g+1)·units() − 1} are gate g, and unit k owns row k of every block (METRICS.md §12).
     */
    public int gates() {
        return gates;
    }

    /** The recurrent units H = outputs / gates (the neurons of any other layer). */
    public int units() {
        return outputs / gates;
    }

    /** The first column of W that reads h_{t−1} (the columns {@code [hiddenStart, hiddenStart + units)}), or −1. */
    public int hiddenStart() {
        return hiddenColumns > 0 ? hiddenStart : -1;
    }

    /** True for a recurrent layer (LSTM, GRU, RNN), read over (sequence, time step) samples. */
    public boolean isRecurrent() {
        return kind.isRecurrent();
    }

    /** True for a weight outside the graph: only its weight metrics (METRICS.md §12). */
    public boolean isWeightOnly() {
        return kind.isWeightOnly();
    }

    public boolean hasBias() {
        return hasBias;
    }

    /** The activation applied to this layer's output; {@link Activation#IDENTITY} when there is none. */
    public Activation activation() {
        return activation;
    }

    /** The normalization applied to this layer's output, if any. */
    public Optional<Normalization> normalization() {
        return Optional.ofNullable(normalization);
    }

    /** True when a normalization follows, so the loss does not change when W is rescaled. */
    public boolean isScaleInvariant() {
        return normalization != null;
    }

    int weightCount() {
        return outputs * inputs;
    }

    @Override
    public String toString() {
        return name + "[" + (kind == LayerKind.DENSE ? "" : kind.tag() + " ") + shape() + (hasBias ? "+b" : "") + ", " + activation
                + (normalization == null ? "" : ", " + normalization) + "]";
    }
}
