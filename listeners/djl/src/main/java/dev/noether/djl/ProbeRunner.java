package dev.noether.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.recurrent.RecurrentBlock;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import dev.noether.core.model.LayerProbe;
import dev.noether.core.probe.MomentScale;
import dev.noether.core.probe.ProbeAllowance;
import dev.noether.core.probe.ProbeGap;
import dev.noether.core.probe.ProbePlan;
import dev.noether.core.probe.ProbeResult;
import dev.noether.core.probe.ProbeWorkload;

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
 * and per convolution the same over (sample, position) pairs with h_a the input patch ({@link ConvPatches}); per
 * Linear inside an attention block over (sequence, token) pairs ({@link TransformerProbe}); per recurrent layer over
 * (sequence, time step) pairs with h_b the gate pre-activations, its cell written out ({@link RecurrentProbe}).
 * Only the d×d matrices reach the heap. Every array lives in a sub-manager and an {@link NDScope} closed at the
 * end; the parameters are detached, so the training step's gradients are never touched; the collector is
 * always closed. If another collector is open (a loop that notifies listeners inside its own), G_b is left out.
 *
 * <p>A pass follows a {@link ProbePlan} (its first samples, seeded positions of each convolution) made from the
 * layer shapes within the monitor's {@link ProbeAllowance}. A block that cannot be run on the probe batch, a loss
 * that cannot be evaluated on the outputs (e.g. a block with several outputs and a loss that reads one), or a
 * pass past its allowance leaves the rest out with a named {@link ProbeGap}; what was measured is kept.
 */
final class ProbeRunner {
    private static final System.Logger LOG = System.getLogger("dev.noether.djl");

    private final MappedNetwork network;
    private final ProbeBatch batch;
    /**
     * Each convolution's output positions: from the mapper's shapes, else learned from the last pass; each recurrent
     * layer's time steps, learned from the last pass.
     */
    private final int[] positions;
    private boolean warnedCollectorBusy;

    ProbeRunner(MappedNetwork network, ProbeBatch batch) {
        this.network = network;
        this.batch = batch;
        this.positions = new int[network.dense().size()];
    }

    /** The description's index of the linear layer whose weight is {@code weight}, or -1. */
    private static int layerOf(MappedNetwork network, ai.djl.nn.Parameter weight) {
        for (int i = 0; i < network.dense().size(); i++) {
            if (network.dense().get(i).weight() == weight) {
                return i;
            }
        }
        return -1;
    }

    /** The moments of every dense layer, as the core takes them, without a time limit. */
    List<LayerProbe> compute(Trainer trainer) {
        return compute(trainer, ProbeAllowance.unlimited()).layers();
    }

    /** The moments of every dense layer reached within {@code allowance}, with the plan and the parts left out. */
    ProbeResult compute(Trainer trainer, ProbeAllowance allowance) {
        ProbePlan plan = allowance.plan(workload());
        if (plan.skipped()) {
            return ProbeResult.skipped(plan);
        }
        List<ProbeGap> gaps = new ArrayList<>();
        List<LayerProbe> probes = new ArrayList<>();
        for (Moments m : measure(trainer, plan, allowance, gaps)) {
            probes.add(m.toLayerProbe());
        }
        return new ProbeResult(probes, plan, gaps);
    }

    /** The cost of a pass, from the weight shapes and the convolutions' output positions. */
    ProbeWorkload workload() {
        ProbeWorkload.Builder w = ProbeWorkload.builder(batch.size());
        MappedNetwork.ConvGeometry[] geometry = new MappedNetwork.ConvGeometry[positions.length];
        collectGeometry(network.plan(), geometry);
        for (int i = 0; i < positions.length; i++) {
            ai.djl.ndarray.types.Shape shape = network.dense().get(i).weight().getArray().getShape();
            int m = Math.toIntExact(shape.get(0));
            int n = Math.toIntExact(shape.size() / m);
            ai.djl.nn.Parameter hidden = network.dense().get(i).hiddenWeight();
            if (hidden != null) { // a recurrent layer's W = [W_x W_h]
                n += Math.toIntExact(hidden.getArray().getShape().get(1));
            }
            int known = geometry[i] == null ? Math.max(1, positions[i])
                    : Math.max(positions[i], geometry[i].outputPositions());
            w.conv(m, n, known);
        }
        return w.build();
    }

