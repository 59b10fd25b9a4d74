package dev.noether.core.runtime;

import dev.noether.core.catalogue.NoetherMetric;
import dev.noether.core.model.DenseLayer;
import dev.noether.core.model.LayerProbe;
import dev.noether.core.model.LayerSnapshot;
import dev.noether.core.model.NetworkDescription;
import dev.noether.core.model.StepSnapshot;
import dev.noether.core.model.Symmetry;
import dev.noether.core.model.SymmetryPair;
import dev.noether.core.physics.CrhAlignments;
import dev.noether.core.physics.CrhPhase;
import dev.noether.core.physics.CrhPhaseClassifier;
import dev.noether.core.physics.CrhRelation;
import dev.noether.core.physics.CrhSide;
import dev.noether.core.physics.FluctuationDissipation;
import dev.noether.core.physics.NeuronCensus;
import dev.noether.core.physics.NeuronCorrelation;
import dev.noether.core.physics.NeuronSample;
import dev.noether.core.physics.PahFit;
import dev.noether.core.physics.PolynomialAlignment;
import dev.noether.core.physics.ProbeCensus;
import dev.noether.core.physics.Spectrum;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.function.IntConsumer;
import java.util.function.Supplier;

/**
 * The heavy tier (METRICS.md §4, §5 and the rotation charges of §2): O(d³) work on one immutable step
 * snapshot and the probe moments, on the analysis thread. Keeps only what must persist between analyses:
 * each layer's CRH phase (for hysteresis) and each rotation pair's first charge matrix (for its drift).
 * Used by one thread at a time.
 */
final class HeavyAnalysis {
    /** Correlation matrices larger than this are left out of the event log (only the order is kept). */
    private static final int MAX_LOGGED_CORRELATION = 128;

    private final NetworkDescription description;
    private final NoetherConfig config;
    private final IntConsumer nonFinite;
    private final Supplier<double[][]> neuronCharges;
    private final CrhPhaseClassifier[] phases;
    private final Map<SymmetryPair, DMatrixRMaj> initialRotationCharge = new LinkedHashMap<>();
    private final Map<SymmetryPair, Double> initialRotationScale = new LinkedHashMap<>();

    HeavyAnalysis(NetworkDescription description, NoetherConfig config, IntConsumer nonFinite,
                  Supplier<double[][]> neuronCharges) {
        this.description = description;
        this.config = config;
        this.nonFinite = nonFinite;
        this.neuronCharges = neuronCharges;
        this.phases = new CrhPhaseClassifier[description.layers().size()];
        for (int i = 0; i < phases.length; i++) {
            phases[i] = new CrhPhaseClassifier(config.alignmentThreshold(), config.alignmentHysteresis());
        }
    }

    NoetherReport analyze(StepSnapshot snapshot, List<LayerProbe> probes, Instant now) {
        NoetherReport.Builder out = NoetherReport.builder(NoetherReport.Kind.ANALYSIS, description.model(),
                snapshot.step(), now);
        List<DenseLayer> layers = description.layers();
        LayerProbe[] probeOf = new LayerProbe[layers.size()];
        for (LayerProbe p : probes) {
            if (p.layer() >= 0 && p.layer() < layers.size()) {
                p.checkShape(layers.get(p.layer()));
                probeOf[p.layer()] = p;
            }
        }
        DMatrixRMaj[] weights = new DMatrixRMaj[layers.size()];
        for (DenseLayer layer : layers) {
            LayerSnapshot s = snapshot.layer(layer.index());
            if (allFinite(s.weight()) && (s.bias() == null || allFinite(s.bias()))) {
                weights[layer.index()] = DMatrixRMaj.wrap(layer.outputs(), layer.inputs(), toDouble(s.weight()));
            }
        }
        Map<String, Object> layerDetails = new LinkedHashMap<>();
        for (DenseLayer layer : layers) {
            DMatrixRMaj w = weights[layer.index()];
            if (w == null) {
                continue; // counted by the step tier at this very step
            }
            Map<String, Object> detail = new LinkedHashMap<>();
            analyzeLayer(layer, w, snapshot, weights, probeOf[layer.index()], out, detail);
            if (!detail.isEmpty()) {
                layerDetails.put(layer.name(), detail);
            }
        }
        rotationCharges(weights, out);
        out.detail("layers", layerDetails);
        out.detail("neuron.charges", neuronChargeDetails());
        return out.build();
    }

