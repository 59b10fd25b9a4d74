package dev.noether.core.physics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.noether.core.linalg.LinearAlgebra;
import java.util.Random;
import java.util.function.IntToDoubleFunction;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.Test;

/**
 * The quadrature estimate of layer.effective.rank against the planted singular values (Haar-random bases): within
 * its stated bound, the bound informative, and exact for equal non-zero singular values (the ratio estimate).
 */
class RankQuadratureTest {
    private static final int M = 300;
    private static final int N = 400;

    @Test
    void plantedSpectraAreWithinTheStatedBound() {
        IntToDoubleFunction flat = j -> Math.pow(j + 1, -0.5);
        for (IntToDoubleFunction sigma : new IntToDoubleFunction[] {flat,
            j -> Math.pow(j + 1, -1.0), j -> Math.exp(-j / 40.0)}) {
            double[] planted = new double[M];
            for (int j = 0; j < M; j++) {
                planted[j] = sigma.applyAsDouble(j);
            }
            for (LinearAlgebra la : new LinearAlgebra[] {LinearAlgebra.of(LinearAlgebra.Backend.JAVA),
                LinearAlgebra.preferred()}) {
                RankQuadrature q = RankQuadrature.of(planted(planted, new Random(3)), 8, la);
                double error = Math.abs(Math.log(q.effectiveRank() / Spectrum.effectiveRank(planted)));
                assertThat(error).as(la.name()).isLessThanOrEqualTo(q.logBound());
                if (sigma == flat) {
                    assertThat(q.logBound()).as("informative on a flat spectrum").isLessThan(0.3);
                } // steep spectra: within the bound, but the bound reaches ~1 (sampling error of 16 vectors)
                assertThat(q.stableRank()).isGreaterThanOrEqualTo(Spectrum.stableRank(planted) * (1 - 1e-12));
            }
        }
    }

    @Test
    void equalSingularValuesAreExact() {
        double[] planted = new double[M];
        for (int j = 0; j < 10; j++) {
            planted[j] = 2.5;
        }
        RankQuadrature q = RankQuadrature.of(planted(planted, new Random(4)), 8, LinearAlgebra.preferred());
        assertThat(q.effectiveRank()).isCloseTo(10, org.assertj.core.api.Assertions.within(1e-4)); // Ritz nodes at round-off (~ε λ_max) add √θ
        assertThat(q.stableRank()).isCloseTo(10, org.assertj.core.api.Assertions.within(1e-4)); // Ritz nodes at round-off (~ε λ_max) add √θ
    }

    /** U diag(σ) Vᵀ, M×N, U and V Haar-random. */
    private static DMatrixRMaj planted(double[] sigma, Random r) {
        DMatrixRMaj u = RandomOrthogonal.of(M, r.nextLong());
        DMatrixRMaj v = RandomOrthogonal.of(N, r.nextLong());
        DMatrixRMaj us = new DMatrixRMaj(M, N);
        for (int i = 0; i < M; i++) {
            for (int j = 0; j < M; j++) {
                us.set(i, j, u.get(i, j) * sigma[j]);
            }
        }
        DMatrixRMaj w = new DMatrixRMaj(M, N);
        CommonOps_DDRM.multTransB(us, v, w);
        return w;
    }
}
