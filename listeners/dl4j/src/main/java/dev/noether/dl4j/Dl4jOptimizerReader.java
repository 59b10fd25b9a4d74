package dev.noether.dl4j;

import dev.noether.core.model.OptimizerSettings;
import dev.noether.core.model.OptimizerSettings.Decay;
import dev.noether.core.model.OptimizerSettings.Kind;
import org.deeplearning4j.nn.api.TrainingConfig;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.nd4j.linalg.learning.config.AMSGrad;
import org.nd4j.linalg.learning.config.AdaBelief;
import org.nd4j.linalg.learning.config.AdaDelta;
import org.nd4j.linalg.learning.config.AdaGrad;
import org.nd4j.linalg.learning.config.AdaMax;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nadam;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.config.RmsProp;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.learning.regularization.L1Regularization;
import org.nd4j.linalg.learning.regularization.L2Regularization;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.learning.regularization.WeightDecay;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads, for one iteration, the update DL4J is about to apply to the linear (dense and convolution) layers, as core's
 * {@link OptimizerSettings} (METRICS.md §11). DL4J's update is (verified against real training: the charge
 * residual stays ≤ 1e-5 under {@code Sgd} and {@code Nesterovs}, see {@code Dl4jOptimizerPhysicsTest}):
 * <pre>
 *   ĝ = raw gradient / batch size;  r = ĝ + l2·θ         (L2Regularization, before the updater: coupled γ = l2)
 *   u = updater(r)                                        (Sgd: η r; Nesterovs: μ v − (1 + μ) v', v' = μ v − η r; ...)
 *   u += c·θ  or  η c·θ                                   (WeightDecay, after the updater: decoupled δ = c, or η c with applyLR)
 *   θ ← θ − u
 * </pre>
 * Weights and biases carry their own lists ({@code l2}/{@code weightDecay} vs {@code l2Bias}/{@code weightDecayBias}),
 * hence per-group γ and δ; each group's list is summed (DL4J's {@code NeuralNetConfiguration.Builder.weightDecay(..)}
 * puts the same WeightDecay into the list twice, and DL4J then applies it twice: summing reproduces that). η_t and
 * μ_t are the schedules' values at this iteration. Kinds: {@code Sgd} {@code sgd}, {@code Nesterovs}
 * {@code nesterov}, {@code Adam} {@code adam} ({@code adamw} with a decoupled weight decay), {@code RmsProp}
 * {@code rmsprop}, {@code AdaGrad} {@code adagrad}; AdaDelta, AdaMax, Nadam, AMSGrad, AdaBelief and NoOp are
 * {@code other}; a custom {@link IUpdater} is {@code unknown}, named by its class. L1, gradient normalization
 * (renormalization or clipping) and constraints break the pair identity and are named in
 * {@link OptimizerSettings#identityBreak()}. Settings that differ between the linear layers (or a bias updater of
 * its own with other values) leave the decay unknown, updaters of different kinds make the optimizer {@code other}
 * ("mixed"): neither prediction nor parts then.
 */
final class Dl4jOptimizerReader {
    /** An updater's name, built once per class: this runs on the training thread every observed iteration. */
    private static final ClassValue<String> NAMES = new ClassValue<>() {
        @Override
        protected String computeValue(Class<?> type) {
            return type.getSimpleName().toLowerCase(Locale.ROOT);
        }
    };
    /** What an unmodelled regularization is called in {@link OptimizerSettings#identityBreak()}, once per class. */
    private static final ClassValue<String> REGULARIZATIONS = new ClassValue<>() {
        @Override
        protected String computeValue(Class<?> type) {
            return type == L1Regularization.class ? "l1" : "regularization " + type.getSimpleName();
        }
    };

    private Dl4jOptimizerReader() {}

