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
 * Measures the probe-batch moments of every linear layer with the engine's own ops (METRICS.md §5, §6, §10):
 * interprets the mapped plan (sequences, parallel branches with their join, leaf blocks) in inference mode on
 * detached parameters, and per dense layer computes
 * <ul>
 *   <li>H_a = h_aᵀh_a / B, H_b = h_bᵀh_b / B, E[h_b], and the share of samples with non-zero post-activation;</li>
 *   <li>G_b = E[g_b g_bᵀ] from per-sample gradients g_b = ∂ℓ_s/∂h_b: a zero array e requiring gradient is added
 *       to every h_b, the forward pass is finished, the trainer's loss on the probe labels is back-propagated in
 *       one {@link GradientCollector}, and B·∂L/∂e is the per-sample gradient of the batch-mean loss L (DJL's
 *       losses average over the batch).</li>
 * </ul>
 * and per convolution the same over (sample, position) pairs with h_a the input patch ({@link ConvPatches}).
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

    /** Runs the probe batch through the plan and measures every linear layer whose input it can read. */
    List<Moments> measure(Trainer trainer) {
        int layers = network.dense().size();
        int samples = batch.size();
        try (NDManager work = batch.manager().newSubManager(); NDScope scope = new NDScope()) {
            DetachedParameterStore store = new DetachedParameterStore(work);
            GradientCollector collector = batch.labels() == null ? null : openCollector(trainer);
            Pass pass = new Pass(layers, store, collector != null ? work : null);
            try {
                NDList x = run(network.plan(), batch.inputs(), pass, new int[] {-1});
                if (collector != null) {
                    Loss loss = trainer.getLoss();
                    collector.backward(loss.evaluate(batch.labels(), x));
                    for (int i = 0; i < layers; i++) {
                        if (pass.perturbations[i] != null) {
                            pass.gradients[i] = pass.perturbations[i].getGradient();
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
                NDArray in = pass.inputs[i];
                if (in == null) {
                    continue;
                }
                if (pass.conv[i] != null) {
                    probes.add(ConvPatches.moments(i, samples, in, pass.outputs[i], pass.post[i], pass.gradients[i],
                            pass.conv[i], work));
                } else if (in.getShape().dimension() == 2) {
                    probes.add(moments(i, samples, in, pass.outputs[i], pass.post[i], pass.gradients[i]));
                }
            }
            return probes;
        }
    }

    /** What one probe pass records per linear layer: its input, output, post-activation, and gradient hooks. */
    private static final class Pass {
        final NDArray[] inputs;
        final NDArray[] outputs;
        final NDArray[] post;
        final NDArray[] perturbations;
        final NDArray[] gradients;
        final MappedNetwork.ConvGeometry[] conv;
        final DetachedParameterStore store;
        /** Where the zero perturbations live; null when no per-sample gradients are taken. */
        final NDManager gradientManager;

        Pass(int layers, DetachedParameterStore store, NDManager gradientManager) {
            inputs = new NDArray[layers];
            outputs = new NDArray[layers];
            post = new NDArray[layers];
            perturbations = new NDArray[layers];
            gradients = new NDArray[layers];
            conv = new MappedNetwork.ConvGeometry[layers];
            this.store = store;
            this.gradientManager = gradientManager;
        }
    }

    /**
     * Runs one step of the plan in inference mode. {@code open} holds the linear layer whose post-activation is
     * still being formed in the enclosing sequence (-1 for none).
     */
    private static NDList run(MappedNetwork.Step step, NDList x, Pass pass, int[] open) {
        if (step instanceof MappedNetwork.Sequence s) {
            for (MappedNetwork.Step child : s.steps()) {
                x = run(child, x, pass, open);
            }
            return x;
        }
        if (step instanceof MappedNetwork.Parallel p) {
            List<NDList> outs = new ArrayList<>(p.branches().size());
            for (MappedNetwork.Step branch : p.branches()) {
                outs.add(run(branch, x, pass, new int[] {-1}));
            }
            open[0] = -1;
            return p.join().apply(outs);
        }
        MappedNetwork.Leaf leaf = (MappedNetwork.Leaf) step;
        NDList y = leaf.block().forward(pass.store, x, false);
        switch (leaf.role()) {
            case LINEAR -> {
                int i = leaf.layer();
                pass.inputs[i] = x.singletonOrThrow();
                pass.outputs[i] = y.singletonOrThrow();
                pass.conv[i] = leaf.conv();
                if (pass.gradientManager != null) {
                    // ∂L/∂e of a zero e added to h_b is ∂L/∂h_b at every (sample, position)
                    NDArray e = pass.gradientManager.zeros(pass.outputs[i].getShape(), pass.outputs[i].getDataType());
                    e.setRequiresGradient(true);
                    pass.perturbations[i] = e;
                    y = new NDList(pass.outputs[i].add(e));
                }
                pass.post[i] = y.singletonOrThrow();
                open[0] = i;
            }
            case ACTIVATION -> {
                if (open[0] >= 0 && y.singletonOrThrow().getShape().equals(pass.outputs[open[0]].getShape())) {
                    pass.post[open[0]] = y.singletonOrThrow();
                }
            }
            case OPAQUE -> open[0] = -1;
            case PASS -> { }
        }
        return y;
    }

    private static Moments moments(int layer, int samples, NDArray ha, NDArray hb, NDArray post, NDArray meanLossGradient) {
        // g = B·∂L/∂h_b per sample, so E[g gᵀ] = (B·∂L/∂h)ᵀ(B·∂L/∂h)/B = B·(∂L/∂h)ᵀ(∂L/∂h)
        float[] gb = meanLossGradient == null ? null : secondMoment(meanLossGradient, samples);
        return new Moments(layer, samples, secondMoment(ha, 1.0 / samples), secondMoment(hb, 1.0 / samples), gb,
                floats(hb.mean(new int[] {0})),
                floats(post.neq(0).toType(DataType.FLOAT32, false).mean(new int[] {0})));
    }

    /** scale · hᵀh, computed on the engine, d×d copied out. */
    static float[] secondMoment(NDArray h, double scale) {
        return floats(h.transpose().matMul(h).mul(scale));
    }

    static float[] floats(NDArray a) {
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
