package dev.noether.core.physics;

import dev.noether.core.model.LayerSnapshot;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The host sums ({@link LayerMoments#of(LayerSnapshot, int, int, boolean, boolean, float[])}, four rows at a time)
 * against the plainest double loops ({@link PlainLayerSums}) on random layers, to the error bound stated in
 * {@link RowBlockSums}: for a sum of k terms, |error| ≤ (k − 1)·2⁻⁵³·Σ|terms| on each side, so the two agree to
 * 2(k + 1)·2⁻⁵³·Σ|terms| (for a dot product Σ|x·y| ≤ ‖x‖‖y‖). Shapes cover every remainder of the four-row
 * blocks, single rows and columns, and rows long enough for large k.
 */
class LayerMomentsTest {
    private static final double U = Math.ulp(1.0) / 2; // 2⁻⁵³
    private static final int[][] SHAPES = {{1, 1}, {1, 9}, {2, 3}, {3, 5}, {4, 4}, {5, 7}, {6, 1}, {7, 3}, {8, 16},
            {9, 13}, {17, 31}, {64, 33}, {130, 257}, {3, 5003}};
    private static final double[] SCALES = {1, 1.0 / 128, 1.0 / 3};

    @Test
    void fastSumsAgreeWithPlainDoubleLoopsForEveryShapeAndOption() {
        Random r = new Random(20);
        int checked = 0;
        for (int[] shape : SHAPES) {
            int m = shape[0];
            int n = shape[1];
            for (int variant = 0; variant < 16; variant++) {
                boolean needRows = (variant & 1) != 0;
                boolean needCols = (variant & 2) != 0;
                boolean grads = (variant & 4) != 0;
                boolean previous = (variant & 8) != 0;
                double scale = SCALES[variant % SCALES.length];
                // magnitudes that differ by orders, as weights and gradients do
                float[] w = gaussian(r, m * n, 0.05);
                float[] g = grads ? gaussian(r, m * n, 3e-4) : null;
                float[] prev = previous ? perturbed(r, w, 1e-3) : null;
                float[] b = gaussian(r, m, 0.1);
                float[] gb = grads ? gaussian(r, m, 1e-3) : null;
                LayerSnapshot s = grads ? LayerSnapshot.of(w, b, g, gb, scale) : LayerSnapshot.ofWeights(w, b);
                LayerMoments fast = LayerMoments.of(s, m, n, needRows, needCols, prev);
                PlainLayerSums plain = new PlainLayerSums(w, g, scale, prev, m, n);
                String what = m + "x" + n + " rows=" + needRows + " cols=" + needCols + " grads=" + grads
                        + " prev=" + previous + " scale=" + scale;

                assertThat(fast.finite).as(what).isTrue();
                assertThat(fast.hasGradients).as(what).isEqualTo(grads);
                assertThat(fast.weightSquared).as(what + " ‖W‖²")
                        .isCloseTo(plain.weightSquared, within(bound(m * n, plain.weightSquared)));
                if (previous) {
                    assertThat(fast.deltaSquared).as(what + " ‖ΔW‖²")
                            .isCloseTo(plain.deltaSquared, within(bound(m * n, plain.deltaSquared)));
                } else {
                    assertThat(fast.deltaSquared).as(what + " ‖ΔW‖²").isNaN();
                }
                compare(what + " rowSq", needRows ? fast.rowSq : null, needRows ? plain.rowSq : null, plain.rowSq, n);
                compare(what + " colSq", needCols ? fast.colSq : null, needCols ? plain.colSq : null, plain.colSq, m);
                if (grads) {
                    compare(what + " rowGradSq", needRows ? fast.rowGradSq : null, needRows ? plain.rowGradSq : null,
                            plain.rowGradSq, n);
                    compare(what + " rowDot", needRows ? fast.rowDot : null, needRows ? plain.rowDot : null,
                            cauchySchwarz(plain.rowSq, plain.rowGradSq), n);
                    compare(what + " colGradSq", needCols ? fast.colGradSq : null, needCols ? plain.colGradSq : null,
                            plain.colGradSq, m);
                    compare(what + " colDot", needCols ? fast.colDot : null, needCols ? plain.colDot : null,
                            cauchySchwarz(plain.colSq, plain.colGradSq), m);
                } else {
                    assertThat(fast.rowGradSq).as(what).isNull();
                    assertThat(fast.rowDot).as(what).isNull();
                    assertThat(fast.colGradSq).as(what).isNull();
                    assertThat(fast.colDot).as(what).isNull();
                }
                if (needRows) {
                    for (int i = 0; i < m; i++) {
                        assertThat(fast.biasSq[i]).as(what + " b²").isEqualTo((double) b[i] * b[i]);
                    }
                }
                checked++;
            }
        }
        assertThat(checked).isEqualTo(SHAPES.length * 16);
    }

    @Test
    void aNonFiniteValueAnywhereMakesTheLayerNonFinite() {
        Random r = new Random(7);
        // 9 x 13: rows 0-7 are summed in blocks of four, row 8 alone
        int m = 9;
        int n = 13;
        for (int position : new int[] {0, 5 * n + 7, 8 * n + 12}) {
            for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                for (int where = 0; where < 3; where++) {
                    float[] w = gaussian(r, m * n, 0.05);
                    float[] g = gaussian(r, m * n, 1e-3);
                    float[] prev = perturbed(r, w, 1e-3);
                    float[] target = where == 0 ? w : where == 1 ? g : prev;
                    target[position] = bad;
                    LayerMoments t = LayerMoments.of(LayerSnapshot.of(w, null, g, null), m, n, true, true, prev);
                    assertThat(t.finite).as("%s in %s at %d", bad, new String[] {"W", "∂ℓ/∂W", "W(t−1)"}[where], position)
                            .isFalse();
                }
            }
        }
        // and nothing else does: the largest floats square into a finite double
        float[] huge = new float[m * n];
        java.util.Arrays.fill(huge, Float.MAX_VALUE);
        assertThat(LayerMoments.of(LayerSnapshot.of(huge, null, huge, null), m, n, true, true, null).finite).isTrue();
    }

    /** |fast − plain| ≤ 2(k + 1)·2⁻⁵³·scale, element by element; both null when the sums were not asked for. */
    private static void compare(String what, double[] fast, double[] plain, double[] scale, int k) {
        if (plain == null) {
            assertThat(fast).as(what).isNull();
            return;
        }
        assertThat(fast).as(what).hasSameSizeAs(plain);
        for (int i = 0; i < plain.length; i++) {
            assertThat(fast[i]).as(what + "[" + i + "]").isCloseTo(plain[i], within(bound(k, scale[i])));
        }
    }

    private static double bound(int terms, double sumOfMagnitudes) {
        return 2.0 * (terms + 1) * U * sumOfMagnitudes + Double.MIN_NORMAL;
    }

    private static double[] cauchySchwarz(double[] xx, double[] yy) {
        double[] out = new double[xx.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = Math.sqrt(xx[i] * yy[i]);
        }
        return out;
    }

    private static float[] gaussian(Random r, int size, double sd) {
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = (float) (r.nextGaussian() * sd);
        }
        return a;
    }

    private static float[] perturbed(Random r, float[] w, double sd) {
        float[] a = new float[w.length];
        for (int i = 0; i < w.length; i++) {
            a[i] = (float) (w[i] + r.nextGaussian() * sd);
        }
        return a;
    }
}
