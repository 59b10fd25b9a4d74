package dev.noether.core.model;

import java.util.Objects;

/**
 * What the optimizer does at this step, as far as the adapter knows it. The predicted charge drift
 * (METRICS.md §2) exists only for {@link #plainSgd(double, double, double) plain SGD} with known η and weight
 * decays γ_p.
 *
 * @param name         the optimizer's name, for {@code noether.info{optimizer}}
 * @param plainSgd     true for plain SGD θ ← θ − η(ĝ + γ_p θ)
 * @param learningRate η, NaN when unknown
 * @param weightDecay  γ of the weights, NaN when unknown
 * @param biasDecay    γ of the biases, NaN when unknown
 */
public record OptimizerSettings(String name, boolean plainSgd, double learningRate, double weightDecay,
                                double biasDecay) {
    public OptimizerSettings {
        Objects.requireNonNull(name, "name");
    }

    /**
     * Plain SGD: θ ← θ − η(ĝ + γ_p θ), no momentum.
     *
     * @param learningRate η
     * @param weightDecay  γ for weights (L2 coefficient as it enters the gradient; 0 for none)
     * @param biasDecay    γ for biases (frameworks such as DL4J decay them separately)
     */
    public static OptimizerSettings plainSgd(double learningRate, double weightDecay, double biasDecay) {
        return new OptimizerSettings("sgd", true, learningRate, weightDecay, biasDecay);
    }

    /** Any other optimizer (momentum, Adam, ...): only observed drift is reported. η may be NaN if unknown. */
    public static OptimizerSettings other(String name, double learningRate) {
        return new OptimizerSettings(name, false, learningRate, Double.NaN, Double.NaN);
    }

    /** Nothing is known about the optimizer. */
    public static OptimizerSettings unknown() {
        return new OptimizerSettings("unknown", false, Double.NaN, Double.NaN, Double.NaN);
    }

    /** True for plain SGD (the same as {@link #plainSgd()}). */
    public boolean isPlainSgd() {
        return plainSgd;
    }

    /** True when the exact charge prediction of METRICS.md §2 can be made. */
    public boolean predictsCharge() {
        return plainSgd && Double.isFinite(learningRate) && Double.isFinite(weightDecay) && Double.isFinite(biasDecay);
    }

    @Override
    public String toString() {
        return plainSgd ? "sgd(η=" + learningRate + ", γ=" + weightDecay + ", γ_b=" + biasDecay + ")"
                : name + "(η=" + learningRate + ")";
    }
}
