package dev.noether.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.LambdaBlock;
import ai.djl.training.ParameterStore;
import dev.noether.core.model.Activation;

import java.util.Map;
import java.util.Optional;

/**
 * Tells which element-wise activation a DJL {@link LambdaBlock} computes. DJL's own activation blocks carry a
 * name ({@code Activation.reluBlock()} is "ReLU"); but the common idiom {@code block.add(Activation::relu)} makes
 * an "anonymous" one. Those are recognised by behaviour: the lambda runs once on a fixed test matrix, and its
 * output is compared with the candidates computed by the same engine (identity, ReLU, LeakyReLU with any slope,
 * tanh, sigmoid, GELU). Anything else is not an activation Noether knows.
 */
final class ActivationRecognizer {
    /** Block names DJL 0.36 gives its activation blocks ({@code ai.djl.nn.Activation.*Block()}, {@code Blocks}). */
    private static final Map<String, Activation> BY_NAME = Map.ofEntries(
            Map.entry("ReLU", Activation.RELU),
            Map.entry("LeakyReLU", Activation.LEAKY_RELU),
            Map.entry("identity", Activation.IDENTITY),
            // a reshape to (batch, features): the identity on the 2-D activations between dense layers
            Map.entry("batchFlatten", Activation.IDENTITY),
            Map.entry("Tanh", Activation.TANH),
            Map.entry("sigmoid", Activation.SIGMOID),
            Map.entry("GELU", Activation.GELU),
            Map.entry("ReLU6", Activation.OTHER),
            Map.entry("softPlus", Activation.OTHER),
            Map.entry("softSign", Activation.OTHER),
            Map.entry("ELU", Activation.OTHER),
            Map.entry("SELU", Activation.OTHER),
            Map.entry("Swish", Activation.OTHER),
            Map.entry("Mish", Activation.OTHER));

    /** Test inputs: both signs, several magnitudes, no zero (where ReLU and LeakyReLU agree). */
    private static final float[] PROBE = {-3.0f, -1.5f, -0.7f, -0.2f, 0.1f, 0.4f, 1.1f, 2.5f,
            -2.2f, -0.9f, -0.05f, 0.03f, 0.6f, 1.7f, 3.3f, -4.1f};
    private static final float TOLERANCE = 1e-5f;

    private ActivationRecognizer() {}

    /** The activation a LambdaBlock computes, or empty when it is not one Noether recognises. */
    static Optional<Activation> recognize(LambdaBlock block, NDManager manager) {
        Activation named = BY_NAME.get(block.getName());
        if (named != null) {
            return Optional.of(named);
        }
        try (NDManager scratch = manager.newSubManager()) {
            return byBehaviour(block, scratch);
        } catch (RuntimeException e) {
            return Optional.empty(); // the lambda does not accept a plain 2-D float matrix: not an activation
        }
    }

    private static Optional<Activation> byBehaviour(LambdaBlock block, NDManager m) {
        NDArray x = m.create(PROBE, new Shape(2, PROBE.length / 2));
        NDList out = block.forward(new ParameterStore(m, false), new NDList(x), false);
        if (out.size() != 1 || !out.head().getShape().equals(x.getShape())) {
            return Optional.empty();
        }
        float[] y = out.head().toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
        if (matches(y, PROBE)) {
            return Optional.of(Activation.IDENTITY);
        }
        if (matches(y, ai.djl.nn.Activation.relu(x).toFloatArray())) {
            return Optional.of(Activation.RELU);
        }
        if (isLeakyRelu(y)) {
            return Optional.of(Activation.LEAKY_RELU);
        }
        if (matches(y, ai.djl.nn.Activation.tanh(x).toFloatArray())) {
            return Optional.of(Activation.TANH);
        }
        if (matches(y, ai.djl.nn.Activation.sigmoid(x).toFloatArray())) {
            return Optional.of(Activation.SIGMOID);
        }
        if (matches(y, ai.djl.nn.Activation.gelu(x).toFloatArray())) {
            return Optional.of(Activation.GELU);
        }
        return Optional.empty();
    }

    /** y = x for x &gt; 0 and y = αx for x &lt; 0 with one slope 0 &lt; α &lt; 1: positively homogeneous. */
    private static boolean isLeakyRelu(float[] y) {
        float alpha = Float.NaN;
        for (int i = 0; i < PROBE.length; i++) {
            float x = PROBE[i];
            if (x > 0) {
                if (!close(y[i], x)) {
                    return false;
                }
            } else if (Float.isNaN(alpha)) {
                alpha = y[i] / x;
                if (!(alpha > 0 && alpha < 1)) {
                    return false;
                }
            } else if (!close(y[i], alpha * x)) {
                return false;
            }
        }
        return true;
    }

    private static boolean matches(float[] a, float[] b) {
        if (a.length != b.length) {
            return false;
        }
        for (int i = 0; i < a.length; i++) {
            if (!close(a[i], b[i])) {
                return false;
            }
        }
        return true;
    }

    private static boolean close(float a, float b) {
        return Math.abs(a - b) <= TOLERANCE * Math.max(1f, Math.abs(b));
    }
}
