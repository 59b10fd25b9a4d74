package dev.noether.dl4j;

import dev.noether.core.model.Activation;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationGELU;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.activations.impl.ActivationPReLU;
import org.nd4j.linalg.activations.impl.ActivationRReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.activations.impl.ActivationTanH;

/** Names a DL4J {@link IActivation} in core's terms; what matters is positive homogeneity (METRICS.md §1). */
final class ActivationMapping {
    private ActivationMapping() {}

    static Activation of(IActivation fn) {
        if (fn == null || fn instanceof ActivationIdentity) {
            return Activation.IDENTITY;
        }
        if (fn instanceof ActivationReLU relu) {
            // ReLU(max, threshold, negativeSlope): a cap or a shifted threshold breaks σ(λz) = λσ(z)
            boolean capped = relu.getMax() != null && Double.isFinite(relu.getMax());
            boolean shifted = relu.getThreshold() != null && relu.getThreshold() != 0;
            if (capped || shifted) {
                return Activation.OTHER;
            }
            boolean leaky = relu.getNegativeSlope() != null && relu.getNegativeSlope() != 0;
            return leaky ? Activation.LEAKY_RELU : Activation.RELU;
        }
        // RReLU draws its slope per element while training: still σ(λz) = λσ(z) sample by sample
        if (fn instanceof ActivationLReLU || fn instanceof ActivationRReLU) {
            return Activation.LEAKY_RELU;
        }
        if (fn instanceof ActivationPReLU) {
            return Activation.PRELU;
        }
        if (fn instanceof ActivationTanH) {
            return Activation.TANH;
        }
        if (fn instanceof ActivationSigmoid) {
            return Activation.SIGMOID;
        }
        if (fn instanceof ActivationGELU) {
            return Activation.GELU;
        }
        if (fn instanceof ActivationSoftmax) {
            return Activation.SOFTMAX;
        }
        return Activation.OTHER;
    }
}
