package dev.noether.dl4j;

import dev.noether.core.model.OptimizerSettings;
import org.deeplearning4j.nn.api.TrainingConfig;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.learning.regularization.L2Regularization;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.learning.regularization.WeightDecay;

import java.util.List;
import java.util.Locale;

/**
 * Reads, for one iteration, the update DL4J is about to apply to the linear (dense and convolution) layers, as core's
 * {@link OptimizerSettings}. DL4J's update with the {@code Sgd} updater is (verified against real training,
 * see {@code OptimizerReaderTest}):
 * <pre>
 *   ĝ = raw gradient / batch size;  ĝ += l2·θ        (L2Regularization, before the updater)
 *   u = η ĝ;                        u += c·θ or ηc·θ  (WeightDecay, after the updater; ηc when applyLR)
 *   θ ← θ − u
 * </pre>
 * which is core's θ ← θ − η(ĝ + γθ) with γ = Σ l2 + Σ (applyLR ? c : c/η) over the parameter's
 * regularizations. (DL4J's {@code NeuralNetConfiguration.Builder.weightDecay(..)} puts the same WeightDecay
 * into the list twice, and DL4J then applies it twice; summing the list reproduces that.) Weights and biases
 * carry their own lists ({@code l2} vs {@code l2Bias}), hence γ_w and γ_b. Anything else — another updater,
 * L1, gradient normalization, constraints, or settings that differ between linear layers — is reported as a
 * non-plain optimizer, so no charge prediction is made.
 */
final class Dl4jOptimizerReader {
    /** An updater's name, built once per class: this runs on the training thread every observed iteration. */
    private static final ClassValue<String> NAMES = new ClassValue<>() {
        @Override
        protected String computeValue(Class<?> type) {
            return type.getSimpleName().toLowerCase(Locale.ROOT);
        }
    };

    private Dl4jOptimizerReader() {}

    static OptimizerSettings read(List<Dl4jNode> linear, int iteration, int epoch) {
        if (linear.isEmpty()) {
            return OptimizerSettings.unknown();
        }
        TrainingConfig first = linear.get(0).layer().getConfig();
        IUpdater firstUpdater = first.getUpdaterByParam(linear.get(0).weightKey());
        String name = nameOf(firstUpdater);
        double eta = firstUpdater != null && firstUpdater.hasLearningRate()
                ? firstUpdater.getLearningRate(iteration, epoch) : Double.NaN;
        double gammaW = Double.NaN;
        double gammaB = Double.NaN;
        String notPlain = firstUpdater instanceof Sgd ? null : "";
        for (Dl4jNode e : linear) {
            TrainingConfig c = e.layer().getConfig();
            for (String param : e.hasBias() ? List.of(e.weightKey(), "b") : List.of(e.weightKey())) {
                IUpdater u = c.getUpdaterByParam(param);
                if (u == null ? firstUpdater != null : firstUpdater == null || u.getClass() != firstUpdater.getClass()) {
                    return OptimizerSettings.other("mixed", Double.NaN);
                }
                if (notPlain != null) {
                    continue;
                }
                double lr = u.getLearningRate(iteration, epoch);
                double gamma = decay(c.getRegularizationByParam(param), lr, iteration, epoch);
                GradientNormalization gn = c.getGradientNormalization();
                if (gn != null && gn != GradientNormalization.None) {
                    notPlain = "clipped";
                } else if (hasConstraints(e)) {
                    notPlain = "constrained";
                } else if (Double.isNaN(gamma)) {
                    notPlain = "l1";
                } else if (lr != eta) {
                    notPlain = "per-layer";
                } else if (param.equals(e.weightKey())) {
                    notPlain = uniform(gammaW, gamma) ? null : "per-layer";
                    gammaW = gamma;
                } else {
                    notPlain = uniform(gammaB, gamma) ? null : "per-layer";
                    gammaB = gamma;
                }
            }
        }
        if (notPlain != null) {
            return OptimizerSettings.other(notPlain.isEmpty() ? name : name + "-" + notPlain, eta);
        }
        return OptimizerSettings.plainSgd(eta, gammaW, Double.isNaN(gammaB) ? 0 : gammaB);
    }

    /** γ for one parameter, or NaN when a regularization other than L2 / weight decay is present. */
    static double decay(List<Regularization> regularizations, double eta, int iteration, int epoch) {
        double gamma = 0;
        if (regularizations == null) {
            return gamma;
        }
        for (Regularization r : regularizations) {
            if (r instanceof L2Regularization l2) {
                gamma += l2.getL2().valueAt(iteration, epoch);
            } else if (r instanceof WeightDecay wd) {
                double c = wd.getCoeff().valueAt(iteration, epoch);
                gamma += wd.isApplyLR() ? c : c / eta;
            } else {
                return Double.NaN;
            }
        }
        return gamma;
    }

    private static boolean uniform(double previous, double gamma) {
        return Double.isNaN(previous) || previous == gamma;
    }

    private static boolean hasConstraints(Dl4jNode e) {
        List<?> constraints = e.conf().getConstraints();
        return constraints != null && !constraints.isEmpty();
    }

    private static String nameOf(IUpdater updater) {
        return updater == null ? "none" : NAMES.get(updater.getClass());
    }
}
