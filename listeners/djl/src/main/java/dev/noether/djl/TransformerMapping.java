package dev.noether.djl;

import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.nn.transformer.PointwiseFeedForwardBlock;
import ai.djl.nn.transformer.ScaledDotProductAttentionBlock;
import ai.djl.nn.transformer.TransformerEncoderBlock;
import ai.djl.util.Pair;
import dev.noether.core.model.Activation;
import dev.noether.core.model.Merge;
import dev.noether.core.model.NetworkDescription;
import dev.noether.core.model.Normalization;

import java.lang.reflect.Field;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * DJL's attention blocks in the description (METRICS.md §12). Every Linear inside acts on the last axis of a
 * (batch, tokens, embedding) input, so it is a dense layer over (sequence, token) samples.
 * <ul>
 *   <li>{@link ScaledDotProductAttentionBlock}: its query, key and value projections read the block's input, a
 *       {@link Merge#ATTENTION} node reads them, the result projection reads that; the four form an attention block
 *       with head size embedding / headCount (DJL splits a projection's output into head-major slices).</li>
 *   <li>{@link TransformerEncoderBlock}: self-attention, the residual add with the block's input, the attention
 *       norm, the point-wise feed-forward block (Linear → activation → Linear: a rescaling pair when the activation
 *       is ReLU), the second residual add and the output norm, as DJL 0.36's {@code forwardInternal} computes them
 *       (the dropouts are identities at inference).</li>
 * </ul>
 * Layer names are DJL's child names joined with '_' (e.g. {@code 01TransformerEncoderBlock_01selfAttention_02queryProjection}).
 */
final class TransformerMapping {
    /** What the mapper lends: the description being built, and a Linear over tokens declared as a dense layer. */
    interface Layers {
        NetworkDescription.Builder description();

        /** Declares {@code linear} as the dense layer {@code name} reading {@code input}; returns its node. */
        String tokenLinear(String name, Linear linear, String input);

        /** The activation a LambdaBlock computes, if recognised. */
        Optional<Activation> activation(LambdaBlock lambda);
    }

    private final Layers layers;

    TransformerMapping(Layers layers) {
        this.layers = layers;
    }

    /** True for the blocks this class maps. */
    static boolean maps(Block block) {
        return block instanceof ScaledDotProductAttentionBlock || block instanceof TransformerEncoderBlock;
    }

    /**
     * Describes {@code block} (one {@link #maps} accepts) reading {@code input}; returns the node holding its output,
     * or empty when its structure is not the one this class knows (the caller names it unsupported).
     */
    Optional<String> map(String name, Block block, String input) {
        if (block instanceof ScaledDotProductAttentionBlock attention) {
            return attention(name, attention, input);
        }
        return encoder(name, (TransformerEncoderBlock) block, input);
    }

    private Optional<String> attention(String name, ScaledDotProductAttentionBlock block, String input) {
        Map<Block, String> names = childNames(name, block);
        Optional<Integer> heads = headCount(block);
        Linear q = block.getQueryProjection();
        Linear k = block.getKeyProjection();
        Linear v = block.getValueProjection();
        Linear o = block.getResultProjection();
        if (heads.isEmpty() || !names.keySet().containsAll(java.util.List.of(q, k, v, o))) {
            return Optional.empty();
        }
        long rows = q.getParameters().get("weight").getArray().getShape().get(0);
        if (rows % heads.get() != 0) {
            return Optional.empty();
        }
        NetworkDescription.Builder d = layers.description();
        String query = layers.tokenLinear(names.get(q), q, input);
        String key = layers.tokenLinear(names.get(k), k, input);
        String value = layers.tokenLinear(names.get(v), v, input);
        String mix = name + "_heads";
        d.merge(mix, Merge.ATTENTION, query, key, value);
        String output = layers.tokenLinear(names.get(o), o, mix);
        d.attention(name, query, key, value, output, Math.toIntExact(rows / heads.get()));
        return Optional.of(output);
    }

    private Optional<String> encoder(String name, TransformerEncoderBlock block, String input) {
        ScaledDotProductAttentionBlock attention = null;
        PointwiseFeedForwardBlock feedForward = null;
        String attentionName = null;
        String feedForwardName = null;
        String[] norms = new String[2];
        Block[] normBlocks = new Block[2];
        int normCount = 0;
        for (Pair<String, Block> child : block.getChildren()) {
            Block b = child.getValue();
            String n = name + "_" + child.getKey();
            if (b instanceof ScaledDotProductAttentionBlock a && attention == null) {
                attention = a;
                attentionName = n;
            } else if (b instanceof PointwiseFeedForwardBlock f && feedForward == null) {
                feedForward = f;
                feedForwardName = n;
            } else if ((b instanceof BatchNorm || b instanceof LayerNorm) && normCount < 2) {
                norms[normCount] = n;
                normBlocks[normCount++] = b;
            } else {
                return Optional.empty();
            }
        }
        if (attention == null || feedForward == null || normCount != 2) {
            return Optional.empty();
        }
        Optional<String> attended = attention(attentionName, attention, input);
        if (attended.isEmpty()) {
            return Optional.empty();
        }
        NetworkDescription.Builder d = layers.description();
        String residual = name + "_attentionResidual";
        d.merge(residual, Merge.ADD, attended.get(), input);
        d.normalization(norms[0], kind(normBlocks[0]), residual);
        String node = norms[0];
        for (Pair<String, Block> child : feedForward.getChildren()) {
            String n = feedForwardName + "_" + child.getKey();
            Block b = child.getValue();
            if (b instanceof Linear linear) {
                node = layers.tokenLinear(n, linear, node);
            } else if (b instanceof LambdaBlock lambda && layers.activation(lambda).isPresent()) {
                d.activation(n, layers.activation(lambda).get(), node);
                node = n;
            } else {
                d.unsupported(n, b.getClass().getSimpleName() + " inside a PointwiseFeedForwardBlock is not modelled", node);
                node = n;
            }
        }
        String outputResidual = name + "_outputResidual";
        d.merge(outputResidual, Merge.ADD, node, input); // DJL 0.36 adds the block's input here too
        d.normalization(norms[1], kind(normBlocks[1]), outputResidual);
        return Optional.of(norms[1]);
    }

    private static Normalization kind(Block norm) {
        return norm instanceof LayerNorm ? Normalization.LAYER_NORM : Normalization.BATCH_NORM;
    }

    /** The nested names of a block's direct children, by identity. */
    private static Map<Block, String> childNames(String name, Block block) {
        Map<Block, String> names = new IdentityHashMap<>();
        for (Pair<String, Block> child : block.getChildren()) {
            names.put(child.getValue(), name + "_" + child.getKey());
        }
        return names;
    }

    /** DJL 0.36 keeps the head count in a private field without a getter. */
    static Optional<Integer> headCount(ScaledDotProductAttentionBlock block) {
        try {
            Field f = ScaledDotProductAttentionBlock.class.getDeclaredField("headCount");
            f.setAccessible(true);
            int heads = f.getInt(block);
            return heads > 0 ? Optional.of(heads) : Optional.empty();
        } catch (ReflectiveOperationException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
