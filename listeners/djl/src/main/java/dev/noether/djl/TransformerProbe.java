package dev.noether.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.nn.transformer.ScaledDotProductAttentionBlock;
import ai.djl.nn.transformer.TransformerEncoderBlock;
import ai.djl.util.Pair;

import java.util.function.BiFunction;

/**
 * The probe's forward pass through DJL's attention blocks (METRICS.md §12), written out so that every Linear
 * inside runs as a measured layer: DJL 0.36's {@code ScaledDotProductAttentionBlock.forwardInternal} (projections,
 * head-major split (B, T, H, d_h) → (B, H, T, d_h), softmax(Q Kᵀ / √d_h) V, heads joined back, result projection;
 * the probability dropout is an identity at inference; a single input, so no mask) and
 * {@code TransformerEncoderBlock.forwardInternal} (attention plus input, attention norm, point-wise feed-forward,
 * plus the block's input again, output norm). {@code linear} runs one Linear and records it (its index, input, output, G_b hook).
 */
final class TransformerProbe {
    private TransformerProbe() {}

    static boolean handles(Block block) {
        return TransformerMapping.maps(block);
    }

    static NDList forward(Block block, NDList x, ai.djl.training.ParameterStore store,
                          BiFunction<Block, NDList, NDList> linear) {
        if (block instanceof ScaledDotProductAttentionBlock a) {
            return new NDList(attention(a, x.head(), linear));
        }
        TransformerEncoderBlock t = (TransformerEncoderBlock) block;
        NDArray input = x.head();
        ScaledDotProductAttentionBlock attention = null;
        Block feedForward = null;
        Block[] norms = new Block[2];
        int n = 0;
        for (Pair<String, Block> child : t.getChildren()) {
            Block b = child.getValue();
            if (b instanceof ScaledDotProductAttentionBlock s) {
                attention = s;
            } else if (b instanceof ai.djl.nn.transformer.PointwiseFeedForwardBlock) {
                feedForward = b;
            } else if (n < 2) {
                norms[n++] = b;
            }
        }
        if (attention == null || feedForward == null || n != 2) {
            return block.forward(store, x, false); // not the structure TransformerMapping described: run it whole
        }
        NDArray attended = attention(attention, input, linear).add(input);
        NDArray normalized = norms[0].forward(store, new NDList(attended), false).head();
        NDList h = new NDList(normalized);
        for (Pair<String, Block> child : feedForward.getChildren()) {
            h = child.getValue() instanceof Linear ? linear.apply(child.getValue(), h)
                    : child.getValue().forward(store, h, false);
        }
        // DJL 0.36 adds the block's input, not the attention norm's output, before the output norm
        return norms[1].forward(store, new NDList(h.head().add(input)), false);
    }

    private static NDArray attention(ScaledDotProductAttentionBlock a, NDArray x,
                                     BiFunction<Block, NDList, NDList> linear) {
        long batch = x.getShape().get(0);
        long tokens = x.getShape().get(1);
        NDArray k = linear.apply(a.getKeyProjection(), new NDList(x)).head();
        NDArray q = linear.apply(a.getQueryProjection(), new NDList(x)).head();
        NDArray v = linear.apply(a.getValueProjection(), new NDList(x)).head();
        long embedding = q.getShape().get(2);
        int heads = TransformerMapping.headCount(a).orElseThrow(
                () -> new IllegalStateException("DJL's ScaledDotProductAttentionBlock has no readable headCount"));
        long d = embedding / heads;
        NDArray qh = q.reshape(batch, tokens, heads, d).transpose(0, 2, 1, 3);
        NDArray kh = k.reshape(batch, tokens, heads, d).transpose(0, 2, 1, 3);
        NDArray vh = v.reshape(batch, tokens, heads, d).transpose(0, 2, 1, 3);
        NDArray scores = qh.matMul(kh.transpose(0, 1, 3, 2)).mul(1f / (float) Math.sqrt(d));
        NDArray mixed = scores.softmax(-1).matMul(vh).transpose(0, 2, 1, 3).reshape(batch, tokens, embedding);
        return linear.apply(a.getResultProjection(), new NDList(mixed)).head();
    }
}
