package dev.noether.core.runtime;

import dev.noether.core.catalogue.MetricFamily;
import dev.noether.core.model.AttentionBlock;
import dev.noether.core.model.DenseLayer;
import dev.noether.core.model.LayerSnapshot;
import dev.noether.core.model.NetworkDescription;
import dev.noether.core.model.OptimizerSettings;
import dev.noether.core.model.StepSnapshot;
import dev.noether.core.model.Symmetry;
import dev.noether.core.model.SymmetryPair;
import dev.noether.core.physics.ConsecutiveSums;
import dev.noether.core.physics.LayerMoments;
import dev.noether.core.physics.RotationViolation;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * The every-step tier (METRICS.md §6): O(parameters) work on the training thread — norms, charges, drift,
 * update ratios and the non-finite check. For snapshots of full arrays it keeps exactly one previous copy of
 * each weight matrix (the previous snapshot's own array, which the snapshot owns, so no copy is made); for
 * the engine's {@link dev.noether.core.model.LayerReductions} the adapter keeps it on the engine. Not
 * thread-safe.
 */
final class StepTier {
    private final NetworkDescription description;
    private final List<NoetherCharge> charges = new ArrayList<>();
    private final List<AttentionCharge> attention = new ArrayList<>();
    private final boolean[] firstOfPair;
    private final boolean[] secondOfPair;
    private final float[][] previousWeights;
    /**
     * The layers of the previous observed step, for the sums between consecutive steps (METRICS.md §11): the
     * monitor holds that snapshot until this tier has observed the next one, so its arrays are still valid then.
     */
    private final LayerSnapshot[] previousLayers;
    private final boolean[] previousFinite;
    private long previousStep = Long.MIN_VALUE;
    private double[][] lastNeuronCharges;

    StepTier(NetworkDescription description, int window) {
        this.description = description;
        int layers = description.layers().size();
        firstOfPair = new boolean[layers];
        secondOfPair = new boolean[layers];
        for (SymmetryPair p : description.pairs()) {
            charges.add(new NoetherCharge(p, window));
            firstOfPair[p.first().index()] = true;
            secondOfPair[p.second().index()] = true;
        }
        for (AttentionBlock block : description.attention()) {
            attention.add(new AttentionCharge(block, true, window));
            attention.add(new AttentionCharge(block, false, window));
        }
        previousWeights = new float[layers][];
        previousLayers = new LayerSnapshot[layers];
        previousFinite = new boolean[layers];
        lastNeuronCharges = new double[description.pairs().size()][];
    }

    /**
     * Computes the step's report. Layers with a non-finite value are skipped (with their pairs), reported to
     * {@code nonFinite} by index, named with their non-finite tensors in the report's {@code nonfinite} detail
     * (as is a loss the adapter gave that is NaN or infinite), and break the charge continuity of their pairs.
     */
    NoetherReport observe(StepSnapshot snapshot, Instant now, IntConsumer nonFinite) {
        List<DenseLayer> layers = description.layers();
        if (snapshot.layers().size() != layers.size()) {
            throw new IllegalArgumentException("Step " + snapshot.step() + " has " + snapshot.layers().size()
                    + " layers but the description of '" + description.model() + "' has " + layers.size());
        }
        NoetherReport.Builder out = NoetherReport.builder(NoetherReport.Kind.STEP, description.model(), snapshot.step(), now);
        OptimizerSettings optimizer = snapshot.optimizer();
        Map<String, Object> nonFiniteTensors = new LinkedHashMap<>();
        double loss = snapshot.loss();
        out.put(MetricFamily.LOSS, loss);
        if (snapshot.hasLoss() && !Double.isFinite(loss)) {
            nonFiniteTensors.put("loss", Double.toString(loss));
        }
        out.put(MetricFamily.LEARNING_RATE, optimizer.learningRate());

        // the update ratio is per step: only against the weights of the step just before
        boolean consecutive = previousStep == snapshot.step() - 1;
        previousStep = snapshot.step();
        LayerMoments[] moments = new LayerMoments[layers.size()];
        ConsecutiveSums[] updates = new ConsecutiveSums[layers.size()];
        boolean nextGradients = optimizer.kind().needsPreviousUpdate();
        LayerSnapshot[] before = consecutive ? previousLayers.clone() : null; // step t−1, still held by the monitor
        for (DenseLayer layer : layers) {
            int i = layer.index();
            LayerSnapshot s = snapshot.layer(i);
            s.checkShape(layer);
            // the engine's ΔW counts only when this tier also saw the step before with finite values
            LayerMoments t = s.reductions() != null
                    ? LayerMoments.of(s.reductions(), firstOfPair[i], secondOfPair[i], consecutive && previousFinite[i])
                    : LayerMoments.of(s, layer.outputs(), layer.inputs(), firstOfPair[i], secondOfPair[i],
                            consecutive ? previousWeights[i] : null);
            String[] tag = {"layer", layer.name()};
            out.put(MetricFamily.LAYER_NEURONS, layer.outputs(), tag);
            out.put(MetricFamily.LAYER_INPUTS, layer.inputs(), tag);
            if (!t.finite) {
                nonFinite.accept(i);
                nonFiniteTensors.put(layer.name(), NonFiniteTensors.of(s));
                previousWeights[i] = null;
                previousLayers[i] = null;
                previousFinite[i] = false;
                continue;
            }
            moments[i] = t;
            if (consecutive && (firstOfPair[i] || secondOfPair[i])) {
                updates[i] = ConsecutiveSums.of(before[i], s, nextGradients);
            }
            previousWeights[i] = s.weight();
            previousLayers[i] = s;
            previousFinite[i] = true;
            double norm = Math.sqrt(t.weightSquared);
            out.put(MetricFamily.LAYER_WEIGHT_NORM, norm, tag);
            out.put(MetricFamily.LAYER_UPDATE_RATIO, Math.sqrt(t.deltaSquared) / norm, tag);
            out.put(MetricFamily.LAYER_GRADIENT_NORM, Math.sqrt(t.weightGradientSquared), tag); // absent without ĝ
            if (layer.isScaleInvariant()) {
                out.put(MetricFamily.LAYER_EFFECTIVE_LEARNING_RATE, optimizer.learningRate() / t.weightSquared, tag);
            }
        }

        for (int k = 0; k < charges.size(); k++) {
            NoetherCharge charge = charges.get(k);
            SymmetryPair pair = charge.pair();
            LayerMoments first = moments[pair.first().index()];
            LayerMoments second = moments[pair.second().index()];
            if (first == null || second == null) {
                charge.interrupt();
                continue;
            }
            ConsecutiveSums firstUpdate = updates[pair.first().index()];
            ConsecutiveSums secondUpdate = updates[pair.second().index()];
            double rotation = firstUpdate != null && secondUpdate != null && pair.symmetry() == Symmetry.ROTATION
                    ? rotationViolation(pair, before, snapshot) : Double.NaN;
            lastNeuronCharges[k] = charge.observe(snapshot.step(), first, second, optimizer, firstUpdate,
                    secondUpdate, rotation, out);
            out.put(MetricFamily.PAIR_NORM_RATIO, Math.sqrt(first.weightSquared / second.weightSquared),
                    "pair", pair.tag(), "symmetry", pair.symmetry().tag());
        }
        for (AttentionCharge charge : attention) {
            int a = charge.first().index();
            int b = charge.second().index();
            if (moments[a] == null || moments[b] == null) {
                charge.interrupt();
            } else {
                charge.observe(snapshot.step(), snapshot.layer(a), snapshot.layer(b), optimizer, out);
            }
        }
        out.put(MetricFamily.NORM_IMBALANCE, imbalance(alongLongestChain(moments)));
        out.put(MetricFamily.NORM_SPREAD, spread(alongLongestChain(moments)));
        if (!nonFiniteTensors.isEmpty()) {
            out.detail(NonFiniteTensors.DETAIL, nonFiniteTensors);
        }
        return out.build();
    }

    /**
     * The rotation violation of the update from the previous observed step to this one (METRICS.md §11); NaN for
     * a pair too large for the step thread ({@link RotationViolation#MAX_WORK}).
     *
     * @param before the layers of step t−1
     */
    private static double rotationViolation(SymmetryPair pair, LayerSnapshot[] before, StepSnapshot snapshot) {
        int m = pair.first().outputs();
        int n = pair.first().inputs();
        int k = pair.second().outputs();
        if (!RotationViolation.affordable(m, n, k)) {
            return Double.NaN;
        }
        LayerSnapshot first = before[pair.first().index()];
        LayerSnapshot second = before[pair.second().index()];
        return first == null || second == null ? Double.NaN : RotationViolation.of(first.weight(),
                snapshot.layer(pair.first().index()).weight(), second.weight(),
                snapshot.layer(pair.second().index()).weight(), m, n, k);
    }

    /** The per-neuron charges C_i of each pair at the last observed step (null where not observed). */
    double[][] neuronCharges() {
        return lastNeuronCharges.clone();
    }

    /** Restarts every pair's drift from the next step. */
    void resetDrift() {
        charges.forEach(NoetherCharge::resetDrift);
        attention.forEach(AttentionCharge::resetDrift);
    }

    /** The moments of the layers on the description's longest chain, in forward order (METRICS.md §10). */
    private LayerMoments[] alongLongestChain(LayerMoments[] moments) {
        List<DenseLayer> chain = description.longestChain();
        LayerMoments[] out = new LayerMoments[chain.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = moments[chain.get(i).index()];
        }
        return out;
    }

    /**
     * Population std of ‖W_l‖² over the intermediate layers (METRICS.md §3): gradient flow keeps every
     * difference of consecutive squared norms (the bias-free pair charges), hence this std, fixed. NaN with
     * fewer than two intermediate layers.
     */
    static double spread(LayerMoments[] moments) {
        int count = 0;
        double sum = 0;
        for (int i = 1; i < moments.length - 1; i++) {
            if (moments[i] == null) {
                return Double.NaN;
            }
            count++;
            sum += moments[i].weightSquared;
        }
        if (count < 2) {
            return Double.NaN;
        }
        double mean = sum / count;
        double variance = 0;
        for (int i = 1; i < moments.length - 1; i++) {
            double d = moments[i].weightSquared - mean;
            variance += d * d;
        }
        return Math.sqrt(variance / count);
    }

    /**
     * Coefficient of variation (population std over mean) of ‖W_l‖ over the intermediate layers (all but the
     * first and last); NaN with fewer than two of them, where a spread is not defined.
     */
    static double imbalance(LayerMoments[] moments) {
        int count = 0;
        double sum = 0;
        double sumSq = 0;
        for (int i = 1; i < moments.length - 1; i++) {
            if (moments[i] == null) {
                return Double.NaN;
            }
            double norm = Math.sqrt(moments[i].weightSquared);
            count++;
            sum += norm;
            sumSq += norm * norm;
        }
        if (count < 2 || sum == 0) {
            return Double.NaN;
        }
        double mean = sum / count;
        double variance = Math.max(0, sumSq / count - mean * mean);
        return Math.sqrt(variance) / mean;
    }
}
