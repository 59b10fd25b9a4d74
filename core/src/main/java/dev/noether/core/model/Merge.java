package dev.noether.core.model;

/** Merge vertices of a graph (METRICS.md §10). Both break the rescaling pair of every layer feeding them. */
public enum Merge {
    /** Element-wise sum of its inputs (ResNet's residual add). */
    ADD,
    /** Concatenation of its inputs along the channel axis. */
    CONCAT
}
