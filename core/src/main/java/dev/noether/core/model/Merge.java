package dev.noether.core.model;

/** Merge vertices of a graph (METRICS.md §10, §12). Each breaks the rescaling pair of every layer feeding it. */
public enum Merge {
    /** Element-wise sum of its inputs (ResNet's residual add). */
    ADD,
    /** Concatenation of its inputs along the channel axis. */
    CONCAT,
    /**
     * Scaled dot-product attention per head, softmax(Q_h K_hᵀ / √d_h) V_h, reading the Q, K and V projections
     * of an {@link AttentionBlock}; its heads' outputs, concatenated, are what the O projection reads.
     */
    ATTENTION
}
