package dev.noether.core.physics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.Test;

class PolynomialAlignmentTest {

    @Test
    void recoversThePowerLawExponent() {
        int d = 12;
        double[] lambda = new double[d];
        for (int k = 0; k < d; k++) {
            lambda[k] = 0.2 * Math.pow(25, k / (d - 1.0)); // 0.2 … 5, geometric
        }
        DMatrixRMaj v = RandomOrthogonal.of(d, 8);
        for (int kappa = 1; kappa <= 3; kappa++) {
            double[] powered = new double[d];
            for (int k = 0; k < d; k++) {
                powered[k] = Math.pow(lambda[k], kappa);
            }
            PahFit fit = PolynomialAlignment.fit(conjugate(v, powered), conjugate(v, lambda));
            assertThat(fit.exponent()).as("kappa %d", kappa).isCloseTo(kappa, within(1e-8));
            assertThat(fit.r2()).as("kappa %d", kappa).isCloseTo(1.0, within(1e-12));
            assertThat(fit.pointsUsed()).isEqualTo(d);
            assertThat(fit.x()).hasSize(d);
        }
    }

    @Test
    void dropsDirectionsBelowTheRelativeCut() {
        // Two zero eigenvalues of G and one direction where H is 1e-9 of its maximum are dropped.
        double[] g = {0, 1, 2, 3, 4, 0};
        double[] h = {5, 1, 8, 27, 1e-9 * 27, 2};
        DMatrixRMaj v = RandomOrthogonal.of(6, 3);
        PahFit fit = PolynomialAlignment.fit(conjugate(v, h), conjugate(v, g));
        assertThat(fit.pointsUsed()).isEqualTo(3); // λ_G = 1, 2, 3 with λ_H = 1, 8, 27
        assertThat(fit.exponent()).isCloseTo(3, within(1e-6));
    }

    @Test
    void handComputedLeastSquaresLine() {
        // log x = (0, 1, 2), log y = (0, 2, 3): slope 3/2, R² = (3/2 · 3) / (42/9) = 27/28.
        PahFit fit = PolynomialAlignment.fitLogLog(
                new double[] {1, Math.E, Math.E * Math.E}, new double[] {1, Math.exp(2), Math.exp(3)});
        assertThat(fit.exponent()).isCloseTo(1.5, within(1e-14));
        assertThat(fit.r2()).isCloseTo(27.0 / 28, within(1e-14));
        assertThat(fit.y()).containsExactly(new double[] {0, 2, 3}, within(1e-14));
    }

    @Test
    void fewerThanThreePointsGiveNaN() {
        DMatrixRMaj v = RandomOrthogonal.of(4, 1);
        PahFit fit = PolynomialAlignment.fit(conjugate(v, new double[] {1, 2, 3, 4}),
                conjugate(v, new double[] {0, 0, 1, 2}));
        assertThat(fit.pointsUsed()).isEqualTo(2);
        assertThat(fit.exponent()).isNaN();
        assertThat(fit.r2()).isNaN();
    }

    @Test
    void mismatchedShapesAreRejected() {
        assertThatThrownBy(() -> PolynomialAlignment.fit(new DMatrixRMaj(3, 3), new DMatrixRMaj(4, 4)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /** V diag(values) Vᵀ. */
    private static DMatrixRMaj conjugate(DMatrixRMaj v, double[] values) {
        int d = values.length;
        DMatrixRMaj s = new DMatrixRMaj(d, d);
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                double sum = 0;
                for (int k = 0; k < d; k++) {
                    sum += v.get(i, k) * values[k] * v.get(j, k);
                }
                s.set(i, j, sum);
            }
        }
        return s;
    }
}
