package dev.noether.core.runtime;

import dev.noether.core.catalogue.MetricFamily;
import dev.noether.core.model.AttentionBlock;
import dev.noether.core.model.DenseLayer;
import dev.noether.core.model.LayerSnapshot;
import dev.noether.core.model.OptimizerSettings;
import dev.noether.core.model.Symmetry;
import dev.noether.core.physics.DoubleRotation;

import java.util.Arrays;

/**
 * One double-rotation pair of an attention block (METRICS.md §12), Q/K or V/O, tracked step by step: the
 * head-block matrix charge C = X₁X₁ᵀ − X₂X₂ᵀ ({@link DoubleRotation}), its drift from C(t₀), the observed and
 * predicted per-step change of tr C (so that the rates read like those of every other pair), the matrix residual
 * ‖C(t+1) − Ĉ(t+1)‖_F / S(t) of the exact plain-SGD prediction, and {@code symmetry.violation}. Needs the host
 * arrays of the four projections (a snapshot of engine reductions without weights leaves the pair out for that
 * step and breaks its continuity). Not thread-safe: one training thread calls it.
 */
final class AttentionCharge {
    private final AttentionBlock block;
    private final boolean queryKey;
    private final String tag;
    private final int window;

    private double[] initial;
    private double initialScale;

    private long previousStep = Long.MIN_VALUE;
    private double previousTrace;
    private double previousScale;
    private double[] predictedNext;

    private final NoetherCharge.Windows windows = new NoetherCharge.Windows();
    private final NoetherCharge.Window current = windows.current;

    AttentionCharge(AttentionBlock block, boolean queryKey, int window) {
        this.block = block;
        this.queryKey = queryKey;
        this.tag = queryKey ? block.queryKeyTag() : block.valueOutputTag();
        this.window = window;
    }

    DenseLayer first() {
        return queryKey ? block.query() : block.value();
    }

    DenseLayer second() {
        return queryKey ? block.key() : block.output();
    }

    void interrupt() {
        previousStep = Long.MIN_VALUE;
        predictedNext = null;
    }

    void resetDrift() {
        initial = null;
    }

    /** Observes step {@code step} from the two projections' snapshots; false when their arrays are not at hand. */
    boolean observe(long step, LayerSnapshot a, LayerSnapshot b, OptimizerSettings optimizer,
                    NoetherReport.Builder out) {
        if (a.weight() == null || b.weight() == null) {
            interrupt();
            return false;
        }
        DenseLayer l1 = first();
        DenseLayer l2 = second();
        int d = block.headSize();
        double[][] x1 = DoubleRotation.rows(a.weight(), a.bias(), l1.outputs(), l1.inputs(), 1);
        double[][] x2 = queryKey ? DoubleRotation.rows(b.weight(), b.bias(), l2.outputs(), l2.inputs(), 1)
                : DoubleRotation.columns(b.weight(), l2.outputs(), l2.inputs(), 1);
        double[] c = DoubleRotation.charge(x1, x2, d);
        double scale = DoubleRotation.squaredNorm(x1) + DoubleRotation.squaredNorm(x2);
        double trace = DoubleRotation.trace(c, d);
        if (initial == null) {
            initial = c;
            initialScale = scale;
        }
        if (previousStep == step - 1 && previousScale > 0) {
            double observed = (trace - previousTrace) / previousScale;
            if (predictedNext != null) {
                double predicted = (DoubleRotation.trace(predictedNext, d) - previousTrace) / previousScale;
                double residual = DoubleRotation.frobenius(DoubleRotation.subtract(c, predictedNext)) / previousScale;
                current.add(observed, predicted, residual);
            } else {
                current.add(observed, Double.NaN);
            }
        }
        predictedNext = null;
        boolean gradients = a.weightGradient() != null && b.weightGradient() != null
                && (a.bias() == null || a.biasGradient() != null) && (!queryKey || b.bias() == null || b.biasGradient() != null);
        if (gradients) {
            double[][] g1 = DoubleRotation.rows(a.weightGradient(), a.biasGradient(), l1.outputs(), l1.inputs(),
                    a.gradientScale());
            double[][] g2 = queryKey
                    ? DoubleRotation.rows(b.weightGradient(), b.biasGradient(), l2.outputs(), l2.inputs(), b.gradientScale())
                    : DoubleRotation.columns(b.weightGradient(), l2.outputs(), l2.inputs(), b.gradientScale());
            current.addViolation(DoubleRotation.violation(x1, g1, x2, g2, d));
            // the exact matrix prediction is plain SGD's (METRICS.md §12); under momentum the residual is absent
            if (optimizer.isPlainSgd() && optimizer.predictsCharge()) {
                predictedNext = DoubleRotation.predictNext(x1, g1, decays(x1, l1, optimizer), x2, g2,
                        decays(x2, queryKey ? l2 : null, optimizer), optimizer.learningRate(), d);
            }
        }
        previousStep = step;
        previousTrace = trace;
        previousScale = scale;
        windows.advance(step, window);
        String[] tags = {"pair", tag, "symmetry", Symmetry.DOUBLE_ROTATION.tag()};
        NoetherCharge.Window shown = windows.shown();
        out.put(MetricFamily.CHARGE, DoubleRotation.frobenius(c), tags);
        out.put(MetricFamily.CHARGE_RELATIVE, scale > 0 ? trace / scale : Double.NaN, tags);
        out.put(MetricFamily.CHARGE_DRIFT, initialScale > 0
                ? DoubleRotation.frobenius(DoubleRotation.subtract(c, initial)) / initialScale : Double.NaN, tags);
        out.put(MetricFamily.CHARGE_DRIFT_RATE, shown.meanRate(), tags);
        out.put(MetricFamily.CHARGE_DRIFT_RATE_PREDICTED, shown.meanPredicted(), tags);
        out.put(MetricFamily.CHARGE_RESIDUAL, shown.maxResidual(), tags);
        out.put(MetricFamily.SYMMETRY_VIOLATION, shown.meanViolation(), tags);
        return true;
    }

    /** γ per column of X: the weights' decay, and the biases' on the bias column of a row side ({@code layer}). */
    private static double[] decays(double[][] x, DenseLayer layer, OptimizerSettings o) {
        double[] g = new double[x.length == 0 ? 0 : x[0].length];
        Arrays.fill(g, o.weightDecay());
        if (layer != null && layer.hasBias()) {
            g[g.length - 1] = o.biasDecay();
        }
        return g;
    }
}
