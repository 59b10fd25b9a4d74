package dev.noether.core.physics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.noether.core.linalg.LinearAlgebra;
import java.util.Random;
import java.util.function.IntToDoubleFunction;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.Test;

/**
 * Sketched against exact on matrices with planted spectra (random eigenbases): when every matrix has rank
 * below the sketch size the sketch is exact to round-off and its stated bounds are ~0; with power-law tails
 * beyond the sketch size every error stays within its stated bound and the bounds are informative.
 */
class SketchedLayerTest {
    private static final LinearAlgebra LA = LinearAlgebra.preferred();
    private static final int D = 160;
    private static final int K = 64;

    @Test
    void lowRankLayersAreSketchedExactly() {
        IntToDoubleFunction rank20 = j -> j < 20 ? Math.pow(j + 1, -1.0) : 0;
        Layer l = Layer.planted(new Random(1), rank20, rank20, j -> j < 30 ? 1.0 / (j + 1) : 0);
        SketchedLayer s = l.sketch();
        compare(l, s, 1e-8);
        for (CrhSide side : CrhSide.values()) {
            for (CrhRelation r : CrhRelation.values()) {
                assertThat(s.alignmentBound(side, r)).as("%s %s", side, r).isLessThan(1e-8);
            }
            assertThat(s.pah(side).exponent()).as("pah %s", side)
                    .isCloseTo(PolynomialAlignment.fit(l.h(side), l.g(side), LA).exponent(), within(1e-6));
        }
        assertThat(s.fdtResidual()[1] - s.fdtResidual()[0]).isLessThan(1e-8);
    }

    /**
     * H and W with power-law spectra over all D directions (the sketch of K misses their tails), G_b of rank 40
     * as a probe batch of 40 samples gives (G_a's bound is ‖W‖₂² times G_b's missed trace, loose otherwise).
     */
    @Test
    void powerLawTailsStayWithinTheStatedBounds() {
        Layer l = Layer.planted(new Random(2), j -> Math.pow(j + 1, -2.0), j -> j < 40 ? Math.pow(j + 1, -1.0) : 0,
                j -> Math.pow(j + 1, -1.5));
        SketchedLayer s = l.sketch();
        compare(l, s, Double.NaN);
        for (CrhSide side : CrhSide.values()) {
            for (CrhRelation r : CrhRelation.values()) {
                assertThat(s.alignmentBound(side, r)).as("informative %s %s", side, r).isBetween(1e-6, 0.2);
            }
            // no bound is stated for the slope; measured here on the planted tails
            assertThat(s.pah(side).exponent()).as("pah %s", side)
                    .isCloseTo(PolynomialAlignment.fit(l.h(side), l.g(side), LA).exponent(), within(0.1));
        }
    }

    /** Every sketched value against the exact one, within the stated bound (plus {@code slack} if a number). */
    private static void compare(Layer l, SketchedLayer s, double slack) {
        CrhAlignments exact = CrhAlignments.compute(l.w, l.ha, l.gb, l.hb);
        CrhAlignments sketched = s.alignments();
        for (CrhSide side : CrhSide.values()) {
            for (CrhRelation r : CrhRelation.values()) {
                double bound = s.alignmentBound(side, r) + (Double.isNaN(slack) ? 1e-12 : slack);
                assertThat(sketched.alignment(side, r)).as("alignment %s %s", side, r)
                        .isCloseTo(exact.alignment(side, r), within(bound));
                assertThat(sketched.baseline(side, r)).as("baseline %s %s", side, r)
                        .isCloseTo(exact.baseline(side, r), within(s.baselineBound(side, r) + 1e-12));
            }
        }
        double fdt = FluctuationDissipation.residual(CrhAlignments.outputGram(l.w, LA), l.gb, l.hb);
        double[] sketchedFdt = s.fdtResidual();
        assertThat(fdt).as("fdt ≤ stated upper bound").isLessThanOrEqualTo(sketchedFdt[1] + 1e-9);
        PsdSketch hb = s.sketch(CrhSide.B, 0);
        double trace = 0;
        for (int i = 0; i < D; i++) {
            trace += l.hb.get(i, i);
        }
        double exactRank = Spectrum.effectiveRank(Spectrum.symmetricEigenvalues(l.hb, LA));
        double sketchedRank = Spectrum.effectiveRank(hb.values());
        assertThat(Math.abs(Math.log(sketchedRank / exactRank)))
                .isLessThanOrEqualTo(SketchedLayer.effectiveRankLogBound(hb, trace) + 1e-9);
    }

    /** W (D×D) and the moments H_a, H_b, G_b with planted spectra in independent Haar-random bases. */
    record Layer(DMatrixRMaj w, DMatrixRMaj ha, DMatrixRMaj gb, DMatrixRMaj hb) {
        static Layer planted(Random r, IntToDoubleFunction moment, IntToDoubleFunction gradient,
                             IntToDoubleFunction singular) {
            DMatrixRMaj u = RandomOrthogonal.of(D, r.nextLong());
            DMatrixRMaj v = RandomOrthogonal.of(D, r.nextLong());
            DMatrixRMaj w = new DMatrixRMaj(D, D);
            DMatrixRMaj us = u.copy();
            for (int i = 0; i < D; i++) {
                for (int j = 0; j < D; j++) {
                    us.set(i, j, u.get(i, j) * singular.applyAsDouble(j));
                }
            }
            CommonOps_DDRM.multTransB(us, v, w);
            return new Layer(w, psd(r, moment, 1.0), psd(r, gradient, 0.5), psd(r, moment, 2.0));
        }

        private static DMatrixRMaj psd(Random r, IntToDoubleFunction spectrum, double scale) {
            DMatrixRMaj q = RandomOrthogonal.of(D, r.nextLong());
            DMatrixRMaj ql = q.copy();
            for (int i = 0; i < D; i++) {
                for (int j = 0; j < D; j++) {
                    ql.set(i, j, q.get(i, j) * scale * spectrum.applyAsDouble(j));
                }
            }
            DMatrixRMaj s = new DMatrixRMaj(D, D);
            CommonOps_DDRM.multTransB(ql, q, s);
            return s;
        }

        SketchedLayer sketch() {
            return SketchedLayer.of(w, ha, gb, hb, Spectrum.largestGramEigenvalue(w), K, 99, LA);
        }

        DMatrixRMaj h(CrhSide side) {
            return side == CrhSide.A ? ha : hb;
        }

        DMatrixRMaj g(CrhSide side) {
            return side == CrhSide.A ? CrhAlignments.inputGradientMoment(w, gb, LA) : gb;
        }
    }
}
