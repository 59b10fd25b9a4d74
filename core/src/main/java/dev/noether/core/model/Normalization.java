package dev.noether.core.model;

/** Normalizations that make the dense layer before them scale-invariant (METRICS.md §1). */
public enum Normalization {
    BATCH_NORM,
    LAYER_NORM
}