    private void analyzeLayer(DenseLayer layer, DMatrixRMaj w, StepSnapshot snapshot, DMatrixRMaj[] weights,
                              LayerProbe probe, NoetherReport.Builder out, Map<String, Object> detail) {
        String[] tag = {"layer", layer.name()};
        double[] singular = Spectrum.singularValues(w, config.exactDimensionLimit());
        out.put(NoetherMetric.LAYER_EFFECTIVE_RANK, Spectrum.effectiveRank(singular), tag);
        out.put(NoetherMetric.LAYER_STABLE_RANK, Spectrum.stableRank(singular), tag);

        DenseLayer next = description.next(layer);
        boolean hidden = next != null && weights[next.index()] != null;
        if (hidden) {
            LayerSnapshot s = snapshot.layer(layer.index());
            float[] wNext = snapshot.layer(next.index()).weight();
            int g = description.grouping(layer).positions(); // u_i = the g columns of W_{l+1} reading channel i
            boolean[] dead = NeuronCensus.deadMask(s.weight(), s.bias(), layer.outputs(), layer.inputs(), wNext,
                    next.outputs(), g, config.deadAbsolute(), config.deadRelative());
            int deadCount = 0;
            for (boolean d : dead) {
                deadCount += d ? 1 : 0;
            }
            out.put(NoetherMetric.NEURONS_DEAD, deadCount, tag);
            out.put(NoetherMetric.NEURONS_DISTINCT, NeuronCensus.distinct(s.weight(), layer.outputs(), layer.inputs(),
                    wNext, next.outputs(), g, dead, config.distinctCosine()), tag);
        }
        if (probe == null) {
            return;
        }
        if (!probeFinite(probe)) {
            nonFinite.accept(layer.index());
            return;
        }
        int m = layer.outputs();
        DMatrixRMaj hb = matrix(probe.outputMoment(), m);
        if (hb != null) {
            out.put(NoetherMetric.REPRESENTATION_EFFECTIVE_RANK,
                    Spectrum.effectiveRank(clampNonNegative(Spectrum.symmetricEigenvalues(hb))), tag);
        }
        boolean readByALayer = description.hidden(layer);
        if (readByALayer && probe.activeFraction() != null) {
            out.put(NoetherMetric.NEURONS_INACTIVE, ProbeCensus.inactive(probe.activeFraction()), tag);
        }
        if (readByALayer && hb != null && probe.outputMean() != null) {
            NeuronCorrelation r = ProbeCensus.correlation(hb.data, toDouble(probe.outputMean()), m,
                    config.blockCorrelation());
            out.put(NoetherMetric.NEURON_BLOCKS, r.blocks(), tag);
            out.put(NoetherMetric.NEURON_BLOCK_MAX_SIZE, r.maxBlockSize(), tag);
            out.put(NoetherMetric.NEURON_CORRELATION_MEAN_ABS, r.meanAbs(), tag);
            Map<String, Object> correlation = new LinkedHashMap<>();
            correlation.put("neurons", r.keptNeurons());
            correlation.put("order", r.order());
            if (r.keptNeurons().length <= MAX_LOGGED_CORRELATION) {
                correlation.put("matrix", r.correlationMatrix());
            }
            detail.put("correlation", correlation);
        }
        DMatrixRMaj ha = matrix(probe.inputMoment(), layer.inputs());
        DMatrixRMaj gb = matrix(probe.outputGradientMoment(), m);
        if (ha == null || gb == null || hb == null) {
            return;
        }
        // Wide layers: principal submatrices over a fixed neuron sample (see NeuronSample)
        int[] outs = NeuronSample.of(m, config.exactDimensionLimit(), config.seed());
        int[] ins = NeuronSample.of(layer.inputs(), config.exactDimensionLimit(), config.seed() + 1);
        DMatrixRMaj wIn = NeuronSample.columns(w, ins);
        // Z_a = WᵀW, Z_b = WWᵀ, G_a = Wᵀ G_b W, computed once and shared by CRH, PAH and FDT
        DMatrixRMaj za = CrhAlignments.inputGram(wIn);
        DMatrixRMaj zb = CrhAlignments.outputGram(NeuronSample.rows(w, outs));
        DMatrixRMaj ga = CrhAlignments.inputGradientMoment(wIn, gb);
        ha = NeuronSample.principal(ha, ins);
        hb = NeuronSample.principal(hb, outs);
        gb = NeuronSample.principal(gb, outs);
        CrhAlignments alignments = CrhAlignments.fromMoments(ha, ga, za, hb, gb, zb, config.seed());
        for (CrhSide side : CrhSide.values()) {
            for (CrhRelation relation : CrhRelation.values()) {
                String[] tags = {"layer", layer.name(), "side", side.tag(), "relation", relation.tag()};
                out.put(NoetherMetric.CRH_ALIGNMENT, alignments.alignment(side, relation), tags);
                out.put(NoetherMetric.CRH_ALIGNMENT_BASELINE, alignments.baseline(side, relation), tags);
            }
        }
        CrhPhase phase = phases[layer.index()].classify(alignments);
        for (CrhPhase p : CrhPhase.values()) {
            out.put(NoetherMetric.CRH_PHASE, p == phase ? 1 : 0, "layer", layer.name(), "phase", p.tag());
        }
        OptionalDouble predicted = phase.predictedExponent();
        if (predicted.isPresent()) {
            out.put(NoetherMetric.PAH_EXPONENT_PREDICTED, predicted.getAsDouble(), "layer", layer.name(), "side", "b");
        }
        Map<String, Object> pah = new LinkedHashMap<>();
        pah(layer, "a", ha, ga, out, pah);
        pah(layer, "b", hb, gb, out, pah);
        detail.put("pah", pah);
        out.put(NoetherMetric.FDT_RESIDUAL, FluctuationDissipation.residual(zb, gb, hb),
                "layer", layer.name(), "side", "b");
    }

