package dev.noether.dl4j;

import dev.noether.core.model.LayerProbe;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.ArrayList;
import java.util.List;

/**
 * The probe-batch moments of every dense layer (METRICS.md §5), computed with ND4J so that only the small
 * matrices reach the heap: H_a = h_aᵀh_a/B, H_b = h_bᵀh_b/B with h_b = W h_a + b, E[h_b], the active
 * fraction, and G_b = g_bᵀg_b/B with g_b = ∂ℓ_s/∂h_b the gradient of each sample's own loss.
 *
 * <p>Both passes are written out here for the mapped layer kinds, in inference mode (dropout off, batch
 * norm on its running statistics): DL4J's own passes would overwrite the network's gradient buffers
 * ({@code backpropGradient}), and its {@code feedForward} applies an {@code ActivationLayer} in place on the
 * array it returns as the previous layer's output. An unsupported layer is run forward by DL4J on a copy. DL4J's loss functions return per-sample gradients of the
 * per-sample loss (the summed gradient is their sum; the updater divides by B), so g_b needs no rescaling.
 * Layers before an unsupported layer get no G_b.
 */
final class Dl4jProbe {
    private static final String GAMMA = BatchNormalizationParamInitializer.GAMMA;
    private static final String BETA = BatchNormalizationParamInitializer.BETA;
    private static final String MEAN = BatchNormalizationParamInitializer.GLOBAL_MEAN;
    private static final String VARIANCE = BatchNormalizationParamInitializer.GLOBAL_VAR;
    private static final String LOG_STD = BatchNormalizationParamInitializer.GLOBAL_LOG_STD;

    private Dl4jProbe() {}

    static List<LayerProbe> compute(Dl4jChain chain, INDArray features, INDArray labels) {
        List<ChainElement> elements = chain.elements();
        if (elements.isEmpty()) {
            return List.of();
        }
        int batch = Math.toIntExact(features.size(0));
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        int count = elements.size();
        INDArray[] inputs = new INDArray[count];
        INDArray[] pre = new INDArray[count];
        LayerProbe.Builder[] probes = new LayerProbe.Builder[count];
        INDArray current = features;
        int lastDense = -1; // the dense layer whose post-activation `current` is, until the next dense layer
        for (int i = 0; i < count && current != null; i++) {
            ChainElement e = elements.get(i);
            INDArray in = e.preProcessor() == null ? current : e.preProcessor().preProcess(current, batch, mgr);
            inputs[i] = in;
            switch (e.kind()) {
                case DENSE, OUTPUT -> {
                    if (in.rank() != 2 || in.size(1) != e.inputs()) {
                        current = null;
                        continue;
                    }
                    INDArray z = preActivation(e, in);
                    pre[i] = z;
                    lastDense = i;
                    current = e.activation().getActivation(z.dup(), false);
                    probes[i] = LayerProbe.builder(e.denseIndex()).samples(batch)
                            .inputMoment(HostCopy.rowMajor(secondMoment(in, batch)))
                            .outputMoment(HostCopy.rowMajor(secondMoment(z, batch)))
                            .outputMean(HostCopy.rowMajor(z.mean(0)))
                            .activeFraction(HostCopy.rowMajor(activeFraction(current)));
                }
                case ACTIVATION -> {
                    current = e.activation().getActivation(in.dup(), false);
                    // a DenseLayer(identity) + ActivationLayer: the neuron fires when the activation layer's
                    // output does, not the dense layer's own (identity) output
                    if (lastDense >= 0 && current.rank() == 2 && current.size(1) == elements.get(lastDense).outputs()) {
                        probes[lastDense].activeFraction(HostCopy.rowMajor(activeFraction(current)));
                    }
                }
                case BATCH_NORM -> current = batchNorm(e, in);
                case DROPOUT -> current = in; // identity at inference (DL4J scales while training)
                case UNSUPPORTED -> current = e.layer().activate(in.dup(), false, mgr);
            }
        }
        INDArray eps = null; // ∂ℓ_s/∂(output of element i), one row per sample
        for (int i = count - 1; i >= 0; i--) {
            ChainElement e = elements.get(i);
            switch (e.kind()) {
                case OUTPUT -> eps = pre[i] == null || labels == null ? null
                        : e.lossFunction().computeGradient(labels, pre[i].dup(), e.activation(), null);
                case DENSE -> eps = eps == null || pre[i] == null ? null
                        : e.activation().backprop(pre[i].dup(), eps).getFirst();
                case ACTIVATION -> eps = eps == null || inputs[i] == null ? null
                        : e.activation().backprop(inputs[i].dup(), eps).getFirst();
                case BATCH_NORM -> eps = eps == null ? null : eps.mulRowVector(batchNormSlope(e).castTo(eps.dataType()));
                case DROPOUT -> { } // identity at inference
                case UNSUPPORTED -> eps = null;
            }
            if (eps != null && e.isDense()) {
                // eps is g_b here; what flows on is g_a = Wᵀ g_b per sample, i.e. g_b Wᵀ in DL4J's (nIn, nOut) layout
                probes[i].outputGradientMoment(HostCopy.rowMajor(secondMoment(eps, batch)));
                eps = eps.mmul(e.layer().getParam("W").transpose());
            }
            if (eps != null && e.preProcessor() != null) {
                eps = e.preProcessor().backprop(eps, batch, mgr);
            }
        }
        List<LayerProbe> out = new ArrayList<>();
        for (LayerProbe.Builder p : probes) {
            if (p != null) {
                out.add(p.build());
            }
        }
        return out;
    }

