package dev.noether.core.physics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.Test;

class RandomOrthogonalTest {

    @Test
    void isOrthogonal() {
        for (int d : new int[] {1, 2, 5, 64}) {
            DMatrixRMaj q = RandomOrthogonal.of(d, 42);
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    double qtq = 0;
                    for (int k = 0; k < d; k++) {
                        qtq += q.get(k, i) * q.get(k, j);
                    }
                    assertThat(qtq).as("d=%d (%d,%d)", d, i, j).isCloseTo(i == j ? 1 : 0, within(1e-10));
                }
            }
        }
    }

    @Test
    void isTheSignFixedQFactorOfTheSeededGaussianMatrix() {
        int d = 9;
        long seed = 5;
        Random random = new Random(seed);
        double[][] x = new double[d][d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                x[i][j] = random.nextGaussian();
            }
        }
        DMatrixRMaj q = RandomOrthogonal.of(d, seed);
        // X = Q R with R upper triangular and a positive diagonal (the sign fix): R = Qᵀ X.
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                double r = 0;
                for (int k = 0; k < d; k++) {
                    r += q.get(k, i) * x[k][j];
                }
                if (i > j) {
                    assertThat(r).as("R(%d,%d)", i, j).isCloseTo(0, within(1e-10));
                } else if (i == j) {
                    assertThat(r).as("R(%d,%d)", i, i).isPositive();
                }
            }
        }
    }

    @Test
    void isDeterministicPerSeedAndReturnsCopies() {
        DMatrixRMaj first = RandomOrthogonal.of(6, 3);
        first.set(0, 0, 1e9);
        DMatrixRMaj again = RandomOrthogonal.of(6, 3);
        DMatrixRMaj other = RandomOrthogonal.of(6, 4);
        assertThat(again.get(0, 0)).isNotEqualTo(1e9);
        assertThat(again.data).isEqualTo(RandomOrthogonal.of(6, 3).data);
        assertThat(other.data).isNotEqualTo(again.data);
    }

    @Test
    void cacheStaysBounded() {
        for (int seed = 0; seed < 3 * RandomOrthogonal.CACHE_ENTRIES; seed++) {
            RandomOrthogonal.of(4, 1000 + seed);
        }
        assertThat(RandomOrthogonal.cachedMatrices()).isLessThanOrEqualTo(RandomOrthogonal.CACHE_ENTRIES);
    }

    @Test
    void baselineIsTheAlignmentWithTheRotatedMatrix() {
        int d = 8;
        DMatrixRMaj a = randomSpd(d, 3, new Random(1));
        DMatrixRMaj b = randomSpd(d, 3, new Random(2));
        DMatrixRMaj q = RandomOrthogonal.of(d, 77);
        DMatrixRMaj rotated = new DMatrixRMaj(d, d);
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                double sum = 0;
                for (int k = 0; k < d; k++) {
                    for (int l = 0; l < d; l++) {
                        sum += q.get(i, k) * b.get(k, l) * q.get(j, l);
                    }
                }
                rotated.set(i, j, sum);
            }
        }
        assertThat(RandomOrthogonal.baseline(a, b, 77))
                .isCloseTo(Alignment.pearson(a, rotated), within(1e-12));
    }

    @Test
    void baselineOfAMultipleOfIdentityIsTheAlignmentWithIdentity() {
        // Q (cI) Qᵀ = cI for every orthogonal Q.
        int d = 6;
        DMatrixRMaj a = randomSpd(d, 2, new Random(3));
        DMatrixRMaj twoI = new DMatrixRMaj(d, d);
        for (int i = 0; i < d; i++) {
            twoI.set(i, i, 2);
        }
        assertThat(RandomOrthogonal.baseline(a, twoI, 9))
                .isCloseTo(Alignment.pearson(a, twoI), within(1e-12));
    }

    @Test
    void baselineOfRandomSpdMatricesIsSmallWhileSelfAlignmentIsOne() {
        int d = 32;
        DMatrixRMaj a = randomSpd(d, 8, new Random(21));
        DMatrixRMaj b = randomSpd(d, 8, new Random(22));
        assertThat(Alignment.pearson(a, a)).isEqualTo(1.0);
        assertThat(Math.abs(RandomOrthogonal.baseline(a, a, 1))).isLessThan(0.5);
        assertThat(Math.abs(RandomOrthogonal.baseline(a, b, 1))).isLessThan(0.5);
    }

    /**
     * The closed form against the sampled baseline: the mean of α(A, Q B Qᵀ) over 400 Haar rotations
     * (fixed seeds) lies within 4 standard errors of it, plus the documented O(1/d²) gap between the ratio
     * of expectations and the expected ratio, on PSD pairs with planted structure (low rank, a shared
     * direction, a large trace part, an asymmetric B) and d from 8 to 48.
     */
    @Test
    void expectedBaselineIsTheMeanOfSampledBaselines() {
        Random random = new Random(2026);
        for (int d : new int[] {8, 24, 48}) {
            DMatrixRMaj lowRank = randomSpd(d, 2, random);
            DMatrixRMaj wide = randomSpd(d, 3 * d, random);
            DMatrixRMaj shifted = randomSpd(d, 4, random);
            for (int i = 0; i < d; i++) {
                shifted.add(i, i, 3.0);
            }
            DMatrixRMaj asymmetric = randomSpd(d, 5, random);
            asymmetric.add(0, d - 1, 0.7);
            DMatrixRMaj[][] pairs = {{lowRank, wide}, {wide, lowRank}, {shifted, lowRank}, {lowRank, shifted},
                {lowRank, lowRank}, {wide, asymmetric}};
            for (DMatrixRMaj[] pair : pairs) {
                int samples = 400;
                double sum = 0;
                double sum2 = 0;
                for (int s = 0; s < samples; s++) {
                    double x = RandomOrthogonal.baseline(pair[0], pair[1], 900_000L + 1000L * d + s);
                    sum += x;
                    sum2 += x * x;
                }
                double mean = sum / samples;
                double standardError = Math.sqrt(Math.max(sum2 / samples - mean * mean, 0) / (samples - 1));
                double closed = RandomOrthogonal.expectedBaseline(pair[0], pair[1]);
                assertThat(closed).as("d=%d, sampled mean %.5f ± %.5f", d, mean, standardError)
                        .isCloseTo(mean, within(4 * standardError + 2.0 / ((double) d * d)));
            }
        }
    }

    @Test
    void expectedBaselineOfAMultipleOfIdentityIsExact() {
        int d = 7;
        DMatrixRMaj a = randomSpd(d, 2, new Random(5));
        DMatrixRMaj threeI = new DMatrixRMaj(d, d);
        for (int i = 0; i < d; i++) {
            threeI.set(i, i, 3);
        }
        assertThat(RandomOrthogonal.expectedBaseline(a, threeI)).isCloseTo(Alignment.pearson(a, threeI), within(1e-12));
        assertThat(RandomOrthogonal.expectedBaseline(threeI, threeI)).isCloseTo(1.0, within(1e-12));
        assertThat(RandomOrthogonal.expectedBaseline(new DMatrixRMaj(d, d), a)).isNaN();
    }

    /**
     * What makes the baseline a chance level: the seeded rotations are Haar-distributed, so averaged over seeds
     * Q B Qᵀ tends to (tr B / d) I (no direction of B survives). A fixed Q, a permutation or a rotation that
     * keeps some axis would leave B's off-diagonal structure or its uneven diagonal in the mean.
     */
    @Test
    void seededRotationsAverageAMatrixToItsTraceTimesIdentity() {
        int d = 6;
        int seeds = 2000;
        DMatrixRMaj b = randomSpd(d, 2, new Random(31));
        double[][] mean = new double[d][d];
        for (int seed = 0; seed < seeds; seed++) {
            DMatrixRMaj q = RandomOrthogonal.of(d, 5000 + seed);
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    double sum = 0;
                    for (int k = 0; k < d; k++) {
                        for (int l = 0; l < d; l++) {
                            sum += q.get(i, k) * b.get(k, l) * q.get(j, l);
                        }
                    }
                    mean[i][j] += sum / seeds;
                }
            }
        }
        double trace = 0;
        double largestOffDiagonal = 0;
        for (int i = 0; i < d; i++) {
            trace += b.get(i, i);
            for (int j = 0; j < d; j++) {
                if (i != j) {
                    largestOffDiagonal = Math.max(largestOffDiagonal, Math.abs(b.get(i, j)));
                }
            }
        }
        assertThat(largestOffDiagonal).isGreaterThan(0.2 * trace / d); // B itself is far from a multiple of I
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                // standard error of the mean ≈ ‖B‖ / √seeds ≈ 2% of tr(B)/d here; allow 4 of them
                assertThat(mean[i][j]).as("E[Q B Qᵀ][%d][%d]", i, j)
                        .isCloseTo(i == j ? trace / d : 0, within(0.08 * trace / d));
            }
        }
    }

    /** X Xᵀ / k + 0.01 I with X a d×k Gaussian matrix: symmetric positive definite. */
    static DMatrixRMaj randomSpd(int d, int k, Random random) {
        double[][] x = new double[d][k];
        for (double[] row : x) {
            for (int j = 0; j < k; j++) {
                row[j] = random.nextGaussian();
            }
        }
        DMatrixRMaj s = new DMatrixRMaj(d, d);
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                double sum = 0;
                for (int l = 0; l < k; l++) {
                    sum += x[i][l] * x[j][l];
                }
                s.set(i, j, sum / k + (i == j ? 0.01 : 0));
            }
        }
        return s;
    }
}
