package dev.noether.core.physics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class CrhPhaseTest {

    @Test
    void tagsFollowTheSpecTable() {
        assertThat(Arrays.stream(CrhPhase.values()).map(CrhPhase::tag)).containsExactly(
                "crh", "backward_crh", "forward_crh", "1", "2", "3", "4", "5", "6", "7", "8", "9", "none");
    }

    @Test
    void predictedExponentsFollowTheSpecTable() {
        assertThat(CrhPhase.CRH.predictedExponent()).isEqualTo(OptionalDouble.of(1));
        assertThat(CrhPhase.P4.predictedExponent()).isEqualTo(OptionalDouble.of(-1));
        assertThat(CrhPhase.P5.predictedExponent()).isEqualTo(OptionalDouble.of(1));
        assertThat(CrhPhase.P6.predictedExponent()).isEqualTo(OptionalDouble.of(3));
        assertThat(CrhPhase.P8.predictedExponent()).isEqualTo(OptionalDouble.of(2));
        assertThat(CrhPhase.P7.predictedExponent()).isEqualTo(OptionalDouble.of(1));
        for (CrhPhase hFlat : new CrhPhase[] {CrhPhase.P3, CrhPhase.P9}) {
            assertThat(hFlat.predictedExponent()).as("%s", hFlat).isEqualTo(OptionalDouble.of(0));
        }
        // METRICS.md §5: "—" (phases 1 and 2: G flat) means absent, not 0
        for (CrhPhase none : new CrhPhase[] {CrhPhase.P1, CrhPhase.P2, CrhPhase.BACKWARD_CRH, CrhPhase.FORWARD_CRH,
                CrhPhase.NONE}) {
            assertThat(none.predictedExponent()).as("%s", none).isEmpty();
        }
    }

    @Test
    void pairsFollowTheSpecTable() {
        assertThat(CrhPhase.ofPair(CrhRelation.RGA, CrhRelation.RGA)).isEqualTo(CrhPhase.P1);
        assertThat(CrhPhase.ofPair(CrhRelation.RWA, CrhRelation.RWA)).isEqualTo(CrhPhase.P2);
        assertThat(CrhPhase.ofPair(CrhRelation.GWA, CrhRelation.GWA)).isEqualTo(CrhPhase.P3);
        assertThat(CrhPhase.ofPair(CrhRelation.RGA, CrhRelation.RWA)).isEqualTo(CrhPhase.P4);
        assertThat(CrhPhase.ofPair(CrhRelation.RWA, CrhRelation.RGA)).isEqualTo(CrhPhase.P5);
        assertThat(CrhPhase.ofPair(CrhRelation.RGA, CrhRelation.GWA)).isEqualTo(CrhPhase.P6);
        assertThat(CrhPhase.ofPair(CrhRelation.GWA, CrhRelation.RGA)).isEqualTo(CrhPhase.P7);
        assertThat(CrhPhase.ofPair(CrhRelation.RWA, CrhRelation.GWA)).isEqualTo(CrhPhase.P8);
        assertThat(CrhPhase.ofPair(CrhRelation.GWA, CrhRelation.RWA)).isEqualTo(CrhPhase.P9);
    }
}
