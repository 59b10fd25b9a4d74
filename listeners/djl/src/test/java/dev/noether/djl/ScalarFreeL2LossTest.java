package dev.noether.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.loss.Loss;
import ai.djl.engine.Engine;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The tests' L2 loss is DJL's, bit for bit: the same value and the same gradient. */
class ScalarFreeL2LossTest {

    @Test
    void valueAndGradientEqualDjlsL2Loss() {
        Random random = new Random(3);
        float[] p = new float[16 * 4];
        float[] y = new float[16 * 4];
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) random.nextGaussian();
            y[i] = (float) random.nextGaussian();
        }
        float[][] djl = lossAndGradient(Loss.l2Loss(), p, y);
        float[][] ours = lossAndGradient(new ScalarFreeL2Loss(), p, y);
        assertThat(ours[0]).isEqualTo(djl[0]);
        assertThat(ours[1]).isEqualTo(djl[1]);
        // and the physics: ∂/∂ŷ mean ½(y − ŷ)² = (ŷ − y)/n
        for (int i = 0; i < p.length; i++) {
            assertThat(ours[1][i]).isCloseTo((p[i] - y[i]) / p.length, org.assertj.core.data.Offset.offset(1e-7f));
        }
    }

    private static float[][] lossAndGradient(Loss loss, float[] p, float[] y) {
        try (NDManager m = Engine.getInstance().newBaseManager()) {
            NDArray pred = m.create(p, new Shape(16, 4));
            NDArray label = m.create(y, new Shape(16, 4));
            pred.setRequiresGradient(true);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray value = loss.evaluate(new NDList(label), new NDList(pred));
                collector.backward(value);
                return new float[][] {value.toFloatArray(), pred.getGradient().toFloatArray()};
            }
        }
    }
}
