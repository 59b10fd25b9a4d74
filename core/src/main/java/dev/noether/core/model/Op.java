package dev.noether.core.model;

/**
 * Channel-preserving operations between layers that commute with a positive per-channel scale (METRICS.md
 * §10): channel i of the layer before is rescaled by λ &gt; 0 and the op's output channel i is rescaled by
 * λ, so a rescaling pair exists across them. Channels keep their order and their contiguous NCHW layout.
 */
public enum Op {
    /** Max pooling over a window: max(λx) = λ max(x) for λ &gt; 0. */
    MAX_POOL,
    /** Average pooling over a window (linear). */
    AVG_POOL,
    /** Global max pooling: one value per channel. */
    GLOBAL_MAX_POOL,
    /** Global average pooling: one value per channel. */
    GLOBAL_AVG_POOL,
    /** Zero padding of the spatial dimensions. */
    PADDING,
    /** Dropout (a positive element-wise mask; the identity at inference). */
    DROPOUT,
    /**
     * A reshape that keeps the channel axis first and each channel's values contiguous; the next dense
     * layer's columns are grouped by its column count over the channel count.
     */
    RESHAPE
}