    private static void collectGeometry(MappedNetwork.Step step, MappedNetwork.ConvGeometry[] out) {
        if (step instanceof MappedNetwork.Sequence s) {
            s.steps().forEach(c -> collectGeometry(c, out));
        } else if (step instanceof MappedNetwork.Parallel p) {
            p.branches().forEach(c -> collectGeometry(c, out));
        } else if (step instanceof MappedNetwork.Leaf leaf && leaf.layer() >= 0) {
            out[leaf.layer()] = leaf.conv();
        }
    }

    /**
     * One dense layer's probe moments, row-major; {@code outputGradientMoment} is null when no per-sample
     * gradients could be taken, {@code activeFraction} for a recurrent layer (gate pre-activations have no
     * post-activation of their own).
     */
    record Moments(int layer, int samples, float[] inputMoment, float[] outputMoment, float[] outputGradientMoment,
                   float[] outputMean, float[] activeFraction, double[] scales) {
        /** Without scales: all three are 1. */
        Moments(int layer, int samples, float[] inputMoment, float[] outputMoment, float[] outputGradientMoment,
                float[] outputMean, float[] activeFraction) {
            this(layer, samples, inputMoment, outputMoment, outputGradientMoment, outputMean, activeFraction,
                    new double[] {1, 1, 1});
        }

        LayerProbe toLayerProbe() {
            LayerProbe.Builder p = LayerProbe.builder(layer).samples(samples).inputMoment(inputMoment)
                    .outputMoment(outputMoment).outputMean(outputMean).scales(scales[0], scales[1], scales[2]);
            if (activeFraction != null) {
                p.activeFraction(activeFraction);
            }
            if (outputGradientMoment != null) {
                p.outputGradientMoment(outputGradientMoment);
            }
            return p.build();
        }
    }

    /** Runs the whole probe batch through the plan and measures every linear layer whose input it can read. */
    List<Moments> measure(Trainer trainer) {
        ProbePlan whole = new ProbePlan(batch.size(), dev.noether.core.model.ProbePositions.MAX_ROWS, 0, 0,
                ProbePlan.Status.WHOLE);
        return measure(trainer, whole, ProbeAllowance.unlimited(), new ArrayList<>());
    }

    /** A block that failed on the probe batch, or a pass out of time: the forward pass stops there. */
    private static final class Stopped extends RuntimeException {
        final ProbeGap gap;

        Stopped(ProbeGap gap) {
            super(gap.toString(), null, false, false);
            this.gap = gap;
        }
    }

    /**
     * Runs the plan's samples through the plan and measures every linear layer whose input it can read; the parts
     * left out go to {@code gaps}.
     */
    private List<Moments> measure(Trainer trainer, ProbePlan plan, ProbeAllowance allowance, List<ProbeGap> gaps) {
        int layers = network.dense().size();
        int samples = Math.min(plan.samples(), batch.size());
        try (NDManager work = batch.manager().newSubManager(); NDScope scope = new NDScope()) {
            DetachedParameterStore store = new DetachedParameterStore(work);
            NDList labels = batch.labels() == null ? null : firstRows(batch.labels(), samples);
            GradientCollector collector = labels == null ? null : openCollector(trainer);
            Pass pass = new Pass(layers, store, collector != null ? work : null, allowance, plan, gaps);
            pass.network = network;
            try {
                NDList x = run(network.plan(), firstRows(batch.inputs(), samples), pass, new int[] {-1});
                if (collector != null) {
                    Loss loss = trainer.getLoss();
                    NDArray value;
                    try {
                        value = loss.evaluate(labels, x);
                    } catch (RuntimeException e) {
                        throw new Stopped(new ProbeGap("loss", "the trainer's " + loss.getName() + " could not be "
                                + "evaluated on the probe's outputs (" + e + "): no layer gets G_b"));
                    }
                    collector.backward(value);
                    for (int i = 0; i < layers; i++) {
                        if (pass.perturbations[i] != null) {
                            pass.gradients[i] = pass.perturbations[i].getGradient();
                        }
                    }
                }
            } catch (Stopped stopped) {
                gaps.add(stopped.gap);
                java.util.Arrays.fill(pass.gradients, null);
            } finally {
                if (collector != null) {
                    collector.close();
                }
            }
            List<Moments> probes = new ArrayList<>(layers);
            for (int i = 0; i < layers; i++) {
                NDArray in = pass.inputs[i];
                if (in == null || pass.outputs[i] == null) {
                    continue;
                }
                if (allowance.exhausted(plan)) {
                    gaps.add(new ProbeGap(network.dense().get(i).name(), ProbeGap.OUT_OF_TIME));
                    break;
                }
                if (pass.conv[i] != null) {
                    ConvPatches.Measured m = ConvPatches.moments(i, samples, in, pass.outputs[i], pass.post[i],
                            pass.gradients[i], pass.conv[i], plan, work);
                    positions[i] = m.outputPositions();
                    probes.add(m.moments());
                } else if (in.getShape().dimension() == 2) {
                    probes.add(moments(i, samples, in, pass.outputs[i], pass.post[i], pass.gradients[i]));
                } else if (in.getShape().dimension() == 3 && pass.recurrent[i]) {
                    positions[i] = Math.toIntExact(in.getShape().get(1)); // its time steps: the next plan's cost
                    int[] steps = plan.positions(positions[i], i);
                    probes.add(tokenMoments(i, samples, chosenSteps(in, steps), chosenSteps(pass.outputs[i], steps),
                            null, chosenSteps(pass.gradients[i], steps)));
                } else if (in.getShape().dimension() == 3 && pass.tokens[i]) {
                    probes.add(tokenMoments(i, samples, in, pass.outputs[i], pass.post[i], pass.gradients[i]));
                } else {
                    gaps.add(new ProbeGap(network.dense().get(i).name(), "a Linear over the last axis of a rank-"
                            + in.getShape().dimension() + " input is not measured"));
                }
            }
            return probes;
        }
    }

