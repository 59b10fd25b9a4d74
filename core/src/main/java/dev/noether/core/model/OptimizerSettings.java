package dev.noether.core.model;

import java.util.Objects;

/**
 * What the optimizer does at this step, as far as the adapter knows it. The predicted charge drift
 * (METRICS.md §2) exists only for {@link #plainSgd plain SGD} with known η and weight decays γ_p.
 */
public final class OptimizerSettings {
    private final String name;
    private final boolean plainSgd;
    private final double learningRate;
    private final double weightDecay;
    private final double biasDecay;

    private OptimizerSettings(String name, boolean plainSgd, double learningRate, double weightDecay, double biasDecay) {
        this.name = Objects.requireNonNull(name, "name");
        this.plainSgd = plainSgd;
        this.learningRate = learningRate;
        this.weightDecay = weightDecay;
        this.biasDecay = biasDecay;
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

    /** A short name for the {@code optimizer} tag of {@code noether.info}. */
    public String name() {
        return name;
    }

    public boolean isPlainSgd() {
        return plainSgd;
    }

    /** η, or NaN when unknown. */
    public double learningRate() {
        return learningRate;
    }

    public double weightDecay() {
        return weightDecay;
    }

    public double biasDecay() {
        return biasDecay;
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
