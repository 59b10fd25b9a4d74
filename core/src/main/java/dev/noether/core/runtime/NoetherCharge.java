package dev.noether.core.runtime;

import dev.noether.core.catalogue.MetricFamily;
import dev.noether.core.model.ChannelGrouping;
import dev.noether.core.model.OptimizerSettings;
import dev.noether.core.model.Symmetry;
import dev.noether.core.model.SymmetryPair;
import dev.noether.core.physics.ChargeBudget;
import dev.noether.core.physics.ConsecutiveSums;
import dev.noether.core.physics.LayerMoments;

import java.util.Arrays;
import java.util.Locale;

/**
 * The Noether charge of one symmetric pair, tracked step by step (METRICS.md §2). Per neuron
 * {@code C_i = ‖w_i‖² + b_i² − ‖u_i‖²}, u_i the columns of W_{l+1} that the pair's {@link ChannelGrouping} gives
 * channel i (one column for dense→dense, ∏k for conv→conv, the positions for conv→flatten→dense); the pair charge Q = Σ C_i and scale S = Σ (‖w_i‖² + b_i² + ‖u_i‖²).
 *
 * <p>For plain SGD with L2 decay γ_p, θ ← (1 − ηγ_p)θ − ηĝ, and the symmetry's identity
 * {@code w_i·ĝ_{w_i} + b_i ĝ_{b_i} − u_i·ĝ_{u_i} = 0} cancels the first-order term, leaving the exact prediction
 * {@code Q(t+1) = Σ_p s_p [(1−ηγ_p)² ‖θ_p‖² + η² ‖ĝ_p‖² + 2η²γ_p θ_p·ĝ_p]}, s_p = +1 for w, b and −1 for u.
 * The residual between observed and predicted steps is round-off when the symmetry holds, and large when
 * something the description does not model breaks it. Heavy-ball momentum and Nesterov get the exact prediction
 * of METRICS.md §11 from the update of the step before, and every optimizer the exact split of each observed
 * step into decay, optimizer, gradient and step parts ({@link ChargeBudget}). Not thread-safe: one thread calls it.
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
    /** The pair's groups w, (b,) u at the previous observed step, null without its gradients. */
    private ChargeBudget.Group[] previousGroups;
    private OptimizerSettings previousOptimizer;

    private final Windows windows = new Windows();
    private final Window current = windows.current;

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
        previousGroups = null;
        previousOptimizer = null;
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
        return observe(step, first, second, optimizer, null, null, Double.NaN, out);
    }

    /**
     * Like {@link #observe(long, LayerMoments, LayerMoments, OptimizerSettings, NoetherReport.Builder)}, with the
     * sums of both layers between the previous observed step t−1 and this one (null when not consecutive or not
     * at hand), for the parts of the step t−1 → t and the momentum predictions, and the rotation violation of
     * that step (NaN when not measured).
     */
    double[] observe(long step, LayerMoments first, LayerMoments second, OptimizerSettings optimizer,
                     ConsecutiveSums firstUpdate, ConsecutiveSums secondUpdate, double rotationViolation,
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

        boolean consecutive = previousStep == step - 1;
        ConsecutiveSums.Tensor[] updates = consecutive ? updates(first, firstUpdate, secondUpdate) : null;
        if (consecutive && previousScale > 0) {
            double observed = (q - previousCharge) / previousScale;
            double predicted = Double.isNaN(predictedNext) ? Double.NaN : (predictedNext - previousCharge) / previousScale;
            current.add(observed, predicted);
            if (updates != null && previousGroups != null && previousOptimizer.explainsDrift()) {
                ChargeBudget.Parts parts = ChargeBudget.parts(previousGroups, updates,
                        previousOptimizer.learningRate(), previousOptimizer.currentL2Factor());
                if (parts.isFinite()) {
                    current.addParts(parts, previousScale);
                }
            }
            if (Double.isFinite(rotationViolation)) {
                current.addRotation(rotationViolation);
            }
        }
        ChargeBudget.Group[] groups = first.hasGradients && second.hasGradients ? groups(first, second, optimizer) : null;
        if (groups != null) {
            current.addViolation(violation(first, second, pair.grouping()));
            predictedNext = optimizer.predictsCharge() ? predict(groups, optimizer, updates) : Double.NaN;
        } else {
            predictedNext = Double.NaN;
        }
        previousGroups = groups;
        previousOptimizer = optimizer;
        previousStep = step;
        previousCharge = q;
        previousScale = scale;
        windows.advance(step, window);

        String[] tags = {"pair", pair.tag(), "symmetry", pair.symmetry().tag()};
        Window shown = windows.shown();
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
        if (shown.partCount > 0) {
            for (Part part : Part.values()) {
                out.put(MetricFamily.CHARGE_DRIFT_RATE_PART, shown.partSums[part.ordinal()] / shown.partCount,
                        "pair", pair.tag(), "symmetry", pair.symmetry().tag(), "part", part.tag());
            }
        }
        if (pair.symmetry() == Symmetry.ROTATION) {
            out.put(MetricFamily.ROTATION_VIOLATION, shown.meanRotation(), tags);
        }
        return charges;
    }

    /** The parts of {@code charge.drift.rate.part}, in the order of {@link ChargeBudget.Parts}. */
    enum Part {
        DECAY, OPTIMIZER, GRADIENT, STEP;

        String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The groups w, (b,) u of the pair at this step: s_p, the optimizer's γ_p and δ_p, and the layer totals. */
    private ChargeBudget.Group[] groups(LayerMoments first, LayerMoments second, OptimizerSettings o) {
        ChargeBudget.Group w = new ChargeBudget.Group(1, o.weightDecay(), o.decoupled(false), sum(first.rowSq),
                sum(first.rowDot), sum(first.rowGradSq));
        ChargeBudget.Group u = new ChargeBudget.Group(-1, o.weightDecay(), o.decoupled(false), sum(second.colSq),
                sum(second.colDot), sum(second.colGradSq));
        if (first.biasSq == null) {
            return new ChargeBudget.Group[] {w, u};
        }
        ChargeBudget.Group b = new ChargeBudget.Group(1, o.biasDecay(), o.decoupled(true), sum(first.biasSq),
                sum(first.biasDot), sum(first.biasGradSq));
        return new ChargeBudget.Group[] {w, b, u};
    }

    /** The update sums in the order of {@link #groups}, or null when one is missing. */
    private static ConsecutiveSums.Tensor[] updates(LayerMoments first, ConsecutiveSums firstUpdate,
                                                    ConsecutiveSums secondUpdate) {
        if (firstUpdate == null || secondUpdate == null) {
            return null;
        }
        if (first.biasSq == null) {
            return new ConsecutiveSums.Tensor[] {firstUpdate.weight, secondUpdate.weight};
        }
        if (firstUpdate.bias == null) {
            return null;
        }
        return new ConsecutiveSums.Tensor[] {firstUpdate.weight, firstUpdate.bias, secondUpdate.weight};
    }

    /**
     * Q(t+1) of an SGD-type update (METRICS.md §2, §11); NaN when heavy ball or Nesterov lack the step before.
     *
     * @param updates the sums from the previous observed step t−1 to t, or null
     */
    private double predict(ChargeBudget.Group[] groups, OptimizerSettings o, ConsecutiveSums.Tensor[] updates) {
        ChargeBudget.Momentum[] momentum = new ChargeBudget.Momentum[groups.length];
        double k = 1;
        switch (o.kind()) {
            case SGD -> Arrays.fill(momentum, ChargeBudget.Momentum.NONE);
            case MOMENTUM -> {
                if (updates == null || !hasNextGradients(updates)) {
                    return Double.NaN;
                }
                for (int p = 0; p < groups.length; p++) {
                    momentum[p] = ChargeBudget.heavyBall(o.momentum(), groups[p], updates[p]);
                }
            }
            case NESTEROV -> {
                if (updates == null || !hasNextGradients(updates) || previousGroups == null
                        || previousOptimizer.kind() != OptimizerSettings.Kind.NESTEROV
                        || !previousOptimizer.predictsCharge()) {
                    return Double.NaN;
                }
                for (int p = 0; p < groups.length; p++) {
                    momentum[p] = ChargeBudget.nesterov(o.momentum(), previousOptimizer.momentum(),
                            previousOptimizer.learningRate(), groups[p], previousGroups[p], updates[p]);
                }
                k = 1 + o.momentum();
            }
            default -> {
                return Double.NaN;
            }
        }
        return ChargeBudget.predictNext(groups, momentum, o.learningRate(), k);
    }

    private static boolean hasNextGradients(ConsecutiveSums.Tensor[] updates) {
        for (ConsecutiveSums.Tensor t : updates) {
            if (!Double.isFinite(t.nextGradDelta()) || !Double.isFinite(t.nextGradGrad())) {
                return false;
            }
        }
        return true;
    }

    private static double sum(double[] a) {
        double s = 0;
        for (double v : a) {
            s += v;
        }
        return s;
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

    /**
     * The open window of per-step rates and the last completed one, which reports show (a pair's, and an attention
     * block's matrix charge, {@link AttentionCharge}).
     */
    static final class Windows {
        final Window current = new Window();
        private Window completed;
        private long start = Long.MIN_VALUE;

        /**
         * After the observation of {@code step}: closes the open window once it spans {@code length} steps and
         * holds a rate (on sampled runs it spans several runs).
         */
        void advance(long step, int length) {
            if (start == Long.MIN_VALUE) {
                start = step;
            }
            if (step - start + 1 >= length && current.rates > 0) {
                completed = current.copy();
                current.clear();
                start = step + 1;
            }
        }

        /** The last completed window, or the open one before any has completed. */
        Window shown() {
            return completed != null ? completed : current;
        }
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
        int partCount;
        final double[] partSums = new double[Part.values().length];
        int rotations;
        double rotationSum;

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

        void addParts(ChargeBudget.Parts parts, double scale) {
            partCount++;
            partSums[Part.DECAY.ordinal()] += parts.decay() / scale;
            partSums[Part.OPTIMIZER.ordinal()] += parts.optimizer() / scale;
            partSums[Part.GRADIENT.ordinal()] += parts.gradient() / scale;
            partSums[Part.STEP.ordinal()] += parts.step() / scale;
        }

        void addRotation(double v) {
            rotations++;
            rotationSum += v;
        }

        double meanRotation() {
            return rotations == 0 ? Double.NaN : rotationSum / rotations;
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
            w.partCount = partCount;
            System.arraycopy(partSums, 0, w.partSums, 0, partSums.length);
            w.rotations = rotations;
            w.rotationSum = rotationSum;
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
            partCount = 0;
            Arrays.fill(partSums, 0);
            rotations = 0;
            rotationSum = 0;
        }
    }
}
