package dev.noether.core.model;

import java.util.Locale;

/**
 * What a layer with a weight matrix is in the engine (METRICS.md §10, §12). A convolution is read as a dense
 * layer over channels: W (C_out × C_in·∏k) is its weight (C_out, C_in, k…) flattened row-major, neuron i =
 * output channel i. Transposed convolutions store (C_in, C_out, k…) and are not this reading: adapters report
 * them as unsupported.
 *
 * <p>A {@linkplain #isRecurrent() recurrent} layer is a dense layer over (sequence, time step) samples with
 * W = [W_x W_h] (gates·H rows); a {@linkplain #isWeightOnly() weight-only} one is a weight the adapter could not
 * place in the graph (an embedding, a custom or opaque block): it gets the weight's own metrics and nothing
 * that needs the graph or a probe (METRICS.md §12).
 */
public enum LayerKind {
    DENSE(0, Form.LINEAR),
    CONV1D(1, Form.LINEAR),
    CONV2D(2, Form.LINEAR),
    CONV3D(3, Form.LINEAR),
    /** Long short-term memory: 4 gate blocks. */
    LSTM(0, Form.RECURRENT),
    /** Gated recurrent unit: 3 gate blocks, described as two layers (W_x and W_h, METRICS.md §12). */
    GRU(0, Form.RECURRENT),
    /** A simple (Elman) recurrent layer: one block. */
    RNN(0, Form.RECURRENT),
    /** An embedding table (rows = tokens): weight-only. */
    EMBEDDING(0, Form.WEIGHT_ONLY),
    /** Any other weight the adapter cannot place: weight-only. */
    OTHER(0, Form.WEIGHT_ONLY);

    private enum Form { LINEAR, RECURRENT, WEIGHT_ONLY }

    private final int spatialDims;
    private final Form form;

    LayerKind(int spatialDims, Form form) {
        this.spatialDims = spatialDims;
        this.form = form;
    }

    /** Number of kernel dimensions: 0 for dense, recurrent and weight-only, 1–3 for convolutions. */
    public int spatialDims() {
        return spatialDims;
    }

    /** True for the convolutions. */
    public boolean isConvolution() {
        return spatialDims > 0;
    }

    /** True for LSTM, GRU and simple RNN layers. */
    public boolean isRecurrent() {
        return form == Form.RECURRENT;
    }

    /** True for a weight outside the graph ({@link #EMBEDDING}, {@link #OTHER}): weight metrics only. */
    public boolean isWeightOnly() {
        return form == Form.WEIGHT_ONLY;
    }

    /** The value of the {@code kind} tag of {@code noether.layer.info} ("dense", "conv2d", "lstm", "embedding"...). */
    public String tag() {
        return name().toLowerCase(Locale.ROOT);
    }
}
