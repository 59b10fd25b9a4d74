package dev.noether.core.model;

import java.util.Locale;
import java.util.Objects;

/**
 * What the optimizer does at this step, as far as the adapter knows it (METRICS.md §11): its kind, η_t after
 * schedules (Adam's bias correction belongs to its preconditioner, not to η_t), momentum μ, Adam's β1, β2 and ε
 * (RMSProp's decay is β2, AdaGrad and RMSProp have ε), and per parameter group (weights, biases) the coupled L2 γ_p
 * (added to the gradient before the optimizer) and the decoupled decay δ_p per step (θ ← (1 − δ_p)θ + the
 * optimizer's step). {@link #identityBreak()} names what the adapter saw that breaks the pair identity (gradient
 * normalization or clipping, L1, constraints, settings that differ between layers); it switches the predictions
 * off. Unknown values are NaN.
 *
 * <p>The exact charge prediction ({@link #predictsCharge()}) exists for plain SGD, heavy-ball momentum and Nesterov
 * with known η, μ, γ_p and δ_p and nothing breaking the identity; the drift's parts ({@link #explainsDrift()}) for
 * any optimizer whose decoupled decay is known (taken as 0 for an {@link Kind#UNKNOWN unknown} one).
 *
 * @param kind          the kind of update, the {@code optimizer} tag of {@code noether.info}
 * @param name          the engine's own name for it (e.g. {@code adadelta} for {@link Kind#OTHER}), for logs
 * @param learningRate  η_t, NaN when unknown
 * @param momentum      μ (heavy ball, Nesterov; RMSProp's momentum in DJL), 0 when the update has none
 * @param beta1         Adam's β1, NaN where not relevant
 * @param beta2         Adam's β2 or RMSProp's decay ρ, NaN where not relevant
 * @param epsilon       the ε of Adam, RMSProp and AdaGrad, NaN where not relevant
 * @param weights       the decay of the weights
 * @param biases        the decay of the biases (DL4J decays them separately)
 * @param identityBreak what breaks the pair identity (empty when nothing does)
 */
