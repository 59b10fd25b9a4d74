package dev.noether.core.physics;

import dev.noether.core.model.LayerSnapshot;

/**
 * The sums between two consecutive observed snapshots of one layer that METRICS.md §11 needs beyond the per-step
 * moments ({@link LayerMoments}): with Δ = θ(t+1) − θ(t) the update actually applied and ĝ the batch-mean loss
 * gradients, per tensor (W, and b when the layer has one) θ(t)·Δ, ‖Δ‖², ĝ(t)·Δ, and, for the momentum
 * predictions at t+1, ĝ(t+1)·Δ and ĝ(t+1)·ĝ(t). One pass over the four arrays, accumulated in double (Δ is taken
 * in double from the two float copies, so ‖Δ‖² has no cancellation).
 */
public final class ConsecutiveSums {
    /**
     * One tensor's sums.
     *
     * @param thetaDelta    θ(t)·Δ
     * @param deltaSquared  ‖Δ‖²
     * @param gradDelta     ĝ(t)·Δ
     * @param nextGradDelta ĝ(t+1)·Δ, NaN when not taken
     * @param nextGradGrad  ĝ(t+1)·ĝ(t), NaN when not taken
     */
    public record Tensor(double thetaDelta, double deltaSquared, double gradDelta, double nextGradDelta,
                         double nextGradGrad) {
        boolean isFinite() {
            return Double.isFinite(thetaDelta) && Double.isFinite(deltaSquared) && Double.isFinite(gradDelta);
        }
    }

    /** The weight's sums. */
    public final Tensor weight;
    /** The bias's sums, null when the layer has no bias. */
    public final Tensor bias;

    private ConsecutiveSums(Tensor weight, Tensor bias) {
        this.weight = weight;
        this.bias = bias;
    }

    /**
     * The sums from step t ({@code before}) to step t+1 ({@code after}); null when either lacks the arrays or
     * {@code before} its gradients (engine reductions carry none of this), or a sum is not finite.
     *
     * @param nextGradients also take ĝ(t+1)·Δ and ĝ(t+1)·ĝ(t) (the momentum predictions need them)
     */
    public static ConsecutiveSums of(LayerSnapshot before, LayerSnapshot after, boolean nextGradients) {
        if (before == null || after == null || before.reductions() != null || after.reductions() != null
                || !before.hasWeights() || !after.hasWeights() || !before.hasGradients()) {
            return null;
        }
        boolean next = nextGradients && after.hasGradients();
        Tensor w = tensor(before.weight(), after.weight(), before.weightGradient(), before.gradientScale(),
                next ? after.weightGradient() : null, after.gradientScale());
        Tensor b = before.bias() == null || after.bias() == null ? null
                : tensor(before.bias(), after.bias(), before.biasGradient(), before.gradientScale(),
                        next ? after.biasGradient() : null, after.gradientScale());
        if (!w.isFinite() || b != null && !b.isFinite()) {
            return null;
        }
        return new ConsecutiveSums(w, b);
    }

    static Tensor tensor(float[] theta, float[] thetaNext, float[] grad, double gradScale, float[] gradNext,
                         double gradNextScale) {
        if (theta.length != thetaNext.length || grad.length != theta.length
                || gradNext != null && gradNext.length != theta.length) {
            throw new IllegalArgumentException("consecutive snapshots of different shapes: " + theta.length + ", "
                    + thetaNext.length + ", " + grad.length + (gradNext == null ? "" : ", " + gradNext.length));
        }
        double thetaDelta = 0;
        double deltaSq = 0;
        double gradDelta = 0;
        double nextGradDelta = 0;
        double nextGradGrad = 0;
        for (int j = 0; j < theta.length; j++) {
            double x = theta[j];
            double d = (double) thetaNext[j] - x;
            double g = grad[j];
            thetaDelta += x * d;
            deltaSq += d * d;
            gradDelta += g * d;
            if (gradNext != null) {
                double h = gradNext[j];
                nextGradDelta += h * d;
                nextGradGrad += h * g;
            }
        }
        // the scales (1/B for DL4J's summed gradients) are applied once, to the sums
        return new Tensor(thetaDelta, deltaSq, gradDelta * gradScale,
                gradNext == null ? Double.NaN : nextGradDelta * gradNextScale,
                gradNext == null ? Double.NaN : nextGradGrad * gradScale * gradNextScale);
    }
}
