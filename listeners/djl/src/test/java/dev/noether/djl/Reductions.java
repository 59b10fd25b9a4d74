package dev.noether.djl;

import dev.noether.core.physics.LayerMoments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Element-for-element comparison of two {@link LayerMoments} up to float64 rounding of different summation orders. */
final class Reductions {
    private static final double EPS = 1e-11;

    private Reductions() {}

    static void assertSame(String what, LayerMoments actual, LayerMoments expected) {
        assertThat(actual.finite).as(what + " finite").isEqualTo(expected.finite);
        assertThat(actual.hasGradients).as(what + " gradients").isEqualTo(expected.hasGradients);
        assertThat(actual.weightSquared).as(what + " ‖W‖²").isCloseTo(expected.weightSquared,
                within(EPS * expected.weightSquared));
        if (Double.isNaN(expected.deltaSquared)) {
            assertThat(actual.deltaSquared).as(what + " ‖ΔW‖²").isNaN();
        } else {
            assertThat(expected.deltaSquared).as(what + " a real update").isPositive();
            assertThat(actual.deltaSquared).as(what + " ‖ΔW‖²").isCloseTo(expected.deltaSquared,
                    within(EPS * expected.deltaSquared)); // float differences are exact in float64 on both sides
        }
        squares(what + " rowSq", actual.rowSq, expected.rowSq);
        squares(what + " rowGradSq", actual.rowGradSq, expected.rowGradSq);
        dots(what + " rowDot", actual.rowDot, expected.rowDot, expected.rowSq, expected.rowGradSq);
        squares(what + " biasSq", actual.biasSq, expected.biasSq);
        squares(what + " biasGradSq", actual.biasGradSq, expected.biasGradSq);
        dots(what + " biasDot", actual.biasDot, expected.biasDot, expected.biasSq, expected.biasGradSq);
        squares(what + " colSq", actual.colSq, expected.colSq);
        squares(what + " colGradSq", actual.colGradSq, expected.colGradSq);
        dots(what + " colDot", actual.colDot, expected.colDot, expected.colSq, expected.colGradSq);
    }

    private static void squares(String what, double[] actual, double[] expected) {
        if (expected == null) {
            assertThat(actual).as(what).isNull();
            return;
        }
        assertThat(actual).as(what).hasSameSizeAs(expected);
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).as(what + "[" + i + "]").isCloseTo(expected[i], within(EPS * expected[i] + 1e-300));
        }
    }

    /** |x·y| ≤ ‖x‖‖y‖ (Cauchy–Schwarz) bounds the rounding of a dot whose terms cancel. */
    private static void dots(String what, double[] actual, double[] expected, double[] xx, double[] yy) {
        if (expected == null) {
            assertThat(actual).as(what).isNull();
            return;
        }
        assertThat(actual).as(what).hasSameSizeAs(expected);
        for (int i = 0; i < expected.length; i++) {
            double scale = Math.sqrt(xx[i] * yy[i]);
            assertThat(actual[i]).as(what + "[" + i + "]").isCloseTo(expected[i], within(EPS * scale + 1e-300));
        }
    }
}