public record OptimizerSettings(Kind kind, String name, double learningRate, double momentum, double beta1,
                                double beta2, double epsilon, Decay weights, Decay biases, String identityBreak) {

    /** The kinds of update Noether tells apart. */
    public enum Kind {
        /** θ ← (1 − δ)θ − η(ĝ + γθ). */
        SGD,
        /** Heavy ball: Δ_t = μ Δ_{t−1} − η_t (ĝ + γθ) (DJL {@code Sgd} with momentum). */
        MOMENTUM,
        /** Nesterov: Δ = μ² v − (1 + μ) η r, v ← μ v − η r (DL4J {@code Nesterovs}). */
        NESTEROV,
        ADAM,
        /** Adam with decoupled weight decay. */
        ADAMW,
        RMSPROP,
        ADAGRAD,
        /** An update Noether knows by name but does not model (AdaDelta, AdaMax, Nadam, ...). */
        OTHER,
        /** The adapter could not read the optimizer, or does not know its class. */
        UNKNOWN;

        /** The value of the {@code optimizer} tag: {@code sgd}, {@code momentum}, ... */
        public String tag() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** A scalar learning rate and no preconditioner: plain SGD, heavy ball, Nesterov (METRICS.md §11). */
        public boolean isSgdType() {
            return this == SGD || this == MOMENTUM || this == NESTEROV;
        }

        /** The prediction needs the update of the step before (three consecutive observed steps). */
        public boolean needsPreviousUpdate() {
            return this == MOMENTUM || this == NESTEROV;
        }
    }

    /**
     * One parameter group's decay.
     *
     * @param l2        γ, the coupled L2 coefficient added to the gradient (0 for none, NaN when unknown)
     * @param decoupled δ, the decoupled shrink per step: θ ← (1 − δ)θ + the optimizer's step (0 for none)
     */
    public record Decay(double l2, double decoupled) {
        public static final Decay NONE = new Decay(0, 0);
        public static final Decay UNKNOWN = new Decay(Double.NaN, Double.NaN);

        /** A coupled L2 coefficient only. */
        public static Decay l2(double gamma) {
            return new Decay(gamma, 0);
        }

        boolean isKnown() {
            return Double.isFinite(l2) && Double.isFinite(decoupled);
        }
    }

    public OptimizerSettings {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(weights, "weights");
        Objects.requireNonNull(biases, "biases");
        Objects.requireNonNull(identityBreak, "identityBreak");
    }

    /** Starts settings of {@code kind}, named by its tag, with everything else unknown (NaN) or none. */
    public static Builder builder(Kind kind) {
        return new Builder(kind);
    }

    /**
     * Plain SGD: θ ← θ − η(ĝ + γ_p θ), no momentum.
     *
     * @param learningRate η
     * @param weightDecay  γ for weights (L2 coefficient as it enters the gradient; 0 for none)
     * @param biasDecay    γ for biases (frameworks such as DL4J decay them separately)
     */
    public static OptimizerSettings plainSgd(double learningRate, double weightDecay, double biasDecay) {
        return builder(Kind.SGD).learningRate(learningRate).momentum(0)
                .weights(Decay.l2(weightDecay)).biases(Decay.l2(biasDecay)).build();
    }

    /**
     * Heavy-ball momentum (METRICS.md §11): state ← μ·state + η(ĝ + γ_p θ), θ ← θ − state.
     *
     * @param learningRate η
     * @param momentum     μ
     * @param weightDecay  γ for weights
     * @param biasDecay    γ for biases
     */
    public static OptimizerSettings momentum(double learningRate, double momentum, double weightDecay, double biasDecay) {
        return builder(Kind.MOMENTUM).learningRate(learningRate).momentum(momentum)
                .weights(Decay.l2(weightDecay)).biases(Decay.l2(biasDecay)).build();
    }

    /**
     * An optimizer named {@code name} whose update is not modelled: only the observed drift and its parts are
     * reported (coupled L2 and decoupled decay taken as 0). η may be NaN if unknown. A name that is the tag of a
     * {@link Kind} gets that kind ({@code "adam"} is {@link Kind#ADAM}), any other {@link Kind#OTHER}.
     */
    public static OptimizerSettings other(String name, double learningRate) {
        Kind kind = Kind.OTHER;
        for (Kind k : Kind.values()) {
            if (k.tag().equals(name) && !k.isSgdType()) {
                kind = k;
            }
        }
        return builder(kind).name(name).learningRate(learningRate).weights(Decay.NONE).biases(Decay.NONE).build();
    }

    /** Nothing is known about the optimizer. */
    public static OptimizerSettings unknown() {
        return builder(Kind.UNKNOWN).build();
    }

    /** An optimizer the adapter does not know, by its engine's name (a class name), with η when readable. */
    public static OptimizerSettings unknown(String name, double learningRate) {
        return builder(Kind.UNKNOWN).name(name).learningRate(learningRate).build();
    }

    /** γ of the weights (coupled L2), NaN when unknown. */
    public double weightDecay() {
        return weights.l2();
    }

    /** γ of the biases (coupled L2), NaN when unknown. */
    public double biasDecay() {
        return biases.l2();
    }

    /** True for plain SGD with nothing that breaks the identity. */
    public boolean isPlainSgd() {
        return kind == Kind.SGD && identityBreak.isEmpty();
    }

    /** True when nothing the adapter saw breaks the pair identity. */
    public boolean keepsIdentity() {
        return identityBreak.isEmpty();
    }

    /** True when the exact charge prediction of METRICS.md §2 and §11 can be made. */
    public boolean predictsCharge() {
        return kind.isSgdType() && identityBreak.isEmpty() && Double.isFinite(learningRate)
                && weights.isKnown() && biases.isKnown() && (kind == Kind.SGD || Double.isFinite(momentum));
    }

    /**
     * True when the drift's parts of METRICS.md §11 can be computed: the decoupled decay is known (an unknown
     * optimizer's is taken as 0), and for SGD-type optimizers η, μ and the coupled L2 too.
     */
    public boolean explainsDrift() {
        if (!Double.isFinite(decoupled(false)) || !Double.isFinite(decoupled(true))) {
            return false;
        }
        return !kind.isSgdType() || Double.isFinite(learningRate) && Double.isFinite(weights.l2())
                && Double.isFinite(biases.l2()) && (kind != Kind.NESTEROV || Double.isFinite(momentum));
    }

    /** δ of a group for the parts: 0 for an unknown optimizer. */
    public double decoupled(boolean bias) {
        double d = (bias ? biases : weights).decoupled();
        return kind == Kind.UNKNOWN && Double.isNaN(d) ? 0 : d;
    }

    /**
     * The factor c of the current step's coupled L2 in B_L2 (METRICS.md §11): 1 for plain SGD and heavy ball,
     * 1 + μ for Nesterov; 0 for every other optimizer, whose coupled L2 the preconditioner reshapes.
     */
    public double currentL2Factor() {
        return switch (kind) {
            case SGD, MOMENTUM -> 1;
            case NESTEROV -> 1 + momentum;
            default -> 0;
        };
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(kind.tag());
        if (!name.equals(kind.tag())) {
            s.append('[').append(name).append(']');
        }
        s.append("(η=").append(learningRate);
        if (kind.needsPreviousUpdate() || momentum != 0 && Double.isFinite(momentum)) {
            s.append(", μ=").append(momentum);
        }
        if (Double.isFinite(beta1)) {
            s.append(", β1=").append(beta1);
        }
        if (Double.isFinite(beta2)) {
            s.append(", β2=").append(beta2);
        }
        if (Double.isFinite(epsilon)) {
            s.append(", ε=").append(epsilon);
        }
        appendDecay(s, "w", weights);
        appendDecay(s, "b", biases);
        if (!identityBreak.isEmpty()) {
            s.append(", breaks the identity: ").append(identityBreak);
        }
        return s.append(')').toString();
    }

    private static void appendDecay(StringBuilder s, String group, Decay d) {
        if (d.l2() != 0) {
            s.append(", γ_").append(group).append('=').append(d.l2());
        }
        if (d.decoupled() != 0) {
            s.append(", δ_").append(group).append('=').append(d.decoupled());
        }
    }

    /** Builds {@link OptimizerSettings}; everything not set is unknown (NaN), the momentum 0, no identity break. */
    public static final class Builder {
        private final Kind kind;
        private String name;
        private double learningRate = Double.NaN;
        private double momentum;
        private double beta1 = Double.NaN;
        private double beta2 = Double.NaN;
        private double epsilon = Double.NaN;
        private Decay weights = Decay.UNKNOWN;
        private Decay biases = Decay.UNKNOWN;
        private String identityBreak = "";

        private Builder(Kind kind) {
            this.kind = Objects.requireNonNull(kind, "kind");
            this.name = kind.tag();
        }

        /** The engine's own name of the update (default: the kind's tag). */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        public Builder learningRate(double eta) {
            this.learningRate = eta;
            return this;
        }

        public Builder momentum(double mu) {
            this.momentum = mu;
            return this;
        }

        /** Adam's β1, β2 and ε (RMSProp: β1 NaN, β2 the decay ρ; AdaGrad: ε only). */
        public Builder moments(double beta1, double beta2, double epsilon) {
            this.beta1 = beta1;
            this.beta2 = beta2;
            this.epsilon = epsilon;
            return this;
        }

        public Builder weights(Decay decay) {
            this.weights = Objects.requireNonNull(decay, "decay");
            return this;
        }

        public Builder biases(Decay decay) {
            this.biases = Objects.requireNonNull(decay, "decay");
            return this;
        }

        /** The same decay for weights and biases (DJL decays every parameter alike). */
        public Builder decay(Decay decay) {
            return weights(decay).biases(decay);
        }

        /** What breaks the pair identity, e.g. "gradient normalization ClipL2PerLayer"; several are joined by ", ". */
        public Builder breaksIdentity(String what) {
            Objects.requireNonNull(what, "what");
            this.identityBreak = identityBreak.isEmpty() ? what : identityBreak + ", " + what;
            return this;
        }

        public OptimizerSettings build() {
            return new OptimizerSettings(kind, name, learningRate, momentum, beta1, beta2, epsilon, weights, biases,
                    identityBreak);
        }
    }
}
