package dev.noether.core.physics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.Test;

class CrhAlignmentsTest {


    @Test
    void identityWeightsReduceToTheMomentsThemselves() {
        // W = I: Z_a = Z_b = I and G_a = G_b.
        int d = 5;
        DMatrixRMaj w = identity(d);
        DMatrixRMaj ha = RandomOrthogonalTest.randomSpd(d, 3, new Random(1));
        DMatrixRMaj gb = RandomOrthogonalTest.randomSpd(d, 3, new Random(2));
        DMatrixRMaj hb = RandomOrthogonalTest.randomSpd(d, 3, new Random(3));
        CrhAlignments crh = CrhAlignments.compute(w, ha, gb, hb);
        DMatrixRMaj i = identity(d);

        assertThat(crh.alignment(CrhSide.A, CrhRelation.RGA)).isCloseTo(pearson(ha, gb), within(1e-12));
        assertThat(crh.alignment(CrhSide.A, CrhRelation.RWA)).isCloseTo(pearson(ha, i), within(1e-12));
        assertThat(crh.alignment(CrhSide.A, CrhRelation.GWA)).isCloseTo(pearson(gb, i), within(1e-12));
        assertThat(crh.alignment(CrhSide.B, CrhRelation.RGA)).isCloseTo(pearson(hb, gb), within(1e-12));
        assertThat(crh.alignment(CrhSide.B, CrhRelation.RWA)).isCloseTo(pearson(hb, i), within(1e-12));
        assertThat(crh.alignment(CrhSide.B, CrhRelation.GWA)).isCloseTo(pearson(gb, i), within(1e-12));
        // Q I Qᵀ = I: the baselines of the weight relations equal the alignments themselves.
        assertThat(crh.baseline(CrhSide.B, CrhRelation.RWA)).isCloseTo(pearson(hb, i), within(1e-12));
        assertThat(crh.baseline(CrhSide.A, CrhRelation.GWA)).isCloseTo(pearson(gb, i), within(1e-12));
    }

    @Test
    void exactCanonicalAlignmentOnSideA() {
        // G_b = I gives G_a = WᵀW = Z_a; choosing H_a = 2 WᵀW makes all three side-a relations exact.
        DMatrixRMaj w = new DMatrixRMaj(new double[][] {{1, 2, 0}, {0, 1, -1}});
        DMatrixRMaj za = product(transpose(w), w);
        DMatrixRMaj ha = za.copy();
        for (int k = 0; k < ha.data.length; k++) {
            ha.data[k] *= 2;
        }
        DMatrixRMaj hb = new DMatrixRMaj(new double[][] {{2, 1}, {1, 3}});
        CrhAlignments crh = CrhAlignments.compute(w, ha, identity(2), hb);
        for (CrhRelation r : CrhRelation.values()) {
            assertThat(crh.alignment(CrhSide.A, r)).as("%s", r).isCloseTo(1.0, within(1e-14));
        }
    }

