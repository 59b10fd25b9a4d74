package dev.noether.dl4j;

import dev.noether.core.physics.LayerMoments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Element-for-element comparison of two {@link LayerMoments} up to float64 rounding of different summation orders. */
final class Reductions {
    private final double eps;
    private final double deltaEps;

    /**
     * @param eps      the relative tolerance of the sums
     * @param deltaEps the relative tolerance of ‖ΔW‖², a difference of nearby values
     */
    Reductions(double eps, double deltaEps) {
        this.eps = eps;
        this.deltaEps = deltaEps;
    }

    void assertSame(String what, LayerMoments actual, LayerMoments expected) {
        assertThat(actual.finite).as(what + " finite").isEqualTo(expected.finite);
        assertThat(actual.hasGradients).as(what + " gradients").isEqualTo(expected.hasGradients);
        assertThat(actual.weightSquared).as(what + " ‖W‖²").isCloseTo(expected.weightSquared,
                within(eps * expected.weightSquared));
        if (Double.isNaN(expected.deltaSquared)) {
            assertThat(actual.deltaSquared).as(what + " ‖ΔW‖²").isNaN();
        } else {
            assertThat(expected.deltaSquared).as(what + " a real update").isPositive();
            assertThat(actual.deltaSquared).as(what + " ‖ΔW‖²").isCloseTo(expected.deltaSquared,
                    within(deltaEps * expected.deltaSquared));
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

    private void squares(String what, double[] actual, double[] expected) {
        if (expected == null) {
            assertThat(actual).as(what).isNull();
            return;
        }
        assertThat(actual).as(what).hasSameSizeAs(expected);
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).as(what + "[" + i + "]").isCloseTo(expected[i], within(eps * expected[i] + 1e-300));
        }
    }

    /** |x·y| ≤ ‖x‖‖y‖ (Cauchy–Schwarz) bounds the rounding of a dot whose terms cancel. */
    private void dots(String what, double[] actual, double[] expected, double[] xx, double[] yy) {
        if (expected == null) {
            assertThat(actual).as(what).isNull();
            return;
        }
        assertThat(actual).as(what).hasSameSizeAs(expected);
        for (int i = 0; i < expected.length; i++) {
            double scale = Math.sqrt(xx[i] * yy[i]);
            assertThat(actual[i]).as(what + "[" + i + "]").isCloseTo(expected[i], within(eps * scale + 1e-300));
        }
    }
}
