package dev.noether.dl4j;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * One layer of a DL4J network in forward order, with what Noether does with it.
 *
 * @param name           the {@code layer} tag (DL4J layer or vertex name)
 * @param kind           how the layer enters the description and the probe's backward walk
 * @param layer          the live layer (parameters are read from it)
 * @param preProcessor   DL4J's input pre-processor of this layer, or null
 * @param gradientPrefix the key prefix of its gradients in {@code model.gradient()} ("0_" or "name_")
 * @param denseIndex     position among the dense layers of the description, -1 for other kinds
 * @param reason         why the layer is unsupported, else null
 */
record ChainElement(String name, Kind kind, Layer layer, InputPreProcessor preProcessor, String gradientPrefix,
                    int denseIndex, String reason) {

    enum Kind {
        /** DenseLayer: h_b = W h_a + b, then its activation. */
        DENSE,
        /** OutputLayer: a dense layer whose activation feeds the loss. */
        OUTPUT,
        /** ActivationLayer: an element-wise σ. */
        ACTIVATION,
        /** BatchNormalization: per-feature affine map at inference. */
        BATCH_NORM,
        /** DropoutLayer: identity at inference. */
        DROPOUT,
        /** Anything else: named, skipped, and it cuts the chain. */
        UNSUPPORTED
    }

    boolean isDense() {
        return kind == Kind.DENSE || kind == Kind.OUTPUT;
    }

    org.deeplearning4j.nn.conf.layers.Layer conf() {
        return layer.conf().getLayer();
    }

    /** n for dense layers (rows of DL4J's W). */
    int inputs() {
        return Math.toIntExact(((FeedForwardLayer) conf()).getNIn());
    }

    /** m for dense layers (columns of DL4J's W). */
    int outputs() {
        return Math.toIntExact(((FeedForwardLayer) conf()).getNOut());
    }

    boolean hasBias() {
        return layer.paramTable().containsKey("b");
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