    /**
     * The chosen time steps of a recurrent layer's (B, T, d) rows: all when B·T is within the plan's rows, else a
     * fixed seeded subset of steps (METRICS.md §10, §12), as convolution positions.
     */
    private static NDArray chosenSteps(NDArray a, int[] steps) {
        if (a == null || steps.length == a.getShape().get(1)) {
            return a;
        }
        NDList picked = new NDList(steps.length);
        for (int t : steps) {
            picked.add(a.get(new NDIndex(":, {}", t)));
        }
        return ai.djl.ndarray.NDArrays.stack(picked, 1);
    }

    /** The first {@code rows} rows of every array (the arrays themselves when they have no more). */
    private static NDList firstRows(NDList list, int rows) {
        NDList out = new NDList(list.size());
        for (NDArray a : list) {
            out.add(a.getShape().get(0) <= rows ? a : a.get(new NDIndex("0:{}", rows)));
        }
        return out;
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
        final ProbeAllowance allowance;
        final ProbePlan plan;
        MappedNetwork network;
        /** Layers recorded inside an attention block: measured over (sequence, token) samples. */
        final boolean[] tokens;
        /** Layers recorded inside a recurrent block: measured over (sequence, time step) samples. */
        final boolean[] recurrent;
        /** Parts of the pass left out while the forward pass goes on. */
        final List<ProbeGap> gaps;

        Pass(int layers, DetachedParameterStore store, NDManager gradientManager, ProbeAllowance allowance,
             ProbePlan plan, List<ProbeGap> gaps) {
            inputs = new NDArray[layers];
            outputs = new NDArray[layers];
            post = new NDArray[layers];
            perturbations = new NDArray[layers];
            gradients = new NDArray[layers];
            conv = new MappedNetwork.ConvGeometry[layers];
            tokens = new boolean[layers];
            recurrent = new boolean[layers];
            this.gaps = gaps;
            this.store = store;
            this.gradientManager = gradientManager;
            this.allowance = allowance;
            this.plan = plan;
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
            try {
                return p.join().apply(outs);
            } catch (RuntimeException e) {
                throw new Stopped(new ProbeGap(p.name(), "its join could not be applied to the branches' outputs on the "
                        + "probe batch (" + e + "): the layers after it get no moments, none gets G_b"));
            }
        }
        MappedNetwork.Leaf leaf = (MappedNetwork.Leaf) step;
        if (pass.allowance.exhausted(pass.plan)) {
            throw new Stopped(new ProbeGap(leaf.name(), ProbeGap.OUT_OF_TIME));
        }
        NDList y;
        try {
            if (leaf.role() == MappedNetwork.Role.OPAQUE && TransformerProbe.handles(leaf.block())) {
                // attention blocks run written out, their Linears measured as layers over tokens
                NDList out = TransformerProbe.forward(leaf.block(), x, pass.store, (block, in) -> {
                    int i = layerOf(pass.network, block.getParameters().get("weight"));
                    NDList z = block.forward(pass.store, in, false);
                    if (i < 0) {
                        return z;
                    }
                    pass.tokens[i] = true;
                    return record(i, null, in, z, pass);
                });
                open[0] = -1;
                return out;
            }
            if (leaf.role() == MappedNetwork.Role.OPAQUE && leaf.block() instanceof RecurrentBlock recurrent) {
                open[0] = -1;
                return recurrent(leaf.name(), recurrent, x, pass);
            }
            y = leaf.block().forward(pass.store, x, false);
        } catch (RuntimeException e) {
            throw new Stopped(new ProbeGap(leaf.name(), "DJL could not run it on the probe batch (" + e
                    + "): the layers after it get no moments, none gets G_b"));
        }
        switch (leaf.role()) {
            case LINEAR -> {
                y = record(leaf.layer(), leaf.conv(), x, y, pass);
                open[0] = leaf.layer();
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

    /**
     * A recurrent block: DJL's own forward pass, and the written-out one ({@link RecurrentProbe}) checked against it
     * (max |Δ| ≤ 1e-4 · max(1, max |y|)); when they agree the written-out pass goes on (its gate pre-activations
     * carry the G_b hooks), else DJL's, with a named gap for the block's layers.
     */
    private static NDList recurrent(String name, RecurrentBlock block, NDList x, Pass pass) {
        String why = RecurrentProbe.unsupportedReason(block);
        if (why != null) {
            NDList y = block.forward(pass.store, x, false); // when DJL itself fails here, that is the gap
            pass.gaps.add(new ProbeGap(name, why + ": its layers get no moments"));
            return y;
        }
        NDList theirs;
        // DJL's function as in training: PyTorch's LSTM outside autograd takes another path (RecurrentProbe)
        try (GradientCollector own = pass.gradientManager == null ? ownCollector() : null) {
            theirs = block.forward(pass.store, x, false);
        }
        RecurrentProbe.Result ours;
        double difference;
        double largest = 0;
        try {
            ours = RecurrentProbe.forward(block, x, pass.store, pass.gradientManager);
            difference = theirs.size() == ours.output().size() ? 0 : Double.NaN;
            for (int k = 0; k < theirs.size() && difference == difference; k++) {
                NDArray a = theirs.get(k);
                NDArray b = ours.output().get(k);
                if (!a.getShape().equals(b.getShape())) {
                    difference = Double.NaN;
                    break;
                }
                difference = Math.max(difference, a.sub(b).abs().max().toType(DataType.FLOAT64, false).getDouble());
                largest = Math.max(largest, a.abs().max().toType(DataType.FLOAT64, false).getDouble());
            }
        } catch (RuntimeException e) {
            pass.gaps.add(new ProbeGap(name, "the probe could not write out its recurrence (" + e
                    + "): its layers get no moments"));
            return theirs;
        }
        if (!(difference <= 1e-4 * Math.max(1, largest))) {
            pass.gaps.add(new ProbeGap(name, "the probe's written-out recurrence differs from DJL's output (max |Δ| = "
                    + difference + "): its layers get no moments"));
            return theirs;
        }
        for (RecurrentProbe.Recorded r : ours.layers()) {
            int i = layerOf(pass.network, r.weight());
            if (i >= 0) {
                pass.inputs[i] = r.input();
                pass.outputs[i] = r.output();
                pass.perturbations[i] = r.perturbation();
                pass.recurrent[i] = true;
            }
        }
        return ours.output();
    }

    /** A collector of the probe's own, so that DJL runs in autograd mode; null when one is already open. */
    private static GradientCollector ownCollector() {
        try {
            return ai.djl.engine.Engine.getInstance().newGradientCollector();
        } catch (IllegalStateException alreadyCollecting) {
            return null; // the training loop's collector is open: autograd mode already
        }
    }

    /** Records linear layer i's input and output in the pass and hooks its G_b; returns what the next block reads. */
    private static NDList record(int i, MappedNetwork.ConvGeometry conv, NDList x, NDList y, Pass pass) {
        pass.inputs[i] = x.singletonOrThrow();
        pass.outputs[i] = y.singletonOrThrow();
        pass.conv[i] = conv;
        if (pass.gradientManager != null) {
            // ∂L/∂e of a zero e added to h_b is ∂L/∂h_b at every (sample, position)
            NDArray e = pass.gradientManager.zeros(pass.outputs[i].getShape(), pass.outputs[i].getDataType());
            e.setRequiresGradient(true);
            pass.perturbations[i] = e;
            y = new NDList(pass.outputs[i].add(e));
        }
        pass.post[i] = y.singletonOrThrow();
        return y;
    }

    /**
     * A Linear over the tokens of (B, T, d) inputs (METRICS.md §12): the moments over the B·T (sequence, token)
     * samples, with g = B·∂L/∂h_b per token (the per-sequence gradient of the batch-mean loss); a recurrent layer's
     * (sequence, time step) samples likewise, without a post-activation ({@code post} null: no active fraction).
     */
    private static Moments tokenMoments(int layer, int samples, NDArray ha, NDArray hb, NDArray post, NDArray gradient) {
        // rows from the shape: a time-first recurrent block's sequences need not be the probe batch's first axis
        int rows = Math.toIntExact(ha.getShape().get(0) * ha.getShape().get(1));
        NDArray a = ha.reshape(rows, ha.getShape().get(2));
        NDArray b = hb.reshape(rows, hb.getShape().get(2));
        NDArray p = post == null ? null : post.reshape(rows, post.getShape().get(2));
        NDArray g = gradient == null ? null : gradient.reshape(rows, gradient.getShape().get(2));
        double sa = scaleOf(a, 1, rows);
        double sb = scaleOf(b, 1, rows);
        // E[g gᵀ] over rows with g = B·∂L/∂h: (B²/rows)·(∂L/∂h)ᵀ(∂L/∂h)
        double sg = g == null ? 1 : scaleOf(g, samples, rows);
        float[] gb = g == null ? null : secondMoment(g, sg, (double) samples * samples / rows);
        return new Moments(layer, rows, secondMoment(a, sa, 1.0 / rows), secondMoment(b, sb, 1.0 / rows), gb,
                floats(scaled(b, sb).mean(new int[] {0})),
                p == null ? null : floats(p.neq(0).toType(DataType.FLOAT32, false).mean(new int[] {0})),
                new double[] {sa, sb, sg});
    }

    private static Moments moments(int layer, int samples, NDArray ha, NDArray hb, NDArray post, NDArray meanLossGradient) {
        double sa = scaleOf(ha, 1, samples);
        double sb = scaleOf(hb, 1, samples);
        // g = B·∂L/∂h_b per sample, so E[g gᵀ] = (B·∂L/∂h)ᵀ(B·∂L/∂h)/B = B·(∂L/∂h)ᵀ(∂L/∂h)
        double sg = meanLossGradient == null ? 1 : scaleOf(meanLossGradient, samples, samples);
        float[] gb = meanLossGradient == null ? null : secondMoment(meanLossGradient, sg, samples);
        return new Moments(layer, samples, secondMoment(ha, sa, 1.0 / samples), secondMoment(hb, sb, 1.0 / samples), gb,
                floats(scaled(hb, sb).mean(new int[] {0})),
                floats(post.neq(0).toType(DataType.FLOAT32, false).mean(new int[] {0})), new double[] {sa, sb, sg});
    }

    /** factor · hᵀh, computed on the engine, d×d copied out. */
    static float[] secondMoment(NDArray h, double factor) {
        return floats(h.transpose().matMul(h).mul(factor));
    }

    /** factor · (h/s)ᵀ(h/s): the moment of h scaled by the power of two s (1: none). */
    static float[] secondMoment(NDArray h, double s, double factor) {
        return secondMoment(scaled(h, s), factor);
    }

    static NDArray scaled(NDArray h, double s) {
        return s == 1 ? h : h.div(s);
    }

    /**
     * The power of two by which rows of {@code factor}·h are divided before their moment over {@code rows} rows
     * ({@link MomentScale}): 1 unless their float32 moment would overflow or vanish.
     */
    static double scaleOf(NDArray h, double factor, long rows) {
        double max = h.abs().max().toType(DataType.FLOAT64, false).getDouble() * factor;
        return MomentScale.of(max, rows);
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
