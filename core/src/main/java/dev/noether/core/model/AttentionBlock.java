package dev.noether.core.model;

import java.util.Objects;

/**
 * A multi-head attention block (METRICS.md §12): its query, key, value and output projections, each a dense layer
 * of the description, and the head size d_h that splits the rows of Q, K, V (and the columns of O) into heads. The
 * block carries two double-rotation pairs, Q/K and V/O, whose matrix charges are block diagonal over the heads.
 *
 * @param name     the block's name, the first half of the {@code pair} tags {@code "<name>:qk"}, {@code "<name>:vo"}
 * @param query    W_Q (heads·d_h × n), bias optional
 * @param key      W_K (heads·d_h × n), bias optional
 * @param value    W_V (heads·d_v × n), bias optional
 * @param output   W_O (p × heads·d_v); its bias is not part of any charge
 * @param headSize d_h, which must divide every projection's head dimension (d_v = d_h)
 */
public record AttentionBlock(String name, DenseLayer query, DenseLayer key, DenseLayer value, DenseLayer output,
                             int headSize) {
    public AttentionBlock {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(query, "query");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(output, "output");
        for (DenseLayer l : new DenseLayer[] {query, key, value, output}) {
            if (l.kind() != LayerKind.DENSE) {
                throw new IllegalArgumentException("Attention block '" + name + "': '" + l.name() + "' is "
                        + l.kind().tag() + "; attention projections are dense");
            }
        }
        if (query.outputs() != key.outputs() || query.inputs() != key.inputs()) {
            throw new IllegalArgumentException("Attention block '" + name + "': query " + query.shape()
                    + " and key " + key.shape() + " differ in shape");
        }
        if (value.outputs() != output.inputs()) {
            throw new IllegalArgumentException("Attention block '" + name + "': value has " + value.outputs()
                    + " outputs but output reads " + output.inputs());
        }
        if (headSize <= 0 || query.outputs() % headSize != 0 || value.outputs() % headSize != 0
                || query.outputs() / headSize != value.outputs() / headSize) {
            throw new IllegalArgumentException("Attention block '" + name + "': head size " + headSize
                    + " does not split query (" + query.outputs() + " rows) and value (" + value.outputs()
                    + " rows) into the same number of heads");
        }
    }

    /** The number of heads. */
    public int heads() {
        return query.outputs() / headSize;
    }

    /** The {@code pair} tag of the Q/K double rotation. */
    public String queryKeyTag() {
        return name + ":qk";
    }

    /** The {@code pair} tag of the V/O double rotation. */
    public String valueOutputTag() {
        return name + ":vo";
    }
}
