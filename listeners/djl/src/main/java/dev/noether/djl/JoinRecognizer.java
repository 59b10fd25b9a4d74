package dev.noether.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.ParallelBlock;
import dev.noether.core.model.Activation;
import dev.noether.core.model.Merge;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Tells what a {@link ParallelBlock}'s join computes. DJL keeps it as a private lambda (ResNetV1's residual unit
 * joins with {@code relu(a + b)}), so it is read reflectively and recognised by behaviour: it runs once on fixed
 * test arrays and is compared with a sum, a ReLU of the sum and a concat along the channel axis.
 */
final class JoinRecognizer {
    /** A recognised join: the merge and the activation applied after it (IDENTITY for none). */
    record Join(Merge merge, Activation after) {}

    private static final float TOLERANCE = 1e-5f;

    private JoinRecognizer() {}

    /** The block's join function, or null when DJL's field cannot be read. */
    @SuppressWarnings("unchecked")
    static Function<List<NDList>, NDList> joinOf(ParallelBlock block) {
        try {
            Field f = ParallelBlock.class.getDeclaredField("function");
            f.setAccessible(true);
            return (Function<List<NDList>, NDList>) f.get(block);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    static Optional<Join> recognize(Function<List<NDList>, NDList> join, int branches, NDManager manager) {
        if (branches < 1) {
            return Optional.empty();
        }
        try (NDManager m = manager.newSubManager()) {
            List<NDList> inputs = new ArrayList<>();
            NDArray sum = null;
            NDList all = new NDList();
            for (int b = 0; b < branches; b++) {
                float[] values = new float[12];
                for (int i = 0; i < values.length; i++) {
                    values[i] = (float) Math.sin(1.7 * i + 0.9 * b + 0.3) * (1 + b); // fixed: no draw from the engine's RNG
                }
                NDArray x = m.create(values, new Shape(2, 3, 2));
                inputs.add(new NDList(x));
                all.add(x);
                sum = sum == null ? x : sum.add(x);
            }
            NDList out = join.apply(inputs);
            if (out.size() != 1) {
                return Optional.empty();
            }
            NDArray y = out.head();
            if (close(y, sum)) {
                return Optional.of(new Join(Merge.ADD, Activation.IDENTITY));
            }
            if (close(y, ai.djl.nn.Activation.relu(sum))) {
                return Optional.of(new Join(Merge.ADD, Activation.RELU));
            }
            if (close(y, NDArrays.concat(all, 1))) {
                return Optional.of(new Join(Merge.CONCAT, Activation.IDENTITY));
            }
            return Optional.empty();
        } catch (RuntimeException e) {
            return Optional.empty(); // a join that does not take these arrays is not one Noether knows
        }
    }

    private static boolean close(NDArray a, NDArray b) {
        if (!a.getShape().equals(b.getShape())) {
            return false;
        }
        float[] x = a.toType(DataType.FLOAT32, false).toFloatArray();
        float[] y = b.toType(DataType.FLOAT32, false).toFloatArray();
        for (int i = 0; i < x.length; i++) {
            if (Math.abs(x[i] - y[i]) > TOLERANCE * Math.max(1f, Math.abs(y[i]))) {
                return false;
            }
        }
        return true;
    }
}
