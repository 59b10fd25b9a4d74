package dev.noether.dl4j;

import dev.noether.core.model.LayerKind;
import dev.noether.core.model.Merge;
import dev.noether.core.model.NetworkDescription;
import dev.noether.core.model.Normalization;
import dev.noether.core.model.Op;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToRnnPreProcessor;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.deeplearning4j.nn.conf.preprocessor.RnnToFeedForwardPreProcessor;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Describes the mapped DL4J nodes to core as a graph (METRICS.md §10). A DL4J layer carries its activation,
 * so a linear layer {@code L} becomes the linear node {@code L} read by the activation node {@code L/activation},
 * and its consumers read that. An input pre-processor becomes a node before its layer: channel-major
 * flattening ({@code CnnToFeedForwardPreProcessor}, NCHW) a flatten with H·W positions per channel; folding
 * time into the batch ({@code RnnToFeedForwardPreProcessor}, NCW) a reshape; the reshape of the network input
 * into images ({@code FeedForwardToCnnPreProcessor}) nothing; any other an unsupported node
 * {@code L/preprocessor}.
 */
final class Dl4jDescription {
    private Dl4jDescription() {}

    static NetworkDescription describe(String modelName, List<Dl4jNode> nodes) {
        NetworkDescription.Builder d = NetworkDescription.builder(modelName);
        Set<String> names = new HashSet<>();
        nodes.forEach(n -> names.add(n.name()));
        Map<String, String> output = new HashMap<>(); // DL4J name -> the description node holding its output
        Set<String> declared = new HashSet<>();
        for (Dl4jNode n : nodes) {
            String[] in = new String[n.sources().size()];
            for (int i = 0; i < in.length; i++) {
                String source = n.sources().get(i);
                if (!names.contains(source) && !source.equals(NetworkDescription.INPUT) && declared.add(source)) {
                    d.input(source);
                }
                in[i] = output.getOrDefault(source, source);
            }
            if (n.preProcessor() != null && n.layer() != null && in.length == 1) {
                in[0] = preProcessor(d, n, in[0], names.contains(n.sources().get(0)));
            }
            String out = n.name();
            switch (n.kind()) {
                case DENSE, OUTPUT -> {
                    d.dense(n.name(), n.outputs(), n.inputs(), n.hasBias(), in);
                    out = activation(d, n, n.name());
                }
                case CONV -> {
                    d.conv(n.name(), n.conv().oneD() ? LayerKind.CONV1D : LayerKind.CONV2D, n.outputs(),
                            n.inputs() / n.conv().patchPositions(), n.hasBias(), n.conv().userKernel(), in);
                    out = activation(d, n, n.name());
                }
                case ACTIVATION -> d.activation(n.name(), ActivationMapping.of(n.activation()), in);
                case BATCH_NORM -> d.normalization(n.name(), Normalization.BATCH_NORM, in);
                case DROPOUT -> d.op(n.name(), Op.DROPOUT, in);
                case POOLING -> d.op(n.name(), pooling(n), in);
                case RECURRENT -> out = recurrent(d, n, in);
                case ADD -> d.merge(n.name(), Merge.ADD, in);
                case CONCAT -> d.merge(n.name(), Merge.CONCAT, in);
                case QUERY, KEY, VALUE -> d.dense(n.name(), n.outputs(), n.inputs(), false, in);
                case ATTENTION -> d.merge(n.name(), Merge.ATTENTION, in);
                case ATTENTION_OUTPUT -> {
                    String block = Dl4jAttention.block(n);
                    d.dense(n.name(), n.outputs(), n.inputs(), false, in);
                    d.attention(block, block + Dl4jAttention.QUERY, block + Dl4jAttention.KEY,
                            block + Dl4jAttention.VALUE, n.name(), Dl4jAttention.headSize(n.conf()));
                    output.put(block, n.name()); // the DL4J layer's readers read its output projection
                }
                case UNSUPPORTED, LAST_TIME_STEP, DUPLICATE_TO_TIME, PREPROCESSOR -> d.unsupported(n.name(), n.reason(), in);
            }
            output.put(n.name(), out);
        }
        for (Dl4jWeights w : Dl4jGraph.measured(nodes)) {
            if (w.form() == Dl4jWeights.Form.WEIGHT_ONLY) {
                INDArray p = w.weight();
                d.weightOnly(w.name(), Dl4jNetworkMapper.isEmbedding(w.node().conf()) ? LayerKind.EMBEDDING
                        : LayerKind.OTHER, Math.toIntExact(p.size(0)), Math.toIntExact(p.length() / p.size(0)));
            }
        }
        return d.build();
    }

    /**
     * A recurrent layer's cells (two for a Bidirectional, named {@code L_f}, {@code L_b}), each reading the layer's
     * input (the cells are barriers for pairs, so the wiring between them does not matter); returns the node holding
     * the output.
     */
    private static String recurrent(NetworkDescription.Builder d, Dl4jNode n, String[] in) {
        LayerKind kind = n.gates() == 1 ? LayerKind.RNN : LayerKind.LSTM;
        String out = null;
        for (Dl4jWeights w : Dl4jGraph.measured(List.of(n))) {
            d.recurrent(w.name(), kind, n.units(), n.gates(), n.cellInputs(), n.units(), w.hasBias(), in);
            out = w.name();
        }
        return out;
    }

    private static String activation(NetworkDescription.Builder d, Dl4jNode n, String input) {
        String name = n.name() + "/activation";
        d.activation(name, ActivationMapping.of(n.activation()), input);
        return name;
    }

    /** The node holding the pre-processed input of {@code n}. */
    private static String preProcessor(NetworkDescription.Builder d, Dl4jNode n, String input, boolean fromNode) {
        InputPreProcessor pre = n.preProcessor();
        String name = n.name() + "/preprocessor";
        if (pre instanceof CnnToFeedForwardPreProcessor flat && flat.getFormat() == CNN2DFormat.NCHW) {
            d.flatten(name, Math.toIntExact(flat.getInputHeight() * flat.getInputWidth()), input);
        } else if (pre instanceof RnnToFeedForwardPreProcessor rnn && rnn.getRnnDataFormat() == RNNFormat.NCW) {
            d.op(name, Op.RESHAPE, input); // (B, C, T) → (B·T, C): time joins the batch, channels stay columns
        } else if (pre instanceof FeedForwardToRnnPreProcessor rnn && rnn.getRnnDataFormat() == RNNFormat.NCW) {
            d.op(name, Op.RESHAPE, input); // (B·T, C) → (B, C, T): the channels stay what the next layer reads
        } else if (pre instanceof FeedForwardToCnnPreProcessor && !fromNode) {
            return input; // the network input read as images: nothing upstream to pair with
        } else {
            d.unsupported(name, pre.getClass().getSimpleName() + " is not modelled", input);
        }
        return name;
    }

    private static Op pooling(Dl4jNode n) {
        Object conf = n.conf();
        if (conf instanceof SubsamplingLayer s) {
            return s.getPoolingType() == PoolingType.MAX ? Op.MAX_POOL : Op.AVG_POOL; // sum and p-norm commute too
        }
        if (conf instanceof GlobalPoolingLayer g) {
            return g.getPoolingType() == PoolingType.MAX ? Op.GLOBAL_MAX_POOL : Op.GLOBAL_AVG_POOL;
        }
        return Op.PADDING;
    }
}
