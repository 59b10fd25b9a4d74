package dev.noether.dl4j;

import dev.noether.core.model.SnapshotArrays;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.ILossFunction;

import java.util.List;

/**
 * One layer or vertex of a DL4J network, in topological order, with what Noether does with it.
 *
 * @param name           the {@code layer} tag (DL4J layer or vertex name)
 * @param kind           how the node enters the description and the probe's passes
 * @param sources        the names of the nodes it reads, in DL4J's input order ({@link Dl4jGraph#INPUT} for the
 *                       network input)
 * @param layer          the live layer (parameters are read from it), or null for a non-layer vertex
 * @param vertex         the live graph vertex of a {@code ComputationGraph}, or null (a layer of a
 *                       {@code MultiLayerNetwork})
 * @param preProcessor   DL4J's input pre-processor of this layer, or null
 * @param gradientPrefix the key prefix of its gradients in {@code model.gradient()} ("0_" or "name_")
 * @param linearIndex    position among the linear layers of the description, -1 for other kinds
 * @param conv           the geometry of a convolution, else null
 * @param reason         why the node is unsupported (or, for the recurrent vertices, not modelled), else null
 * @param timeInput      the network input whose time axis and mask a {@link Kind#LAST_TIME_STEP} or
 *                       {@link Kind#DUPLICATE_TO_TIME} vertex follows, else null
 */
