package dev.noether.core.runtime;

import dev.noether.core.catalogue.MetricFamily;
import dev.noether.core.model.ChannelGrouping;
import dev.noether.core.model.OptimizerSettings;
import dev.noether.core.model.Symmetry;
import dev.noether.core.model.SymmetryPair;
import dev.noether.core.physics.LayerMoments;

/**
 * The Noether charge of one symmetric pair, tracked step by step (METRICS.md §2). Per neuron
 * {@code C_i = ‖w_i‖² + b_i² − ‖u_i‖²}, u_i the columns of W_{l+1} that the pair's {@link ChannelGrouping} gives
 * channel i (one column for dense→dense, ∏k for conv→conv, the positions for conv→flatten→dense); the pair charge Q = Σ C_i and scale S = Σ (‖w_i‖² + b_i² + ‖u_i‖²).
 *
 * <p>For plain SGD with L2 decay γ_p, θ ← (1 − ηγ_p)θ − ηĝ, and the symmetry's identity
 * {@code w_i·ĝ_{w_i} + b_i ĝ_{b_i} − u_i·ĝ_{u_i} = 0} cancels the first-order term, leaving the exact prediction
 * {@code Q(t+1) = Σ_p s_p [(1−ηγ_p)² ‖θ_p‖² + η² ‖ĝ_p‖² + 2η²γ_p θ_p·ĝ_p]}, s_p = +1 for w, b and −1 for u.
 * The residual between observed and predicted steps is round-off when the symmetry holds, and large when
 * something the description does not model breaks it. Not thread-safe: one training thread calls it.
 */
final class NoetherCharge {
    private final SymmetryPair pair;
    private final int window;

    private double[] initial;      // C_i(t0)
    private double initialScale;   // S(t0)

    private long previousStep = Long.MIN_VALUE;
    private double previousCharge;
    private double previousScale;
    private double predictedNext = Double.NaN;

    private final Window current = new Window();
    private Window completed;
    private long windowStart = Long.MIN_VALUE;

    NoetherCharge(SymmetryPair pair, int window) {
        this.pair = pair;
        this.window = window;
    }

    SymmetryPair pair() {
        return pair;
    }

    /** Forgets the continuity with the previous step, e.g. after a non-finite layer was skipped. */
    void interrupt() {
        previousStep = Long.MIN_VALUE;
        predictedNext = Double.NaN;
    }

    /** Starts the drift afresh from the next observed step (METRICS.md §2: "or last reset"). */
    void resetDrift() {
        initial = null;
    }

    /**
     * Observes step {@code step}: θ(t) and ĝ(t) of both layers, and the optimizer of the update about to be
     * applied. Writes the pair's values to {@code out}; returns the per-neuron charges C_i(t).
     */
    double[] observe(long step, LayerMoments first, LayerMoments second, OptimizerSettings optimizer,
                     NoetherReport.Builder out) {
        int m = first.rows;
        double[] charges = new double[m];
        double q = 0;
        double scale = 0;
        for (int i = 0; i < m; i++) {
            double in = first.rowSq[i] + (first.biasSq == null ? 0 : first.biasSq[i]);
            double outgoing = pair.grouping().sum(second.colSq, i);
            charges[i] = in - outgoing;
            q += charges[i];
            scale += in + outgoing;
        }
        if (initial == null) {
            initial = charges.clone();
            initialScale = scale;
        }
        double drift = 0;
        for (int i = 0; i < m; i++) {
            drift += Math.abs(charges[i] - initial[i]);
        }

        if (previousStep == step - 1 && previousScale > 0) {
            double observed = (q - previousCharge) / previousScale;
            double predicted = Double.isNaN(predictedNext) ? Double.NaN : (predictedNext - previousCharge) / previousScale;
            current.add(observed, predicted);
        }
        if (first.hasGradients && second.hasGradients) {
            current.addViolation(violation(first, second, pair.grouping()));
            predictedNext = optimizer.predictsCharge() ? predict(first, second, pair.grouping(), optimizer) : Double.NaN;
        } else {
            predictedNext = Double.NaN;
        }
        previousStep = step;
        previousCharge = q;
        previousScale = scale;
        if (windowStart == Long.MIN_VALUE) {
            windowStart = step;
        }
        // a window closes after analysisEvery steps once it holds a rate: on sampled runs it spans several runs
        if (step - windowStart + 1 >= window && current.rates > 0) {
            completed = current.copy();
            current.clear();
            windowStart = step + 1;
        }

        String[] tags = {"pair", pair.tag(), "symmetry", pair.symmetry().tag()};
        Window shown = completed != null ? completed : current;
        if (pair.symmetry() == Symmetry.RESCALING) {
            // rotation pairs get the matrix charge ‖C‖_F, its relative value and drift from the heavy tier (tr C
            // is not the charge there)
            out.put(MetricFamily.CHARGE, q, tags);
            out.put(MetricFamily.CHARGE_RELATIVE, scale > 0 ? q / scale : Double.NaN, tags);
            out.put(MetricFamily.CHARGE_DRIFT, initialScale > 0 ? drift / initialScale : Double.NaN, tags);
        }
        out.put(MetricFamily.CHARGE_DRIFT_RATE, shown.meanRate(), tags);
        out.put(MetricFamily.CHARGE_DRIFT_RATE_PREDICTED, shown.meanPredicted(), tags);
        out.put(MetricFamily.CHARGE_RESIDUAL, shown.maxResidual(), tags);
        out.put(MetricFamily.SYMMETRY_VIOLATION, shown.meanViolation(), tags);
        return charges;
    }

