package dev.noether.dl4j;

import dev.noether.dl4j.Dl4jNode.Kind;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.layers.LearnedSelfAttentionLayer;
import org.deeplearning4j.nn.conf.layers.SelfAttentionLayer;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;

import java.util.List;

/**
 * DL4J's {@code SelfAttentionLayer} and {@code LearnedSelfAttentionLayer} with projected input (METRICS.md §12)
 * as five nodes: the dense projections {@code <name>/query}, {@code /key}, {@code /value} reading the layer's
 * input, the per-head attention {@code <name>/attention} reading those, and the dense {@code <name>/output}
 * reading it, whose output is the layer's. DL4J keeps Wq, Wk, Wv as (nHeads, headSize, nIn), whose C-order rows
 * are already core's head-major (nHeads·headSize × nIn), and Wo as (nHeads·headSize, nOut), transposed like a
 * dense W. The layers have no biases.
 */
final class Dl4jAttention {
    static final String QUERY = "/query";
    static final String KEY = "/key";
    static final String VALUE = "/value";
    static final String ATTENTION = "/attention";
    static final String OUTPUT = "/output";

    private Dl4jAttention() {}

    /** True for an attention layer this class maps: one that projects its input (else it has no weights). */
    static boolean maps(org.deeplearning4j.nn.conf.layers.Layer conf) {
        return conf instanceof SelfAttentionLayer s && s.isProjectInput()
                || conf instanceof LearnedSelfAttentionLayer l && l.isProjectInput();
    }

    /** The layer's nodes, in topological order. */
    static List<Dl4jNode> nodes(String name, List<String> inputs, Layer layer, GraphVertex vertex,
                                InputPreProcessor pre, String prefix) {
        String q = name + QUERY;
        String k = name + KEY;
        String v = name + VALUE;
        String a = name + ATTENTION;
        return List.of(
                new Dl4jNode(q, Kind.QUERY, inputs, layer, vertex, pre, prefix, -1, null, null, null),
                new Dl4jNode(k, Kind.KEY, inputs, layer, vertex, pre, prefix, -1, null, null, null),
                new Dl4jNode(v, Kind.VALUE, inputs, layer, vertex, pre, prefix, -1, null, null, null),
                new Dl4jNode(a, Kind.ATTENTION, List.of(q, k, v), layer, vertex, null, prefix, -1, null,
                        "attention heads are not probed", null),
                new Dl4jNode(name + OUTPUT, Kind.ATTENTION_OUTPUT, List.of(a), layer, vertex, null, prefix, -1, null,
                        null, null));
    }

    /** The DL4J layer's name of one of its nodes. */
    static String block(Dl4jNode n) {
        return n.name().substring(0, n.name().lastIndexOf('/'));
    }

    static int heads(org.deeplearning4j.nn.conf.layers.Layer conf) {
        return conf instanceof SelfAttentionLayer s ? s.getNHeads() : ((LearnedSelfAttentionLayer) conf).getNHeads();
    }

    static int headSize(org.deeplearning4j.nn.conf.layers.Layer conf) {
        return Math.toIntExact(conf instanceof SelfAttentionLayer s ? s.getHeadSize()
                : ((LearnedSelfAttentionLayer) conf).getHeadSize());
    }

    static int nIn(org.deeplearning4j.nn.conf.layers.Layer conf) {
        return Math.toIntExact(conf instanceof SelfAttentionLayer s ? s.getNIn() : ((LearnedSelfAttentionLayer) conf).getNIn());
    }

    static int nOut(org.deeplearning4j.nn.conf.layers.Layer conf) {
        return Math.toIntExact(conf instanceof SelfAttentionLayer s ? s.getNOut()
                : ((LearnedSelfAttentionLayer) conf).getNOut());
    }
}