record Dl4jNode(String name, Kind kind, List<String> sources, Layer layer, GraphVertex vertex,
                InputPreProcessor preProcessor, String gradientPrefix, int linearIndex, ConvGeometry conv,
                String reason, String timeInput) {

    enum Kind {
        /** DenseLayer: h_b = W h_a + b, then its activation. */
        DENSE,
        /** OutputLayer: a dense layer whose activation feeds the loss. */
        OUTPUT,
        /** ConvolutionLayer / Convolution1DLayer / Convolution3D: a dense layer over channels (METRICS.md §10). */
        CONV,
        /** ActivationLayer: an element-wise σ. */
        ACTIVATION,
        /** BatchNormalization: per-channel affine map at inference. */
        BATCH_NORM,
        /** DropoutLayer: identity at inference. */
        DROPOUT,
        /** Max/avg/p-norm subsampling, global pooling, zero padding: commute with a positive per-channel scale. */
        POOLING,
        /** ElementWiseVertex(Add). */
        ADD,
        /** MergeVertex: concatenation along channels. */
        CONCAT,
        /**
         * LastTimeStepVertex: (B, C, T) → (B, C), each sample's last step unmasked in its {@code timeInput};
         * not modelled (no pairs across it), but the probe runs it on its own arrays.
         */
        LAST_TIME_STEP,
        /** DuplicateToTimeSeriesVertex: (B, C) → (B, C, T), T of its {@code timeInput}; not modelled, probed. */
        DUPLICATE_TO_TIME,
        /** PreprocessorVertex: DL4J's pre-processor on the probe's batch size; not modelled, probed. */
        PREPROCESSOR,
        /** The query projection of a DL4J self-attention layer ({@link Dl4jAttention}): W = Wq, no bias. */
        QUERY,
        /** Its key projection, Wk. */
        KEY,
        /** Its value projection, Wv. */
        VALUE,
        /** Its attention heads, reading Q, K and V: not probed (DL4J runs them inside one SameDiff layer). */
        ATTENTION,
        /** Its output projection, Wo, reading the concatenated heads. */
        ATTENTION_OUTPUT,
        /**
         * LSTM, GravesLSTM, SimpleRnn, possibly inside Bidirectional (two cells) and/or LastTimeStep: recurrent
         * layers over (sequence, time step) samples (METRICS.md §12), barriers for pairs; DL4J runs them in the probe.
         */
        RECURRENT,
        /** Anything else: named, skipped; it breaks pairs and stops the probe's backward pass. */
        UNSUPPORTED
    }

    Dl4jNode {
        sources = List.copyOf(sources);
    }

    Dl4jNode withLinearIndex(int index) {
        return new Dl4jNode(name, kind, sources, layer, vertex, preProcessor, gradientPrefix, index, conv, reason,
                timeInput);
    }

    /** A dense, output or convolution layer or an attention projection: one of the description's linear layers. */
    boolean isLinear() {
        return kind == Kind.DENSE || kind == Kind.OUTPUT || kind == Kind.CONV || isProjection();
    }

    /** One of the four projections of a self-attention layer. */
    boolean isProjection() {
        return kind == Kind.QUERY || kind == Kind.KEY || kind == Kind.VALUE || kind == Kind.ATTENTION_OUTPUT;
    }

    /** The key of W in the layer's parameter (and, after the prefix, gradient) table. */
    String weightKey() {
        return switch (kind) {
            case QUERY -> "Wq";
            case KEY -> "Wk";
            case VALUE -> "Wv";
            case ATTENTION_OUTPUT -> "Wo";
            default -> "W";
        };
    }

    org.deeplearning4j.nn.conf.layers.Layer conf() {
        return layer.conf().getLayer();
    }

    /** n: DL4J's nIn for a dense layer, C_in·∏k for a convolution. */
    int inputs() {
        if (isProjection()) {
            return kind == Kind.ATTENTION_OUTPUT ? Dl4jAttention.heads(conf()) * Dl4jAttention.headSize(conf())
                    : Dl4jAttention.nIn(conf());
        }
        long nIn = ((FeedForwardLayer) conf()).getNIn();
        return Math.toIntExact(conv == null ? nIn : nIn * conv.patchPositions());
    }

    /** m: DL4J's nOut (output channels of a convolution). */
    int outputs() {
        if (isProjection()) {
            return kind == Kind.ATTENTION_OUTPUT ? Dl4jAttention.nOut(conf())
                    : Dl4jAttention.heads(conf()) * Dl4jAttention.headSize(conf());
        }
        return Math.toIntExact(((FeedForwardLayer) conf()).getNOut());
    }

    boolean hasBias() {
        return !isProjection() && layer.paramTable().containsKey("b");
    }

    /**
     * W (or its gradient) as core's m × n row-major matrix: DL4J's dense W is (nIn, nOut), its 2-D conv W is
     * already (C_out, C_in, kh, kw), its 1-D one is permuted ({@link ConvGeometry#weightMatrix}).
     */
    float[] weightRows(INDArray w) {
        return weightRows(w, null);
    }

    /** Like {@link #weightRows(INDArray)}, into an array from {@code into} (a fresh one when null). */
    float[] weightRows(INDArray w, SnapshotArrays into) {
        if (kind == Kind.QUERY || kind == Kind.KEY || kind == Kind.VALUE) {
            return HostCopy.rowMajor(w, into); // (nHeads, headSize, nIn) in C order: the head-major rows
        }
        if (conv == null) {
            return HostCopy.transposed(w, into);
        }
        return HostCopy.rowMajor(conv.oneD() ? conv.weightMatrix(w) : w, into);
    }

    /** W (or its gradient) as core's m × n matrix on the engine: a view where the layout allows one. */
    INDArray weightMatrix(INDArray w) {
        if (kind == Kind.QUERY || kind == Kind.KEY || kind == Kind.VALUE) {
            return w.reshape('c', w.size(0) * w.size(1), w.size(2));
        }
        if (conv == null) {
            return w.transpose();
        }
        return conv.weightMatrix(w);
    }

    /** The recurrent cell inside the wrappers (LastTimeStep, Bidirectional), or null when there is none. */
    static org.deeplearning4j.nn.conf.layers.Layer recurrentCell(org.deeplearning4j.nn.conf.layers.Layer conf) {
        org.deeplearning4j.nn.conf.layers.Layer c = conf;
        for (int depth = 0; depth < 4 && c != null; depth++) {
            if (c instanceof org.deeplearning4j.nn.conf.layers.LSTM || c instanceof org.deeplearning4j.nn.conf.layers.GravesLSTM
                    || c instanceof org.deeplearning4j.nn.conf.layers.recurrent.SimpleRnn) {
                return c;
            }
            if (c instanceof org.deeplearning4j.nn.conf.layers.recurrent.Bidirectional b) {
                c = b.getFwd();
            } else if (c instanceof org.deeplearning4j.nn.conf.layers.wrapper.BaseWrapperLayer w) {
                c = w.getUnderlying();
            } else {
                return null;
            }
        }
        return null;
    }

    /** True when a Bidirectional wraps the recurrent cell: two cells, parameter prefixes "f" and "b". */
    boolean bidirectional() {
        org.deeplearning4j.nn.conf.layers.Layer c = conf();
        for (int depth = 0; depth < 4 && c != null; depth++) {
            if (c instanceof org.deeplearning4j.nn.conf.layers.recurrent.Bidirectional) {
                return true;
            }
            c = c instanceof org.deeplearning4j.nn.conf.layers.wrapper.BaseWrapperLayer w ? w.getUnderlying() : null;
        }
        return false;
    }

    /** The parameter key prefixes of the recurrent cells: "f", "b" for a Bidirectional, else "". */
    List<String> cellPrefixes() {
        return bidirectional() ? List.of("f", "b") : List.of("");
    }

    /** The gate blocks of the recurrent cell: 4 for LSTM and GravesLSTM, 1 for SimpleRnn. */
    int gates() {
        return recurrentCell(conf()) instanceof org.deeplearning4j.nn.conf.layers.recurrent.SimpleRnn ? 1 : 4;
    }

    /** H, the recurrent cell's units (its nOut). */
    int units() {
        return Math.toIntExact(((FeedForwardLayer) recurrentCell(conf())).getNOut());
    }

    /** The recurrent cell's nIn. */
    int cellInputs() {
        return Math.toIntExact(((FeedForwardLayer) recurrentCell(conf())).getNIn());
    }

    IActivation activation() {
        IActivation fn = conf() instanceof BaseLayer base ? base.getActivationFn()
                : conf() instanceof org.deeplearning4j.nn.conf.layers.ActivationLayer a ? a.getActivationFn() : null;
        return fn == null ? new ActivationIdentity() : fn;
    }

    ILossFunction lossFunction() {
        return ((BaseOutputLayer) conf()).getLossFn();
    }
}