    /** Share of the samples (rows) on which each neuron (column) is non-zero. */
    private static INDArray activeFraction(INDArray postActivation) {
        return postActivation.neq(0).castTo(postActivation.dataType()).mean(0);
    }

    private static INDArray preActivation(ChainElement e, INDArray in) {
        INDArray w = e.layer().getParam("W");
        INDArray z = in.castTo(w.dataType()).mmul(w);
        return e.hasBias() ? z.addiRowVector(e.layer().getParam("b")) : z;
    }

    /** E[v vᵀ] over the rows of v: vᵀv / B, d × d. */
    private static INDArray secondMoment(INDArray v, int batch) {
        return v.transpose().mmul(v).divi(batch);
    }

    /**
     * The slope of batch normalization at inference, γ / σ per feature, where DL4J 1.0.0-M2.1 computes
     * y = γ (x − μ) / σ + β with its running μ and σ = √(var + ε); when it keeps log₁₀ of the standard
     * deviation instead of the variance, var = (10^log10std)² and ε is still added (read from its bytecode,
     * checked in {@code Dl4jProbeTest} against DL4J's own inference).
     */
    private static INDArray batchNormSlope(ChainElement e) {
        BatchNormalization conf = (BatchNormalization) e.conf();
        INDArray variance = conf.isUseLogStd()
                ? Transforms.pow(Transforms.exp(param(e, LOG_STD).mul(Math.log(10)), false), 2, false)
                : param(e, VARIANCE);
        INDArray std = Transforms.sqrt(variance.add(conf.getEps()), false);
        INDArray gamma = conf.isLockGammaBeta() ? Nd4j.valueArrayOf(std.shape(), conf.getGamma(), DataType.DOUBLE)
                : param(e, GAMMA);
        return gamma.div(std).reshape(1, std.length());
    }

    /** y = γ (x − μ) / σ + β at inference, with DL4J's running μ and σ. */
    private static INDArray batchNorm(ChainElement e, INDArray in) {
        BatchNormalization conf = (BatchNormalization) e.conf();
        INDArray beta = conf.isLockGammaBeta() ? Nd4j.valueArrayOf(new long[] {1, in.size(1)}, conf.getBeta(), DataType.DOUBLE)
                : param(e, BETA);
        DataType type = in.dataType();
        return in.subRowVector(param(e, MEAN).castTo(type).reshape(1, in.size(1)))
                .muliRowVector(batchNormSlope(e).castTo(type))
                .addiRowVector(beta.castTo(type).reshape(1, in.size(1)));
    }

    private static INDArray param(ChainElement e, String name) {
        return e.layer().getParam(name).castTo(DataType.DOUBLE);
    }
}
