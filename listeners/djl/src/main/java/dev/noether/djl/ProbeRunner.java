package dev.noether.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import dev.noether.core.model.LayerProbe;

import java.util.ArrayList;
import java.util.List;

/**
 * Measures the probe-batch moments of every dense layer with the engine's own ops (METRICS.md §5, §6): runs
 * the chain of leaf blocks one by one in inference mode on detached parameters, and per dense layer computes
 * <ul>
 *   <li>H_a = h_aᵀh_a / B, H_b = h_bᵀh_b / B, E[h_b], and the share of samples with non-zero post-activation;</li>
 *   <li>G_b = E[g_b g_bᵀ] from per-sample gradients g_b = ∂ℓ_s/∂h_b: a zero array e requiring gradient is added
 *       to every h_b, the forward pass is finished, the trainer's loss on the probe labels is back-propagated in
 *       one {@link GradientCollector}, and B·∂L/∂e is the per-sample gradient of the batch-mean loss L (DJL's
 *       losses average over the batch).</li>
 * </ul>
 * Only the d×d matrices reach the heap. Every array lives in a sub-manager and an {@link NDScope} closed at the
 * end; the parameters are detached, so the training step's gradients are never touched; the collector is
 * always closed. If another collector is open (a loop that notifies listeners inside its own), G_b is left out.
 */
final class ProbeRunner {
    private static final System.Logger LOG = System.getLogger("dev.noether.djl");

    private final MappedNetwork network;
    private final ProbeBatch batch;
    private boolean warnedCollectorBusy;

    ProbeRunner(MappedNetwork network, ProbeBatch batch) {
        this.network = network;
        this.batch = batch;
    }

    /** The moments of every dense layer, as the core takes them. */
    List<LayerProbe> compute(Trainer trainer) {
        List<LayerProbe> probes = new ArrayList<>();
        for (Moments m : measure(trainer)) {
            probes.add(m.toLayerProbe());
        }
        return probes;
    }

    /**
     * One dense layer's probe moments, row-major; {@code outputGradientMoment} is null when no per-sample
     * gradients could be taken.
     */
    record Moments(int layer, int samples, float[] inputMoment, float[] outputMoment, float[] outputGradientMoment,
                   float[] outputMean, float[] activeFraction) {
        LayerProbe toLayerProbe() {
            LayerProbe.Builder p = LayerProbe.builder(layer).samples(samples).inputMoment(inputMoment)
                    .outputMoment(outputMoment).outputMean(outputMean).activeFraction(activeFraction);
            if (outputGradientMoment != null) {
                p.outputGradientMoment(outputGradientMoment);
            }
            return p.build();
        }
    }

    /** Runs the probe batch through the chain and measures every dense layer whose input is a matrix. */
    List<Moments> measure(Trainer trainer) {
        int layers = network.dense().size();
        NDArray[] inputs = new NDArray[layers];
        NDArray[] outputs = new NDArray[layers];
        NDArray[] post = new NDArray[layers];
        NDArray[] perturbations = new NDArray[layers];
        NDArray[] gradients = new NDArray[layers];
        int samples = batch.size();
        try (NDManager work = batch.manager().newSubManager(); NDScope scope = new NDScope()) {
            DetachedParameterStore store = new DetachedParameterStore(work);
            GradientCollector collector = batch.labels() == null ? null : openCollector(trainer);
            try {
                NDList x = batch.inputs();
                int open = -1; // the dense layer whose post-activation is still being formed
                for (MappedNetwork.Link link : network.chain()) {
                    NDList y = link.block().forward(store, x, false);
                    switch (link.role()) {
                        case DENSE -> {
                            int i = link.denseIndex();
                            inputs[i] = x.singletonOrThrow();
                            outputs[i] = y.singletonOrThrow();
                            if (collector != null) {
                                NDArray e = work.zeros(outputs[i].getShape(), outputs[i].getDataType());
                                e.setRequiresGradient(true);
                                perturbations[i] = e;
                                y = new NDList(outputs[i].add(e));
                            }
                            post[i] = y.singletonOrThrow();
                            open = i;
                        }
                        case ACTIVATION -> {
                            if (open >= 0) {
                                post[open] = y.singletonOrThrow();
                            }
                        }
                        case OPAQUE -> open = -1;
                        case PASS -> { }
                    }
                    x = y;
                }
                if (collector != null) {
                    Loss loss = trainer.getLoss();
                    collector.backward(loss.evaluate(batch.labels(), x));
                    for (int i = 0; i < layers; i++) {
                        if (perturbations[i] != null) {
                            gradients[i] = perturbations[i].getGradient();
                        }
                    }
                }
            } finally {
                if (collector != null) {
                    collector.close();
                }
            }
            List<Moments> probes = new ArrayList<>(layers);
            for (int i = 0; i < layers; i++) {
                if (inputs[i] != null && inputs[i].getShape().dimension() == 2) {
                    probes.add(moments(i, samples, inputs[i], outputs[i], post[i], gradients[i]));
                }
            }
            return probes;
        }
    }

    private static Moments moments(int layer, int samples, NDArray ha, NDArray hb, NDArray post, NDArray meanLossGradient) {
        // g = B·∂L/∂h_b per sample, so E[g gᵀ] = (B·∂L/∂h)ᵀ(B·∂L/∂h)/B = B·(∂L/∂h)ᵀ(∂L/∂h)
        float[] gb = meanLossGradient == null ? null : secondMoment(meanLossGradient, samples);
        return new Moments(layer, samples, secondMoment(ha, 1.0 / samples), secondMoment(hb, 1.0 / samples), gb,
                floats(hb.mean(new int[] {0})),
                floats(post.neq(0).toType(DataType.FLOAT32, false).mean(new int[] {0})));
    }

    /** scale · hᵀh, computed on the engine, d×d copied out. */
    private static float[] secondMoment(NDArray h, double scale) {
        return floats(h.transpose().matMul(h).mul(scale));
    }

    private static float[] floats(NDArray a) {
        return a.toType(DataType.FLOAT32, false).toFloatArray();
    }

    private GradientCollector openCollector(Trainer trainer) {
        try {
            return trainer.newGradientCollector();
        } catch (IllegalStateException alreadyCollecting) {
            if (!warnedCollectorBusy) {
                warnedCollectorBusy = true;
                LOG.log(System.Logger.Level.WARNING, "Noether: the training loop notifies listeners while its "
                        + "GradientCollector is still open, so the probe cannot take per-sample gradients; G_b and "
                        + "the metrics that need it (CRH rga/gwa, PAH, FDT) stay absent. Close the collector before "
                        + "trainer.notifyListeners(...), as EasyTrain.trainBatch does.");
            }
            return null;
        }
    }
}
