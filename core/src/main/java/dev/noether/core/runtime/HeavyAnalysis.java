package dev.noether.core.runtime;

import dev.noether.core.catalogue.MetricFamily;
import dev.noether.core.linalg.LinearAlgebra;
import dev.noether.core.model.AttentionBlock;
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
import dev.noether.core.physics.DistinctNeurons;
import dev.noether.core.physics.FluctuationDissipation;
import dev.noether.core.physics.NeuronCensus;
import dev.noether.core.physics.NeuronCorrelation;
import dev.noether.core.physics.PahFit;
import dev.noether.core.physics.PolynomialAlignment;
import dev.noether.core.physics.ProbeCensus;
import dev.noether.core.physics.PsdSketch;
import dev.noether.core.physics.RankQuadrature;
import dev.noether.core.physics.RecurrentUnits;
import dev.noether.core.physics.SketchedLayer;
import dev.noether.core.physics.Spectrum;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

import java.time.Instant;
import java.util.ArrayList;
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
    /** Test vectors beyond the probe batch size, so that its moments (rank ≤ samples) are sketched exactly. */
    private static final int SKETCH_OVERSAMPLING = 8;

    private final NetworkDescription description;
    private final NoetherConfig config;
    private final LinearAlgebra la;
    private final IntConsumer nonFinite;
    private final Supplier<double[][]> neuronCharges;
    private final CrhPhaseClassifier[] phases;
    private final Map<SymmetryPair, DMatrixRMaj> initialRotationCharge = new LinkedHashMap<>();
    private final Map<SymmetryPair, Double> initialRotationScale = new LinkedHashMap<>();
    /** Set by {@link #resetDrift()} on any thread, consumed by the next analysis. */
    private volatile boolean driftResetRequested;

    HeavyAnalysis(NetworkDescription description, NoetherConfig config, IntConsumer nonFinite,
                  Supplier<double[][]> neuronCharges) {
        this.description = description;
        this.config = config;
        this.la = LinearAlgebra.of(config.linearAlgebra());
        this.nonFinite = nonFinite;
        this.neuronCharges = neuronCharges;
        this.phases = new CrhPhaseClassifier[description.layers().size()];
        for (int i = 0; i < phases.length; i++) {
            phases[i] = new CrhPhaseClassifier(config.alignmentThreshold(), config.alignmentHysteresis());
        }
    }

    /** Restarts the rotation pairs' drift from the next analysis (METRICS.md §2, "or last reset"). */
    void resetDrift() {
        driftResetRequested = true;
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
        Map<String, Object> nonFiniteTensors = new LinkedHashMap<>();
        for (DenseLayer layer : layers) {
            DMatrixRMaj w = weights[layer.index()];
            if (w == null) {
                continue; // counted by the step tier at this very step
            }
            Map<String, Object> detail = new LinkedHashMap<>();
            analyzeLayer(layer, w, snapshot, weights, probeOf[layer.index()], out, detail);
            Object nonFinite = detail.remove(NonFiniteTensors.DETAIL);
            if (nonFinite != null) {
                nonFiniteTensors.put(layer.name(), nonFinite);
            }
            if (!detail.isEmpty()) {
                layerDetails.put(layer.name(), detail);
            }
        }
        rotationCharges(weights, out);
        attentionHeads(snapshot, weights, out);
        out.detail("layers", layerDetails);
        out.detail("neuron.charges", neuronChargeDetails());
        if (!nonFiniteTensors.isEmpty()) {
            out.detail(NonFiniteTensors.DETAIL, nonFiniteTensors);
        }
        return out.build();
    }

    private void analyzeLayer(DenseLayer layer, DMatrixRMaj w, StepSnapshot snapshot, DMatrixRMaj[] weights,
                              LayerProbe probe, NoetherReport.Builder out, Map<String, Object> detail) {
        String[] tag = {"layer", layer.name()};
        // min(m, n) above the exact limit: the singular values (O(d² max(m, n))) give way to stochastic Lanczos
        // quadrature with an estimated bound (RankQuadrature), reported in the sketch details
        RankQuadrature quadrature = null;
        double spectralNorm2;
        if (Math.min(layer.outputs(), layer.inputs()) > config.exactDimensionLimit()) {
            quadrature = RankQuadrature.of(w, config.seed() + 6, la);
            out.put(MetricFamily.LAYER_EFFECTIVE_RANK, quadrature.effectiveRank(), tag);
            out.put(MetricFamily.LAYER_STABLE_RANK, quadrature.stableRank(), tag);
            spectralNorm2 = quadrature.spectralNorm2();
        } else {
            double[] singular = Spectrum.singularValues(w, config.exactDimensionLimit(), la);
            out.put(MetricFamily.LAYER_EFFECTIVE_RANK, Spectrum.effectiveRank(singular), tag);
            out.put(MetricFamily.LAYER_STABLE_RANK, Spectrum.stableRank(singular), tag);
            spectralNorm2 = singular.length > 0 ? square(singular[0]) : 0;
        }

        if (layer.isWeightOnly()) {
            return; // a weight outside the graph: its ranks only (METRICS.md §12)
        }
        if (layer.isRecurrent() && layer.hiddenStart() >= 0) {
            float[] wr = snapshot.layer(layer.index()).weight();
            int h = layer.units();
            boolean[] dead = RecurrentUnits.deadMask(wr, h, layer.gates(), layer.inputs(), layer.hiddenStart(),
                    config.deadAbsolute(), config.deadRelative());
            int deadCount = 0;
            for (boolean d : dead) {
                deadCount += d ? 1 : 0;
            }
            out.put(MetricFamily.NEURONS_DEAD, deadCount, tag);
            out.put(MetricFamily.NEURONS_DISTINCT, RecurrentUnits.distinct(wr, h, layer.gates(), layer.inputs(),
                    layer.hiddenStart(), dead, config.distinctCosine(), la), tag);
        }
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
            out.put(MetricFamily.NEURONS_DEAD, deadCount, tag);
            out.put(MetricFamily.NEURONS_DISTINCT, DistinctNeurons.count(s.weight(), layer.outputs(), layer.inputs(),
                    wNext, next.outputs(), g, dead, config.distinctCosine(), la), tag);
        }
        if (probe == null) {
            return;
        }
        if (!probeFinite(probe)) {
            nonFinite.accept(layer.index());
            detail.put(NonFiniteTensors.DETAIL, NonFiniteTensors.of(probe));
            return;
        }
        if (probe.inputScale() != 1 || probe.outputScale() != 1 || probe.gradientScale() != 1) {
            // moments of scaled vectors (MomentScale): the metrics are invariant to it, the logged spectra are not
            detail.put("probe.scale", Map.of("h_a", probe.inputScale(), "h_b", probe.outputScale(),
                    "g_b", probe.gradientScale()));
        }
        int m = layer.outputs();
        // Layers wider than the exact limit: Nyström sketches of rank k with stated error bounds
        // (SketchedLayer), k at least the probe batch so that the probe moments are sketched exactly.
        boolean wide = Math.max(m, layer.inputs()) > config.exactDimensionLimit();
        int k = Math.max(config.sketchRank(), probe.samples() + SKETCH_OVERSAMPLING);
        Map<String, Object> sketch = new LinkedHashMap<>();
        if (quadrature != null) {
            sketch.put("layer.effective.rank.log.bound", quadrature.logBound());
            detail.put("sketch", sketch);
        }
        DMatrixRMaj hb = matrix(probe.outputMoment(), m);
        PsdSketch hbSketch = null;
        if (hb != null && wide) {
            hbSketch = PsdSketch.of(hb, k, config.seed() + 4, la);
            out.put(MetricFamily.REPRESENTATION_EFFECTIVE_RANK, Spectrum.effectiveRank(hbSketch.values()), tag);
            sketch.put("rank", k);
            sketch.put("representation.effective.rank.log.bound",
                    SketchedLayer.effectiveRankLogBound(hbSketch, trace(hb)));
            detail.put("sketch", sketch);
        } else if (hb != null) {
            out.put(MetricFamily.REPRESENTATION_EFFECTIVE_RANK,
                    Spectrum.effectiveRank(clampNonNegative(Spectrum.symmetricEigenvalues(hb, la))), tag);
        }
        boolean readByALayer = description.hidden(layer);
        if (readByALayer && probe.activeFraction() != null) {
            out.put(MetricFamily.NEURONS_INACTIVE, ProbeCensus.inactive(probe.activeFraction()), tag);
        }
        if (readByALayer && hb != null && probe.outputMean() != null) {
            NeuronCorrelation r = ProbeCensus.correlation(hb.data, toDouble(probe.outputMean()), m,
                    config.blockCorrelation());
            out.put(MetricFamily.NEURON_BLOCKS, r.blocks(), tag);
            out.put(MetricFamily.NEURON_BLOCK_MAX_SIZE, r.maxBlockSize(), tag);
            out.put(MetricFamily.NEURON_CORRELATION_MEAN_ABS, r.meanAbs(), tag);
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
        CrhAlignments alignments;
        Map<String, Object> pah = new LinkedHashMap<>();
        double fdt;
        if (wide) {
            SketchedLayer sketched = SketchedLayer.of(w, ha, gb, hbSketch, spectralNorm2, k, config.seed(), la);
            alignments = sketched.alignments();
            Map<String, Object> bounds = new LinkedHashMap<>();
            for (CrhSide side : CrhSide.values()) {
                for (CrhRelation relation : CrhRelation.values()) {
                    String key = side.tag() + "." + relation.tag();
                    bounds.put(key, sketched.alignmentBound(side, relation));
                    bounds.put(key + ".baseline", sketched.baselineBound(side, relation));
                }
            }
            sketch.put("crh.alignment.bound", bounds);
            Map<String, Object> missed = new LinkedHashMap<>();
            String[] names = {"h", "g", "z"};
            for (CrhSide side : CrhSide.values()) {
                for (int i = 0; i < names.length; i++) {
                    missed.put(names[i] + "_" + side.tag(), sketched.sketch(side, i).missedTrace());
                }
            }
            sketch.put("missed.trace", missed);
            double[] residual = sketched.fdtResidual();
            fdt = residual[0];
            sketch.put("fdt.residual.upper.bound", residual[1]);
            pah(layer, "a", sketched.pah(CrhSide.A), out, pah);
            pah(layer, "b", sketched.pah(CrhSide.B), out, pah);
        } else {
            // Z_a = WᵀW, Z_b = WWᵀ, G_a = Wᵀ G_b W, computed once and shared by CRH, PAH and FDT
            DMatrixRMaj za = CrhAlignments.inputGram(w, la);
            DMatrixRMaj zb = CrhAlignments.outputGram(w, la);
            DMatrixRMaj ga = CrhAlignments.inputGradientMoment(w, gb, la);
            alignments = CrhAlignments.fromMoments(ha, ga, za, hb, gb, zb);
            pah(layer, "a", PolynomialAlignment.fit(ha, ga, la), out, pah);
            pah(layer, "b", PolynomialAlignment.fit(hb, gb, la), out, pah);
            headPah(layer, ha, ga, hb, gb, pah);
            fdt = FluctuationDissipation.residual(zb, gb, hb);
        }
        for (CrhSide side : CrhSide.values()) {
            for (CrhRelation relation : CrhRelation.values()) {
                String[] tags = {"layer", layer.name(), "side", side.tag(), "relation", relation.tag()};
                out.put(MetricFamily.CRH_ALIGNMENT, alignments.alignment(side, relation), tags);
                out.put(MetricFamily.CRH_ALIGNMENT_BASELINE, alignments.baseline(side, relation), tags);
            }
        }
        CrhPhase phase = phases[layer.index()].classify(alignments);
        for (CrhPhase p : CrhPhase.values()) {
            out.put(MetricFamily.CRH_PHASE, p == phase ? 1 : 0, "layer", layer.name(), "phase", p.tag());
        }
        OptionalDouble predicted = phase.predictedExponent();
        if (predicted.isPresent()) {
            out.put(MetricFamily.PAH_EXPONENT_PREDICTED, predicted.getAsDouble(), "layer", layer.name(), "side", "b");
        }
        detail.put("pah", pah);
        out.put(MetricFamily.FDT_RESIDUAL, fdt, "layer", layer.name(), "side", "b");
    }

    /**
     * Per-head PAH of an attention projection (METRICS.md §12, the talk's Fig. 3): the fit on each head's diagonal
     * block of H and G, on the side the heads split (b for Q, K, V: their rows; a for O: its columns). Into the
     * event log only ({@code pah.heads}): per-head values never become series.
     */
    private void headPah(DenseLayer layer, DMatrixRMaj ha, DMatrixRMaj ga, DMatrixRMaj hb, DMatrixRMaj gb,
                         Map<String, Object> detail) {
        for (AttentionBlock block : description.attention()) {
            boolean rows = layer == block.query() || layer == block.key() || layer == block.value();
            if (!rows && layer != block.output()) {
                continue;
            }
            DMatrixRMaj h = rows ? hb : ha;
            DMatrixRMaj g = rows ? gb : ga;
            int d = block.headSize();
            List<Map<String, Object>> heads = new ArrayList<>();
            for (int head = 0; head < h.numRows / d; head++) {
                PahFit fit = PolynomialAlignment.fit(CommonOps_DDRM.extract(h, head * d, head * d + d, head * d, head * d + d),
                        CommonOps_DDRM.extract(g, head * d, head * d + d, head * d, head * d + d), la);
                Map<String, Object> one = new LinkedHashMap<>();
                one.put("head", head);
                one.put("exponent", fit.exponent());
                one.put("r2", fit.r2());
                one.put("log_lambda_g", fit.x());
                one.put("log_lambda_h", fit.y());
                heads.add(one);
            }
            Map<String, Object> byHead = new LinkedHashMap<>();
            byHead.put("block", block.name());
            byHead.put("side", rows ? "b" : "a");
            byHead.put("heads", heads);
            detail.put("heads", byHead);
            return;
        }
    }

    /**
     * {@code heads.dead} and {@code heads.distinct} of every attention block (METRICS.md §12, §4): a head is a
     * neuron whose incoming weights are its stacked Q, K and V rows and whose outgoing weights are its d_h columns
     * of W_O; §4's dead and distinct rules as for any layer.
     */
    private void attentionHeads(StepSnapshot snapshot, DMatrixRMaj[] weights, NoetherReport.Builder out) {
        for (AttentionBlock block : description.attention()) {
            DenseLayer[] in = {block.query(), block.key(), block.value()};
            DenseLayer o = block.output();
            boolean finite = weights[o.index()] != null;
            int width = 0;
            for (DenseLayer l : in) {
                finite &= weights[l.index()] != null;
                width += block.headSize() * l.inputs();
            }
            if (!finite) {
                continue;
            }
            int heads = block.heads();
            float[] stacked = new float[heads * width];
            for (int h = 0; h < heads; h++) {
                int at = h * width;
                for (DenseLayer l : in) {
                    int span = block.headSize() * l.inputs(); // the head's rows, contiguous in row-major W
                    System.arraycopy(snapshot.layer(l.index()).weight(), h * span, stacked, at, span);
                    at += span;
                }
            }
            float[] wo = snapshot.layer(o.index()).weight();
            boolean[] dead = NeuronCensus.deadMask(stacked, null, heads, width, wo, o.outputs(), block.headSize(),
                    config.deadAbsolute(), config.deadRelative());
            int deadCount = 0;
            for (boolean d : dead) {
                deadCount += d ? 1 : 0;
            }
            String[] tag = {"block", block.name()};
            out.put(MetricFamily.HEADS_DEAD, deadCount, tag);
            out.put(MetricFamily.HEADS_DISTINCT, DistinctNeurons.count(stacked, heads, width, wo, o.outputs(),
                    block.headSize(), dead, config.distinctCosine(), la), tag);
        }
    }

    private static void pah(DenseLayer layer, String side, PahFit fit, NoetherReport.Builder out,
                            Map<String, Object> detail) {
        out.put(MetricFamily.PAH_EXPONENT, fit.exponent(), "layer", layer.name(), "side", side);
        out.put(MetricFamily.PAH_FIT_R2, fit.r2(), "layer", layer.name(), "side", side);
        Map<String, Object> points = new LinkedHashMap<>();
        points.put("log_lambda_g", fit.x());
        points.put("log_lambda_h", fit.y());
        detail.put(side, points);
    }

    private static double trace(DMatrixRMaj s) {
        double t = 0;
        for (int i = 0; i < s.numRows; i++) {
            t += s.unsafe_get(i, i);
        }
        return t;
    }

    private static double square(double x) {
        return x * x;
    }

    /**
     * Rotation pairs (identity activation, no bias): C = W_l W_lᵀ − W_{l+1}ᵀ W_{l+1} (m × m), charge ‖C‖_F and
     * relative charge ‖C‖_F / S with S = ‖W_l‖² + ‖W_{l+1}‖², and drift ‖C(t) − C(t0)‖_F / S(t0), t0 the first
     * analysis or the first after the last reset.
     */
    private void rotationCharges(DMatrixRMaj[] weights, NoetherReport.Builder out) {
        if (driftResetRequested) {
            driftResetRequested = false;
            initialRotationCharge.clear();
            initialRotationScale.clear();
        }
        for (SymmetryPair pair : description.pairs()) {
            if (pair.symmetry() != Symmetry.ROTATION) {
                continue;
            }
            DMatrixRMaj a = weights[pair.first().index()];
            DMatrixRMaj b = weights[pair.second().index()];
            if (a == null || b == null) {
                continue;
            }
            DMatrixRMaj c = CrhAlignments.outputGram(a, la); // W_l W_lᵀ
            CommonOps_DDRM.subtractEquals(c, CrhAlignments.inputGram(b, la)); // − W_{l+1}ᵀ W_{l+1}
            double scale = square(frobenius(a)) + square(frobenius(b));
            DMatrixRMaj c0 = initialRotationCharge.computeIfAbsent(pair, p -> c.copy());
            double s0 = initialRotationScale.computeIfAbsent(pair, p -> scale);
            DMatrixRMaj diff = c.copy();
            CommonOps_DDRM.subtractEquals(diff, c0);
            String[] tags = {"pair", pair.tag(), "symmetry", pair.symmetry().tag()};
            double charge = frobenius(c);
            out.put(MetricFamily.CHARGE, charge, tags);
            out.put(MetricFamily.CHARGE_RELATIVE, scale > 0 ? charge / scale : Double.NaN, tags);
            out.put(MetricFamily.CHARGE_DRIFT, s0 > 0 ? frobenius(diff) / s0 : Double.NaN, tags);
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