    private static void pah(DenseLayer layer, String side, DMatrixRMaj h, DMatrixRMaj g, NoetherReport.Builder out,
                            Map<String, Object> detail) {
        PahFit fit = PolynomialAlignment.fit(h, g);
        out.put(NoetherMetric.PAH_EXPONENT, fit.exponent(), "layer", layer.name(), "side", side);
        out.put(NoetherMetric.PAH_FIT_R2, fit.r2(), "layer", layer.name(), "side", side);
        Map<String, Object> points = new LinkedHashMap<>();
        points.put("log_lambda_g", fit.x());
        points.put("log_lambda_h", fit.y());
        detail.put(side, points);
    }

    private static double square(double x) {
        return x * x;
    }

    /**
     * Rotation pairs (identity activation, no bias): C = W_l W_lᵀ − W_{l+1}ᵀ W_{l+1} (m × m), charge ‖C‖_F and
     * drift ‖C(t) − C(t0)‖_F / S(t0), t0 the first analysis.
     */
    private void rotationCharges(DMatrixRMaj[] weights, NoetherReport.Builder out) {
        for (SymmetryPair pair : description.pairs()) {
            if (pair.symmetry() != Symmetry.ROTATION) {
                continue;
            }
            DMatrixRMaj a = weights[pair.first().index()];
            DMatrixRMaj b = weights[pair.second().index()];
            if (a == null || b == null) {
                continue;
            }
            DMatrixRMaj c = CrhAlignments.outputGram(a); // W_l W_lᵀ
            CommonOps_DDRM.subtractEquals(c, CrhAlignments.inputGram(b)); // − W_{l+1}ᵀ W_{l+1}
            double scale = square(frobenius(a)) + square(frobenius(b));
            DMatrixRMaj c0 = initialRotationCharge.computeIfAbsent(pair, p -> c.copy());
            double s0 = initialRotationScale.computeIfAbsent(pair, p -> scale);
            DMatrixRMaj diff = c.copy();
            CommonOps_DDRM.subtractEquals(diff, c0);
            String[] tags = {"pair", pair.tag(), "symmetry", pair.symmetry().tag()};
            out.put(NoetherMetric.CHARGE, frobenius(c), tags);
            out.put(NoetherMetric.CHARGE_DRIFT, s0 > 0 ? frobenius(diff) / s0 : Double.NaN, tags);
        }
    }

    private Map<String, Object> neuronChargeDetails() {
        double[][] charges = neuronCharges.get();
        Map<String, Object> byPair = new LinkedHashMap<>();
        List<SymmetryPair> pairs = description.pairs();
        for (int k = 0; k < pairs.size() && k < charges.length; k++) {
            if (charges[k] != null) {
                byPair.put(pairs.get(k).tag(), charges[k]);
            }
        }
        return byPair;
    }

    private static double frobenius(DMatrixRMaj m) {
        double s = 0;
        for (double v : m.data) {
            s += v * v;
        }
        return Math.sqrt(s);
    }

    private static DMatrixRMaj matrix(float[] values, int d) {
        return values == null ? null : DMatrixRMaj.wrap(d, d, toDouble(values));
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    private static double[] clampNonNegative(double[] v) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Math.max(0, v[i]);
        }
        return out;
    }

    private static boolean allFinite(float[] a) {
        double s = 0;
        for (float x : a) {
            s += (double) x * x;
        }
        return Double.isFinite(s);
    }

    private static boolean probeFinite(LayerProbe p) {
        for (float[] a : new float[][] {p.inputMoment(), p.outputMoment(), p.outputGradientMoment(), p.outputMean(),
                p.activeFraction()}) {
            if (a != null && !allFinite(a)) {
                return false;
            }
        }
        return true;
    }
}
