package dev.noether.core.physics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.Test;

class AlignmentTest {

    @Test
    void matchesAnExplicitDoubleLoop() {
        Random random = new Random(11);
        DMatrixRMaj a = new DMatrixRMaj(7, 5);
        DMatrixRMaj b = new DMatrixRMaj(7, 5);
        for (int i = 0; i < 7; i++) {
            for (int j = 0; j < 5; j++) {
                double x = random.nextGaussian();
                a.set(i, j, x + 3);
                b.set(i, j, 0.6 * x + random.nextGaussian() - 1);
            }
        }
        double meanA = 0;
        double meanB = 0;
        for (int i = 0; i < 7; i++) {
            for (int j = 0; j < 5; j++) {
                meanA += a.get(i, j) / 35;
                meanB += b.get(i, j) / 35;
            }
        }
        double ab = 0;
        double aa = 0;
        double bb = 0;
        for (int i = 0; i < 7; i++) {
            for (int j = 0; j < 5; j++) {
                ab += (a.get(i, j) - meanA) * (b.get(i, j) - meanB);
                aa += (a.get(i, j) - meanA) * (a.get(i, j) - meanA);
                bb += (b.get(i, j) - meanB) * (b.get(i, j) - meanB);
            }
        }
        double expected = ab / Math.sqrt(aa) / Math.sqrt(bb);

        assertThat(Alignment.pearson(a, b)).isCloseTo(expected, within(1e-13));
        assertThat(expected).isBetween(0.2, 0.95); // a non-trivial value, not ±1 or 0
    }

    @Test
    void handComputedValue() {
        DMatrixRMaj a = new DMatrixRMaj(new double[][] {{1, 2}, {3, 4}});
        DMatrixRMaj b = new DMatrixRMaj(new double[][] {{2, 0}, {0, 0}});
        // A − Ā = (−1.5, −0.5, 0.5, 1.5), B − B̄ = (1.5, −0.5, −0.5, −0.5): −3 / (√5 √3).
        assertThat(Alignment.pearson(a, b)).isCloseTo(-3 / Math.sqrt(15), within(1e-15));
    }

    @Test
    void proportionalIsOneAndNegatedIsMinusOne() {
        DMatrixRMaj a = new DMatrixRMaj(new double[][] {{0.3, -1.2, 4}, {2, 0.5, -0.7}});
        DMatrixRMaj scaled = a.copy();
        DMatrixRMaj negated = a.copy();
        DMatrixRMaj shifted = a.copy();
        for (int i = 0; i < a.data.length; i++) {
            scaled.data[i] *= 2.5;
            negated.data[i] = -negated.data[i];
            shifted.data[i] = 0.1 * shifted.data[i] + 7;
        }
        assertThat(Alignment.pearson(a, scaled)).isCloseTo(1.0, within(1e-15));
        assertThat(Alignment.pearson(a, negated)).isCloseTo(-1.0, within(1e-15));
        assertThat(Alignment.pearson(a, shifted)).isCloseTo(1.0, within(1e-14));
        assertThat(Alignment.pearson(a, a)).isEqualTo(1.0);
    }

    @Test
    void zeroVarianceGivesNaN() {
        DMatrixRMaj a = new DMatrixRMaj(new double[][] {{1, 2}, {3, 4}});
        DMatrixRMaj constant = new DMatrixRMaj(new double[][] {{0.1, 0.1}, {0.1, 0.1}});
        assertThat(Alignment.pearson(a, constant)).isNaN();
        assertThat(Alignment.pearson(constant, a)).isNaN();
        assertThat(Alignment.pearson(new DMatrixRMaj(0, 0), new DMatrixRMaj(0, 0))).isNaN();
    }

    @Test
    void differentShapesAreRejected() {
        assertThatThrownBy(() -> Alignment.pearson(new DMatrixRMaj(2, 3), new DMatrixRMaj(3, 2)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
