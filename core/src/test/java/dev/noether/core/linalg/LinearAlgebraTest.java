package dev.noether.core.linalg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Both implementations against direct computations (naive loops, reconstruction identities) and against
 * each other. org.bytedeco:openblas is on core's test class path, so the native one is always tested here.
 */
class LinearAlgebraTest {
    private static final LinearAlgebra JAVA = LinearAlgebra.of(LinearAlgebra.Backend.JAVA);
    private static final LinearAlgebra NATIVE = LinearAlgebra.of(LinearAlgebra.Backend.NATIVE);
    private static final List<LinearAlgebra> BOTH = List.of(JAVA, NATIVE);

    @Test
    void nativeLoadsFromTheTestClassPathAndIsPreferred() {
        assertThat(NATIVE.isNative()).isTrue();
        assertThat(NATIVE.name()).contains("OpenBLAS");
        assertThat(JAVA.isNative()).isFalse();
        assertThat(LinearAlgebra.preferred()).isSameAs(NATIVE);
        assertThat(LinearAlgebra.Backend.parse(" Native ")).isEqualTo(LinearAlgebra.Backend.NATIVE);
        assertThatThrownBy(() -> LinearAlgebra.Backend.parse("mkl")).hasMessageContaining("auto, native or java");
    }

    @Test
    void productsMatchTheTripleLoopForEveryTransposition() {
        Random r = new Random(1);
        int m = 7;
        int n = 5;
        int k = 9;
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                double[] a = gaussian(r, m * k);
                double[] b = gaussian(r, k * n);
                double[] expected = new double[m * n];
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        for (int l = 0; l < k; l++) {
                            expected[i * n + j] += (ta ? a[l * m + i] : a[i * k + l]) * (tb ? b[j * k + l] : b[l * n + j]);
                        }
                    }
                }
                for (LinearAlgebra la : BOTH) {
                    assertThat(la.multiply(a, ta, b, tb, m, n, k)).as("%s ta=%s tb=%s", la.name(), ta, tb)
                            .containsExactly(expected, within(1e-12));
                }
            }
        }
    }

    @Test
    void aResidentMatrixMultipliesThinBlocksAsTheTripleLoopAndGrowsItsBuffers() {
        Random r = new Random(11);
        int rows = 9;
        int cols = 6;
        double[] a = gaussian(r, rows * cols);
        for (LinearAlgebra la : BOTH) {
            try (ResidentMatrix resident = la.resident(a, rows, cols)) {
                for (int p : new int[] {1, 4, 2, 7}) { // wider, narrower, then wider than any before
                    double[] x = gaussian(r, cols * p);
                    double[] y = gaussian(r, rows * p);
                    double[] ax = new double[rows * p];
                    double[] aty = new double[cols * p];
                    for (int i = 0; i < rows; i++) {
                        for (int j = 0; j < cols; j++) {
                            for (int c = 0; c < p; c++) {
                                ax[i * p + c] += a[i * cols + j] * x[j * p + c];
                                aty[j * p + c] += a[i * cols + j] * y[i * p + c];
                            }
                        }
                    }
                    assertThat(resident.times(x, p)).as("%s A X, p=%d", la.name(), p).containsExactly(ax, within(1e-12));
                    assertThat(resident.transposeTimes(y, p)).as("%s Aᵀ Y, p=%d", la.name(), p)
                            .containsExactly(aty, within(1e-12));
                }
                assertThatThrownBy(() -> resident.times(new double[cols * 2 + 1], 2))
                        .isInstanceOf(IllegalArgumentException.class);
            }
        }
        assertThatThrownBy(() -> NATIVE.resident(a, rows, cols + 1)).hasMessageContaining("9×7");
    }

    @Test
    void gramsMatchTheirDefinition() {
        Random r = new Random(2);
        int m = 6;
        int n = 4;
        double[] a = gaussian(r, m * n);
        double[] inner = new double[n * n];
        double[] outer = new double[m * m];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                for (int l = 0; l < m; l++) {
                    inner[i * n + j] += a[l * n + i] * a[l * n + j];
                }
            }
        }
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
                for (int l = 0; l < n; l++) {
                    outer[i * m + j] += a[i * n + l] * a[j * n + l];
                }
            }
        }
        for (LinearAlgebra la : BOTH) {
            assertThat(la.innerGram(a, m, n)).as(la.name()).containsExactly(inner, within(1e-12));
            assertThat(la.outerGram(a, m, n)).as(la.name()).containsExactly(outer, within(1e-12));
        }
    }

    @Test
    void symmetricEigenReconstructsTheMatrixWithOrthonormalVectorsAndBothAgree() {
        Random r = new Random(3);
        int n = 40;
        double[] x = gaussian(r, n * n);
        double[] s = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                s[i * n + j] = x[i * n + j] + x[j * n + i];
            }
        }
        double[] input = s.clone();
        double[] reference = null;
        for (LinearAlgebra la : BOTH) {
            SymmetricEigen e = la.symmetricEigen(s, n);
            double[] values = la.symmetricEigenvalues(s, n);
            assertThat(s).as("input untouched").containsExactly(input);
            for (int k = 1; k < n; k++) {
                assertThat(e.values()[k]).isLessThanOrEqualTo(e.values()[k - 1]);
            }
            assertThat(values).as(la.name()).containsExactly(e.values(), within(1e-10));
            double[] v = e.vectors();
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    double rebuilt = 0;
                    double gram = 0;
                    for (int k = 0; k < n; k++) {
                        rebuilt += v[i * n + k] * e.values()[k] * v[j * n + k];
                        gram += v[k * n + i] * v[k * n + j];
                    }
                    assertThat(rebuilt).as("%s S[%d,%d]", la.name(), i, j).isCloseTo(s[i * n + j], within(1e-10));
                    assertThat(gram).as("%s VᵀV[%d,%d]", la.name(), i, j).isCloseTo(i == j ? 1 : 0, within(1e-10));
                }
            }
            if (reference == null) {
                reference = values;
            } else {
                assertThat(values).as("native = java").containsExactly(reference, within(1e-10));
            }
        }
    }

    @Test
    void singularValuesHaveTheFrobeniusNormAndBothAgree() {
        Random r = new Random(4);
        for (int[] shape : new int[][] {{30, 12}, {12, 30}, {17, 17}}) {
            int m = shape[0];
            int n = shape[1];
            double[] a = gaussian(r, m * n);
            double frobenius2 = 0;
            for (double v : a) {
                frobenius2 += v * v;
            }
            double[] javaValues = JAVA.singularValues(a, m, n);
            double[] nativeValues = NATIVE.singularValues(a, m, n);
            assertThat(nativeValues).containsExactly(javaValues, within(1e-11));
            double sum2 = 0;
            for (int k = 0; k < nativeValues.length; k++) {
                sum2 += nativeValues[k] * nativeValues[k];
                if (k > 0) {
                    assertThat(nativeValues[k]).isLessThanOrEqualTo(nativeValues[k - 1]);
                }
            }
            assertThat(sum2).isCloseTo(frobenius2, within(1e-9 * frobenius2));
        }
    }

    @Test
    void nonFiniteInputGivesNaNInsteadOfAnException() {
        double[] s = {1, 2, 2, Double.NaN};
        for (LinearAlgebra la : BOTH) {
            assertThat(la.symmetricEigenvalues(s, 2)).containsOnly(Double.NaN);
            assertThat(la.symmetricEigen(s, 2).vectors()).containsOnly(Double.NaN);
            assertThat(la.singularValues(s, 2, 2)).containsOnly(Double.NaN);
        }
    }

    static double[] gaussian(Random r, int size) {
        double[] a = new double[size];
        for (int i = 0; i < size; i++) {
            a[i] = r.nextGaussian();
        }
        return a;
    }
}
