package dev.noether.core.physics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;
import org.junit.jupiter.api.Test;

class SpectrumTest {

    @Test
    void effectiveRankOfHandValues() {
        assertThat(Spectrum.effectiveRank(new double[] {2.5, 2.5, 2.5, 0, 0})).isCloseTo(3, within(1e-14));
        // p = (1/4, 1/4, 1/2): exp(1.5 ln 2) = 2^1.5.
        assertThat(Spectrum.effectiveRank(new double[] {1, 1, 2})).isCloseTo(Math.pow(2, 1.5), within(1e-14));
        assertThat(Spectrum.effectiveRank(new double[] {7})).isEqualTo(1.0);
        assertThat(Spectrum.effectiveRank(new double[] {0, 0})).isZero();
        assertThat(Spectrum.effectiveRank(new double[0])).isZero();
        assertThat(Spectrum.effectiveRank(new double[] {1, -1e-17, 1})).isCloseTo(2, within(1e-14));
        assertThat(Spectrum.effectiveRank(new double[] {1, Double.NaN})).isNaN();
    }

    @Test
    void effectiveRankOfASumOfKOrthonormalOuterProductsWithEqualWeightsIsK() {
        int m = 30;
        int n = 20;
        for (int k : new int[] {1, 4, 7}) {
            double[] s = new double[Math.min(m, n)];
            Arrays.fill(s, 0, k, 3.0);
            DMatrixRMaj w = withSingularValues(m, n, s, 10 + k);
            assertThat(Spectrum.effectiveRank(Spectrum.singularValues(w))).as("svd, k=%d", k)
                    .isCloseTo(k, within(1e-9));
            // The Gram route cannot resolve the zeros below sqrt(ε)σ_max: close, not exact.
            assertThat(Spectrum.effectiveRank(Spectrum.singularValuesFromGram(w))).as("gram, k=%d", k)
                    .isCloseTo(k, within(1e-4));
        }
    }

    @Test
    void effectiveRankOfARandomRankKMatrixIsCloseToK() {
        Random random = new Random(4);
        int k = 5;
        DMatrixRMaj left = gaussian(200, k, random);
        DMatrixRMaj right = gaussian(k, 150, random);
        DMatrixRMaj w = new DMatrixRMaj(200, 150);
        org.ejml.dense.row.CommonOps_DDRM.mult(left, right, w);
        double[] sigma = Spectrum.singularValues(w);
        assertThat(sigma[k]).isLessThan(1e-10 * sigma[0]);
        assertThat(Spectrum.effectiveRank(sigma)).isBetween(k - 0.5, k + 1e-9);
    }

    @Test
    void singularValuesAreTheConstructedOnesDescending() {
        double[] s = {0.5, 4, 1e-3, 2, 2, 0.25};
        double[] expected = s.clone();
        Arrays.sort(expected);
        reverse(expected);
        for (int[] shape : new int[][] {{6, 9}, {9, 6}, {6, 6}}) {
            DMatrixRMaj w = withSingularValues(shape[0], shape[1], s, 3);
            double[] svd = Spectrum.singularValues(w);
            double[] gram = Spectrum.singularValues(w, 0); // threshold 0 forces the Gram route
            for (int i = 0; i < s.length; i++) {
                assertThat(svd[i]).as("svd %s %d", Arrays.toString(shape), i).isCloseTo(expected[i], within(1e-13));
                assertThat(gram[i]).as("gram %s %d", Arrays.toString(shape), i).isCloseTo(expected[i], within(1e-11));
            }
        }
    }

    @Test
    void gramRouteAgreesWithEjmlSvd() {
        Random random = new Random(8);
        for (int[] shape : new int[][] {{60, 40}, {40, 60}}) {
            DMatrixRMaj w = gaussian(shape[0], shape[1], random);
            SingularValueDecomposition_F64<DMatrixRMaj> svd =
                    DecompositionFactory_DDRM.svd(shape[0], shape[1], false, false, true);
            assertThat(svd.decompose(w.copy())).isTrue();
            double[] reference = Arrays.copyOf(svd.getSingularValues(), svd.numberOfSingularValues());
            Arrays.sort(reference);
            reverse(reference);
            double[] gram = Spectrum.singularValuesFromGram(w);
            assertThat(gram).hasSize(40);
            for (int i = 0; i < gram.length; i++) {
                assertThat(gram[i]).isCloseTo(reference[i], within(1e-10 * reference[0]));
            }
        }
    }

