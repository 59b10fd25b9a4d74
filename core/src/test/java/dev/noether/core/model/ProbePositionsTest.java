package dev.noether.core.model;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ProbePositionsTest {
    @Test
    void allPositionsWhileTheRowsFitElseAFixedSortedSubsetOfDistinctPositions() {
        assertThat(ProbePositions.choose(32, 32, 1)).hasSize(32).startsWith(0, 1).endsWith(31); // 1024 pairs: all
        int[] some = ProbePositions.choose(1024, 32, 7);
        assertThat(some).hasSize(ProbePositions.MAX_ROWS / 32).isSorted().doesNotHaveDuplicates();
        assertThat(some[0]).isGreaterThanOrEqualTo(0);
        assertThat(some[some.length - 1]).isLessThan(1024);
        assertThat(ProbePositions.choose(1024, 32, 7)).containsExactly(some);
        assertThat(ProbePositions.choose(1024, 32, 8)).isNotEqualTo(some);
        assertThat(ProbePositions.choose(9, 5000, 1)).hasSize(1);
    }
}