    /** Σ_i |w_i·ĝ_w + b_i ĝ_b − u_i·ĝ_u| / Σ_i (|w_i·ĝ_w| + |b_i ĝ_b| + |u_i·ĝ_u|). */
    static double violation(LayerMoments first, LayerMoments second, ChannelGrouping g) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < first.rows; i++) {
            double w = first.rowDot[i];
            double b = first.biasDot == null ? 0 : first.biasDot[i];
            double u = g.sum(second.colDot, i);
            num += Math.abs(w + b - u);
            den += Math.abs(w) + Math.abs(b) + Math.abs(u);
        }
        return den > 0 ? num / den : 0;
    }

    static double predict(LayerMoments first, LayerMoments second, ChannelGrouping g, OptimizerSettings o) {
        double eta = o.learningRate();
        double eta2 = eta * eta;
        double kw = sq(1 - eta * o.weightDecay());
        double kb = sq(1 - eta * o.biasDecay());
        double cw = 2 * eta2 * o.weightDecay();
        double cb = 2 * eta2 * o.biasDecay();
        double q = 0;
        for (int i = 0; i < first.rows; i++) {
            q += kw * first.rowSq[i] + eta2 * first.rowGradSq[i] + cw * first.rowDot[i];
            if (first.biasSq != null) {
                q += kb * first.biasSq[i] + eta2 * first.biasGradSq[i] + cb * first.biasDot[i];
            }
            q -= kw * g.sum(second.colSq, i) + eta2 * g.sum(second.colGradSq, i) + cw * g.sum(second.colDot, i);
        }
        return q;
    }

    private static double sq(double x) {
        return x * x;
    }

    /**
     * Accumulates the per-step rates observed in one window of {@code analysisEvery} training steps (also the
     * attention blocks' matrix charges, {@link AttentionCharge}, which bring their own residual).
     */
    static final class Window {
        int rates;
        double rateSum;
        int predictions;
        double predictedSum;
        double residualMax = Double.NaN;
        int violations;
        double violationSum;

        void add(double observed, double predicted) {
            add(observed, predicted, Math.abs(observed - predicted));
        }

        /** A step whose residual is not |observed − predicted| (a matrix charge: ‖C − Ĉ‖_F / S). */
        void add(double observed, double predicted, double residual) {
            rates++;
            rateSum += observed;
            if (!Double.isNaN(predicted)) {
                predictions++;
                predictedSum += predicted;
                residualMax = Double.isNaN(residualMax) ? residual : Math.max(residualMax, residual);
            }
        }

        void addViolation(double v) {
            violations++;
            violationSum += v;
        }

        double meanRate() {
            return rates == 0 ? Double.NaN : rateSum / rates;
        }

        double meanPredicted() {
            return predictions == 0 ? Double.NaN : predictedSum / predictions;
        }

        double maxResidual() {
            return residualMax;
        }

        double meanViolation() {
            return violations == 0 ? Double.NaN : violationSum / violations;
        }

        Window copy() {
            Window w = new Window();
            w.rates = rates;
            w.rateSum = rateSum;
            w.predictions = predictions;
            w.predictedSum = predictedSum;
            w.residualMax = residualMax;
            w.violations = violations;
            w.violationSum = violationSum;
            return w;
        }

        void clear() {
            rates = 0;
            rateSum = 0;
            predictions = 0;
            predictedSum = 0;
            residualMax = Double.NaN;
            violations = 0;
            violationSum = 0;
        }
    }
}