    static OptimizerSettings read(List<Dl4jNode> linear, int iteration, int epoch) {
        if (linear.isEmpty()) {
            return OptimizerSettings.unknown();
        }
        Group weights = null;
        Group biases = null;
        List<String> breaks = new ArrayList<>();
        boolean sameValues = true;
        boolean sameKind = true;
        for (Dl4jNode e : linear) {
            TrainingConfig c = e.layer().getConfig();
            GradientNormalization gn = c.getGradientNormalization();
            if (gn != null && gn != GradientNormalization.None) {
                addOnce(breaks, "gradient normalization " + gn);
            }
            if (hasConstraints(e)) {
                addOnce(breaks, "constraints");
            }
            List<Group> groups = new ArrayList<>();
            groups.add(Group.of(c.getUpdaterByParam(e.weightKey()), c.getRegularizationByParam(e.weightKey()), iteration, epoch));
            if (e.hasBias()) {
                groups.add(Group.of(c.getUpdaterByParam("b"), c.getRegularizationByParam("b"), iteration, epoch));
            }
            for (int k = 0; k < groups.size(); k++) {
                Group g = groups.get(k);
                Group first = k == 0 ? weights : biases;
                sameValues &= first == null || first.equals(g);
                Group any = weights == null ? g : weights;
                sameKind &= any.updater.name.equals(g.updater.name);
                sameValues &= any.updater.equals(g.updater); // a bias updater of its own differs from W's
                if (first == null && k == 0) {
                    weights = g;
                } else if (first == null) {
                    biases = g;
                }
                if (g.other != null) {
                    addOnce(breaks, g.other);
                }
            }
        }
        Updater u = weights.updater;
        if (u.kind == Kind.UNKNOWN && sameKind) {
            return OptimizerSettings.unknown(u.name, u.eta);
        }
        if (!sameKind) {
            return OptimizerSettings.builder(Kind.OTHER).name("mixed").learningRate(Double.NaN)
                    .breaksIdentity("updaters that differ between parameters").build();
        }
        boolean decoupled = weights.decoupled != 0 || biases != null && biases.decoupled != 0;
        Kind kind = u.kind == Kind.ADAM && decoupled ? Kind.ADAMW : u.kind;
        // a modelled update goes by its kind's tag ("nesterov", "adamw"), an unmodelled one by DL4J's name
        OptimizerSettings.Builder b = OptimizerSettings.builder(kind).name(kind == Kind.OTHER ? u.name : kind.tag())
                .learningRate(u.eta).momentum(u.momentum).moments(u.beta1, u.beta2, u.epsilon);
        if (sameValues) {
            b.weights(new Decay(weights.l2, weights.decoupled))
                    .biases(biases == null ? Decay.NONE : new Decay(biases.l2, biases.decoupled));
        } else {
            b.breaksIdentity("settings that differ between layers");
        }
        breaks.forEach(b::breaksIdentity);
        return b.build();
    }

    private static void addOnce(List<String> list, String s) {
        if (!list.contains(s)) {
            list.add(s);
        }
    }

    private static boolean hasConstraints(Dl4jNode e) {
        List<?> constraints = e.conf().getConstraints();
        return constraints != null && !constraints.isEmpty();
    }

    /** What one updater does at this iteration. */
    private record Updater(Kind kind, String name, double eta, double momentum, double beta1, double beta2,
                           double epsilon) {
        static Updater of(IUpdater u, int iteration, int epoch) {
            if (u == null) {
                return new Updater(Kind.UNKNOWN, "none", Double.NaN, 0, Double.NaN, Double.NaN, Double.NaN);
            }
            double eta = u.hasLearningRate() ? u.getLearningRate(iteration, epoch) : Double.NaN;
            // by exact class: a subclass may update in any way
            Class<?> type = u.getClass();
            if (type == Sgd.class) {
                return new Updater(Kind.SGD, "sgd", eta, 0, Double.NaN, Double.NaN, Double.NaN);
            } else if (type == Nesterovs.class) {
                return new Updater(Kind.NESTEROV, "nesterovs", eta, ((Nesterovs) u).currentMomentum(iteration, epoch),
                        Double.NaN, Double.NaN, Double.NaN);
            } else if (type == Adam.class) {
                Adam a = (Adam) u;
                return new Updater(Kind.ADAM, "adam", eta, 0, a.getBeta1(), a.getBeta2(), a.getEpsilon());
            } else if (type == RmsProp.class) {
                RmsProp r = (RmsProp) u;
                return new Updater(Kind.RMSPROP, "rmsprop", eta, 0, Double.NaN, r.getRmsDecay(), r.getEpsilon());
            } else if (type == AdaGrad.class) {
                return new Updater(Kind.ADAGRAD, "adagrad", eta, 0, Double.NaN, Double.NaN, ((AdaGrad) u).getEpsilon());
            } else if (type == AdaDelta.class || type == AdaMax.class || type == Nadam.class || type == AMSGrad.class
                    || type == AdaBelief.class || type == NoOp.class) {
                return new Updater(Kind.OTHER, NAMES.get(type), eta, 0, Double.NaN, Double.NaN, Double.NaN);
            }
            return new Updater(Kind.UNKNOWN, type.getName(), eta, 0, Double.NaN, Double.NaN, Double.NaN);
        }
    }

    /**
     * One parameter's updater and regularization at this iteration: coupled γ, decoupled δ, and the first other
     * regularization ({@code l1}, or the class of one this reader does not know), which breaks the identity.
     */
    private record Group(Updater updater, double l2, double decoupled, String other) {
        static Group of(IUpdater u, List<Regularization> regularizations, int iteration, int epoch) {
            Updater updater = Updater.of(u, iteration, epoch);
            double l2 = 0;
            double decoupled = 0;
            String other = null;
            for (Regularization r : regularizations == null ? List.<Regularization>of() : regularizations) {
                if (r instanceof L2Regularization l) {
                    l2 += l.getL2().valueAt(iteration, epoch);
                } else if (r instanceof WeightDecay wd) {
                    double c = wd.getCoeff().valueAt(iteration, epoch);
                    decoupled += wd.isApplyLR() ? c * updater.eta : c;
                } else if (other == null) {
                    other = REGULARIZATIONS.get(r.getClass());
                }
            }
            return new Group(updater, l2, decoupled, other);
        }
    }
}