    @Test
    void stableRankOfDiagonalMatrices() {
        DMatrixRMaj d321 = new DMatrixRMaj(new double[][] {{3, 0, 0}, {0, 2, 0}, {0, 0, 1}});
        assertThat(Spectrum.stableRank(d321)).isCloseTo(14.0 / 9, within(1e-12));
        // 3×5 with diagonal (1, 4, 2): (1 + 16 + 4) / 16.
        DMatrixRMaj wide = new DMatrixRMaj(3, 5);
        wide.set(0, 0, 1);
        wide.set(1, 1, 4);
        wide.set(2, 2, 2);
        assertThat(Spectrum.stableRank(wide)).isCloseTo(21.0 / 16, within(1e-12));
        DMatrixRMaj tall = new DMatrixRMaj(5, 3);
        tall.set(0, 0, -1);
        tall.set(1, 1, 4);
        tall.set(2, 2, 2);
        assertThat(Spectrum.stableRank(tall)).isCloseTo(21.0 / 16, within(1e-12));
        // A tied top pair: power iteration converges to the shared eigenvalue.
        DMatrixRMaj tied = new DMatrixRMaj(new double[][] {{2, 0, 0}, {0, -2, 0}, {0, 0, 1}});
        assertThat(Spectrum.stableRank(tied)).isCloseTo(9.0 / 4, within(1e-12));
        assertThat(Spectrum.stableRank(new double[] {1, 4, 2})).isCloseTo(21.0 / 16, within(1e-15));
    }

    @Test
    void stableRankAgreesWithSingularValues() {
        Random random = new Random(9);
        DMatrixRMaj w = gaussian(50, 80, random); // no dominant direction: Lanczos needs many steps
        double[] sigma = Spectrum.singularValues(w);
        double sum2 = 0;
        for (double s : sigma) {
            sum2 += s * s;
        }
        assertThat(Spectrum.stableRank(w)).isCloseTo(sum2 / (sigma[0] * sigma[0]), within(1e-9));
        // Nearly tied top singular values (relative gap 1e-6) must still give σ_max, not σ_2.
        double[] s = new double[40];
        s[0] = 5;
        s[1] = 5 - 5e-6;
        for (int i = 2; i < s.length; i++) {
            s[i] = 4.0 * i / s.length;
        }
        DMatrixRMaj nearlyTied = withSingularValues(40, 60, s, 2);
        double expectedSum2 = 0;
        for (double v : s) {
            expectedSum2 += v * v;
        }
        assertThat(Spectrum.largestGramEigenvalue(nearlyTied)).isCloseTo(25, within(1e-10));
        assertThat(Spectrum.stableRank(nearlyTied)).isCloseTo(expectedSum2 / 25, within(1e-10));
    }

    @Test
    void zeroAndNonFiniteMatrices() {
        assertThat(Spectrum.stableRank(new DMatrixRMaj(3, 4))).isNaN();
        DMatrixRMaj bad = new DMatrixRMaj(new double[][] {{1, Double.NaN}, {0, 1}});
        assertThat(Spectrum.stableRank(bad)).isNaN();
        assertThat(Spectrum.singularValues(bad)).containsExactly(Double.NaN, Double.NaN);
        assertThat(Spectrum.symmetricEigenvalues(bad)).containsExactly(Double.NaN, Double.NaN);
        assertThat(Spectrum.singularValues(new DMatrixRMaj(3, 4))).containsExactly(0.0, 0.0, 0.0);
    }

    @Test
    void symmetricEigenvaluesAreTheConstructedOnesDescending() {
        double[] lambda = {-2, 5, 0.5, 3, 0};
        int d = lambda.length;
        DMatrixRMaj v = RandomOrthogonal.of(d, 12);
        DMatrixRMaj s = new DMatrixRMaj(d, d);
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                double sum = 0;
                for (int k = 0; k < d; k++) {
                    sum += v.get(i, k) * lambda[k] * v.get(j, k);
                }
                s.set(i, j, sum);
            }
        }
        double[] expected = {5, 3, 0.5, 0, -2};
        double[] actual = Spectrum.symmetricEigenvalues(s);
        for (int i = 0; i < d; i++) {
            assertThat(actual[i]).isCloseTo(expected[i], within(1e-13));
        }
    }

    /** U diag(s) Vᵀ (m×n) with Haar-random U, V; s has min(m, n) entries. */
    static DMatrixRMaj withSingularValues(int m, int n, double[] s, long seed) {
        DMatrixRMaj u = RandomOrthogonal.of(m, seed);
        DMatrixRMaj v = RandomOrthogonal.of(n, seed + 1000);
        DMatrixRMaj w = new DMatrixRMaj(m, n);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int k = 0; k < s.length; k++) {
                    sum += u.get(i, k) * s[k] * v.get(j, k);
                }
                w.set(i, j, sum);
            }
        }
        return w;
    }

    static DMatrixRMaj gaussian(int m, int n, Random random) {
        DMatrixRMaj w = new DMatrixRMaj(m, n);
        for (int i = 0; i < w.data.length; i++) {
            w.data[i] = random.nextGaussian();
        }
        return w;
    }

    private static void reverse(double[] values) {
        for (int i = 0, j = values.length - 1; i < j; i++, j--) {
            double t = values[i];
            values[i] = values[j];
            values[j] = t;
        }
    }
}
