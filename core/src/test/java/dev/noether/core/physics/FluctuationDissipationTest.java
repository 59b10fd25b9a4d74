package dev.noether.core.physics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.Test;

class FluctuationDissipationTest {

    @Test
    void exactBalanceHasZeroResidual() {
        int d = 7;
        DMatrixRMaj g = RandomOrthogonalTest.randomSpd(d, 5, new Random(1));
        DMatrixRMaj h = RandomOrthogonalTest.randomSpd(d, 5, new Random(2));
        DMatrixRMaj z = combination(g, h, -0.7, 2.5); // Z = 2.5 H − 0.7 G, so c₁ = 0.7, c₂ = 2.5
        assertThat(FluctuationDissipation.residual(z, g, h)).isLessThan(1e-12);
        assertThat(FluctuationDissipation.coefficients(z, g, h)).containsExactly(new double[] {0.7, 2.5}, within(1e-9));
    }

    @Test
    void handCaseOnTheBoundary() {
        // Z + c₁G − c₂H = diag(2 + c₁, 3 − c₂): unconstrained c₁ = −2, so c₁ = 0, c₂ = 3, residual 2/√13.
        DMatrixRMaj g = new DMatrixRMaj(new double[][] {{1, 0}, {0, 0}});
        DMatrixRMaj h = new DMatrixRMaj(new double[][] {{0, 0}, {0, 1}});
        DMatrixRMaj z = new DMatrixRMaj(new double[][] {{2, 0}, {0, 3}});
        assertThat(FluctuationDissipation.residual(z, g, h)).isCloseTo(2 / Math.sqrt(13), within(1e-15));
        // Both optima negative: the origin, residual 1.
        DMatrixRMaj away = new DMatrixRMaj(new double[][] {{2, 0}, {0, -3}});
        assertThat(FluctuationDissipation.residual(away, g, h)).isEqualTo(1.0);
    }

    @Test
    void infeasibleUnconstrainedOptimumMatchesABruteForceGrid() {
        int d = 5;
        Random random = new Random(3);
        DMatrixRMaj g = RandomOrthogonalTest.randomSpd(d, 4, random);
        DMatrixRMaj h = RandomOrthogonalTest.randomSpd(d, 4, random);
        DMatrixRMaj z = combination(g, h, 1.0, 1.5); // Z = G + 1.5 H: c₁ wants to be −1
        for (int i = 0; i < z.data.length; i++) {
            z.data[i] += 0.3 * random.nextGaussian();
        }
        double[] unconstrained = unconstrainedOptimum(z, g, h);
        assertThat(unconstrained[0]).as("precondition: c1 infeasible").isNegative();

        double exact = FluctuationDissipation.residual(z, g, h);
        // Coarse grid over [0, 5]², then a fine grid around its best point.
        double[] best = {0, 0, Double.POSITIVE_INFINITY};
        grid(z, g, h, 0, 5, 0, 5, 0.01, best);
        grid(z, g, h, Math.max(0, best[0] - 0.02), best[0] + 0.02, Math.max(0, best[1] - 0.02), best[1] + 0.02,
                1e-5, best);
        double gridResidual = best[2];
        assertThat(exact).isLessThanOrEqualTo(gridResidual + 1e-15);
        assertThat(gridResidual - exact).isLessThan(1e-8);
        assertThat(exact).isBetween(0.01, 1.0); // a genuinely non-zero residual
    }

    @Test
    void zeroWeightsGiveNaNAndShapesMustMatch() {
        DMatrixRMaj i = new DMatrixRMaj(new double[][] {{1, 0}, {0, 1}});
        assertThat(FluctuationDissipation.residual(new DMatrixRMaj(2, 2), i, i)).isNaN();
        assertThatThrownBy(() -> FluctuationDissipation.residual(i, new DMatrixRMaj(3, 3), i))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /** Solves the 2×2 normal equations of min ‖Z + c₁G − c₂H‖ by Cramer's rule on explicit sums. */
    private static double[] unconstrainedOptimum(DMatrixRMaj z, DMatrixRMaj g, DMatrixRMaj h) {
        double gg = 0;
        double hh = 0;
        double gh = 0;
        double zg = 0;
        double zh = 0;
        for (int r = 0; r < z.numRows; r++) {
            for (int c = 0; c < z.numCols; c++) {
                gg += g.get(r, c) * g.get(r, c);
                hh += h.get(r, c) * h.get(r, c);
                gh += g.get(r, c) * h.get(r, c);
                zg += z.get(r, c) * g.get(r, c);
                zh += z.get(r, c) * h.get(r, c);
            }
        }
        // [gg −gh; −gh hh] c = [−zg; zh]
        double det = gg * hh - gh * gh;
        return new double[] {(-zg * hh + gh * zh) / det, (gg * zh - zg * gh) / det};
    }

    private static void grid(DMatrixRMaj z, DMatrixRMaj g, DMatrixRMaj h, double c1From, double c1To,
            double c2From, double c2To, double step, double[] best) {
        double zNorm = Math.sqrt(sumOfSquares(z, g, h, 0, 0));
        for (double c1 = c1From; c1 <= c1To; c1 += step) {
            for (double c2 = c2From; c2 <= c2To; c2 += step) {
                double residual = Math.sqrt(sumOfSquares(z, g, h, c1, c2)) / zNorm;
                if (residual < best[2]) {
                    best[0] = c1;
                    best[1] = c2;
                    best[2] = residual;
                }
            }
        }
    }

    private static double sumOfSquares(DMatrixRMaj z, DMatrixRMaj g, DMatrixRMaj h, double c1, double c2) {
        double sum = 0;
        for (int r = 0; r < z.numRows; r++) {
            for (int c = 0; c < z.numCols; c++) {
                double e = z.get(r, c) + c1 * g.get(r, c) - c2 * h.get(r, c);
                sum += e * e;
            }
        }
        return sum;
    }

    /** a·G + b·H. */
    private static DMatrixRMaj combination(DMatrixRMaj g, DMatrixRMaj h, double a, double b) {
        DMatrixRMaj z = new DMatrixRMaj(g.numRows, g.numCols);
        for (int i = 0; i < z.data.length; i++) {
            z.data[i] = a * g.data[i] + b * h.data[i];
        }
        return z;
    }
}
