package dev.noether.core.model;

import java.util.Locale;

/**
 * What a linear layer is in the engine (METRICS.md §10). A convolution is read as a dense layer over
 * channels: W (C_out × C_in·∏k) is its weight (C_out, C_in, k…) flattened row-major, neuron i = output
 * channel i. Transposed convolutions store (C_in, C_out, k…) and are not this reading: adapters report them
 * as unsupported.
 */
public enum LayerKind {
    DENSE(0),
    CONV1D(1),
    CONV2D(2),
    CONV3D(3);

    private final int spatialDims;

    LayerKind(int spatialDims) {
        this.spatialDims = spatialDims;
    }

    /** Number of kernel dimensions: 0 for dense, 1–3 for convolutions. */
    public int spatialDims() {
        return spatialDims;
    }

    /** True for the convolutions. */
    public boolean isConvolution() {
        return spatialDims > 0;
    }

    /** The value of the {@code kind} tag of {@code noether.layer.info} ("dense", "conv2d", ...). */
    public String tag() {
        return name().toLowerCase(Locale.ROOT);
    }
}