    @Test
    void rectangularLayerAgainstExplicitFormulas() {
        int m = 4;
        int n = 6;
        Random random = new Random(5);
        DMatrixRMaj w = SpectrumTest.gaussian(m, n, random);
        DMatrixRMaj ha = RandomOrthogonalTest.randomSpd(n, 4, random);
        DMatrixRMaj gb = RandomOrthogonalTest.randomSpd(m, 4, random);
        DMatrixRMaj hb = RandomOrthogonalTest.randomSpd(m, 4, random);
        DMatrixRMaj wt = transpose(w);
        DMatrixRMaj za = product(wt, w);
        DMatrixRMaj zb = product(w, wt);
        DMatrixRMaj ga = product(product(wt, gb), w);
        CrhAlignments crh = CrhAlignments.compute(w, ha, gb, hb);

        DMatrixRMaj[][] sideA = {{ha, ga}, {ha, za}, {ga, za}};
        DMatrixRMaj[][] sideB = {{hb, gb}, {hb, zb}, {gb, zb}};
        for (CrhRelation r : CrhRelation.values()) {
            DMatrixRMaj[] a = sideA[r.ordinal()];
            DMatrixRMaj[] b = sideB[r.ordinal()];
            assertThat(crh.alignment(CrhSide.A, r)).as("a %s", r).isCloseTo(pearson(a[0], a[1]), within(1e-12));
            assertThat(crh.alignment(CrhSide.B, r)).as("b %s", r).isCloseTo(pearson(b[0], b[1]), within(1e-12));
            // the Haar chance level of the same pair, in the same order (tested against sampled rotations in
            // RandomOrthogonalTest)
            assertThat(crh.baseline(CrhSide.A, r)).as("baseline a %s", r)
                    .isCloseTo(RandomOrthogonal.expectedBaseline(a[0], a[1]), within(1e-12));
            assertThat(crh.baseline(CrhSide.B, r)).as("baseline b %s", r)
                    .isCloseTo(RandomOrthogonal.expectedBaseline(b[0], b[1]), within(1e-12));
        }
        assertThat(CrhAlignments.inputGram(w).data).containsExactly(za.data, within(1e-12));
        assertThat(CrhAlignments.outputGram(w).data).containsExactly(zb.data, within(1e-12));
        assertThat(CrhAlignments.inputGradientMoment(w, gb).data).containsExactly(ga.data, within(1e-12));
    }

    @Test
    void inconsistentShapesAreRejected() {
        DMatrixRMaj w = new DMatrixRMaj(2, 3);
        assertThatThrownBy(() -> CrhAlignments.compute(w, identity(2), identity(2), identity(2)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CrhAlignments.compute(w, identity(3), identity(3), identity(2)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void tagsAreLowerCase() {
        assertThat(CrhRelation.RGA.tag()).isEqualTo("rga");
        assertThat(CrhRelation.RWA.tag()).isEqualTo("rwa");
        assertThat(CrhRelation.GWA.tag()).isEqualTo("gwa");
        assertThat(CrhSide.A.tag()).isEqualTo("a");
        assertThat(CrhSide.B.tag()).isEqualTo("b");
    }

    /** Pearson correlation written out independently of {@link Alignment}. */
    private static double pearson(DMatrixRMaj a, DMatrixRMaj b) {
        int size = a.numRows * a.numCols;
        double meanA = 0;
        double meanB = 0;
        for (int i = 0; i < a.numRows; i++) {
            for (int j = 0; j < a.numCols; j++) {
                meanA += a.get(i, j);
                meanB += b.get(i, j);
            }
        }
        meanA /= size;
        meanB /= size;
        double ab = 0;
        double aa = 0;
        double bb = 0;
        for (int i = 0; i < a.numRows; i++) {
            for (int j = 0; j < a.numCols; j++) {
                ab += (a.get(i, j) - meanA) * (b.get(i, j) - meanB);
                aa += Math.pow(a.get(i, j) - meanA, 2);
                bb += Math.pow(b.get(i, j) - meanB, 2);
            }
        }
        return ab / Math.sqrt(aa * bb);
    }

    private static DMatrixRMaj product(DMatrixRMaj a, DMatrixRMaj b) {
        DMatrixRMaj c = new DMatrixRMaj(a.numRows, b.numCols);
        for (int i = 0; i < a.numRows; i++) {
            for (int j = 0; j < b.numCols; j++) {
                double sum = 0;
                for (int k = 0; k < a.numCols; k++) {
                    sum += a.get(i, k) * b.get(k, j);
                }
                c.set(i, j, sum);
            }
        }
        return c;
    }

    private static DMatrixRMaj transpose(DMatrixRMaj a) {
        DMatrixRMaj t = new DMatrixRMaj(a.numCols, a.numRows);
        for (int i = 0; i < a.numRows; i++) {
            for (int j = 0; j < a.numCols; j++) {
                t.set(j, i, a.get(i, j));
            }
        }
        return t;
    }

    private static DMatrixRMaj identity(int d) {
        DMatrixRMaj i = new DMatrixRMaj(d, d);
        for (int k = 0; k < d; k++) {
            i.set(k, k, 1);
        }
        return i;
    }
}
