package dev.noether.core.runtime;

import dev.noether.core.model.OptimizerSettings;

import java.util.HashMap;
import java.util.Map;

/**
 * The optimizers of METRICS.md §11 written out by hand over a {@link PlainSgdMlp}'s parameters, in float like the
 * engines, each as its engine computes it: plain SGD and heavy ball as DJL's PyTorch {@code sgdUpdate}, Nesterov
 * and RMSProp as ND4J's updaters (decoupled weight decay added to the update afterwards), Adam and AdamW as DJL's
 * {@code adamUpdate}. The settings they report are what an adapter would read.
 */
final class HandOptimizer {
    enum Kind { SGD, MOMENTUM, NESTEROV, ADAM, ADAMW, RMSPROP }

    private final Kind kind;
    private final double eta;
    private final double mu;
    private final double l2;
    private final double decoupled;
    private final double beta1 = 0.9;
    private final double beta2 = 0.999;
    private final double epsilon = 1e-8;
    private final Map<String, float[]> first = new HashMap<>();
    private final Map<String, float[]> second = new HashMap<>();
    private int t;

    private HandOptimizer(Kind kind, double eta, double mu, double l2, double decoupled) {
        this.kind = kind;
        this.eta = eta;
        this.mu = mu;
        this.l2 = l2;
        this.decoupled = decoupled;
    }

    /** θ ← (1 − δ)θ − η(ĝ + γθ). */
    static HandOptimizer sgd(double eta, double l2, double decoupled) {
        return new HandOptimizer(Kind.SGD, eta, 0, l2, decoupled);
    }

    /** state ← μ·state + η(ĝ + γθ), θ ← θ − state. */
    static HandOptimizer momentum(double eta, double mu, double l2) {
        return new HandOptimizer(Kind.MOMENTUM, eta, mu, l2, 0);
    }

    /** v' = μv − η r, θ ← θ − (μv − (1 + μ)v') − δθ. */
    static HandOptimizer nesterov(double eta, double mu, double l2, double decoupled) {
        return new HandOptimizer(Kind.NESTEROV, eta, mu, l2, decoupled);
    }

    /** Adam with coupled L2 γ. */
    static HandOptimizer adam(double eta, double l2) {
        return new HandOptimizer(Kind.ADAM, eta, 0, l2, 0);
    }

    /** AdamW: θ ← θ − η·wd·θ, then Adam on the raw gradient (δ = η·wd). */
    static HandOptimizer adamW(double eta, double wd) {
        return new HandOptimizer(Kind.ADAMW, eta, 0, 0, eta * wd);
    }

    /** RMSProp (ND4J): v ← ρv + (1 − ρ)r², θ ← θ − ηr/(√v + ε) − δθ, ρ = β2. */
    static HandOptimizer rmsProp(double eta, double l2, double decoupled) {
        return new HandOptimizer(Kind.RMSPROP, eta, 0, l2, decoupled);
    }

    /** What an adapter would read for the update about to be applied. */
    OptimizerSettings settings() {
        OptimizerSettings.Decay decay = new OptimizerSettings.Decay(l2, decoupled);
        OptimizerSettings.Builder b = switch (kind) {
            case SGD -> OptimizerSettings.builder(OptimizerSettings.Kind.SGD);
            case MOMENTUM -> OptimizerSettings.builder(OptimizerSettings.Kind.MOMENTUM).momentum(mu);
            case NESTEROV -> OptimizerSettings.builder(OptimizerSettings.Kind.NESTEROV).momentum(mu);
            case ADAM -> OptimizerSettings.builder(OptimizerSettings.Kind.ADAM).moments(beta1, beta2, epsilon);
            case ADAMW -> OptimizerSettings.builder(OptimizerSettings.Kind.ADAMW).moments(beta1, beta2, epsilon);
            case RMSPROP -> OptimizerSettings.builder(OptimizerSettings.Kind.RMSPROP).moments(Double.NaN, beta2, epsilon);
        };
        return b.learningRate(eta).decay(decay).build();
    }

    /** Applies one update to every parameter of {@code net} from its gradients gw, gb. */
    void step(PlainSgdMlp net) {
        t++;
        for (int l = 0; l < net.layers(); l++) {
            update("w" + l, net.w[l], net.gw[l]);
            if (net.b[l] != null) {
                update("b" + l, net.b[l], net.gb[l]);
            }
        }
    }

    private void update(String key, float[] theta, float[] grad) {
        float[] s1 = first.computeIfAbsent(key, k -> new float[theta.length]);
        float[] s2 = second.computeIfAbsent(key, k -> new float[theta.length]);
        float e = (float) eta;
        float m = (float) mu;
        float gamma = (float) l2;
        float delta = (float) decoupled;
        for (int i = 0; i < theta.length; i++) {
            float x = theta[i];
            float r = grad[i] + gamma * x;
            switch (kind) {
                case SGD -> theta[i] = x - e * r - delta * x;
                case MOMENTUM -> {
                    s1[i] = m * s1[i] + e * r;
                    theta[i] = x - s1[i];
                }
                case NESTEROV -> {
                    float previous = m * s1[i];
                    s1[i] = previous - e * r;
                    float update = previous - (1 + m) * s1[i] + delta * x;
                    theta[i] = x - update;
                }
                case ADAM, ADAMW -> {
                    if (kind == Kind.ADAMW) {
                        x = x - delta * x;
                        r = grad[i];
                    }
                    s1[i] = (float) (beta1 * s1[i] + (1 - beta1) * r);
                    s2[i] = (float) (beta2 * s2[i] + (1 - beta2) * r * r);
                    double corrected = eta * Math.sqrt(1 - Math.pow(beta2, t)) / (1 - Math.pow(beta1, t));
                    theta[i] = (float) (x - corrected * s1[i] / (Math.sqrt(s2[i]) + epsilon));
                }
                case RMSPROP -> {
                    s2[i] = (float) (beta2 * s2[i] + (1 - beta2) * r * r);
                    theta[i] = (float) (x - eta * r / (Math.sqrt(s2[i]) + epsilon) - delta * x);
                }
            }
        }
    }
}
