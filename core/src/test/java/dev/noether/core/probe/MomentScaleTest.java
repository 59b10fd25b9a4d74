package dev.noether.core.probe;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class MomentScaleTest {
    @Test
    void ordinaryValuesNeedNoScaleAndHugeOrTinyOnesArePutInHalfToOneByAPowerOfTwo() {
        assertThat(MomentScale.of(3.0, 1024)).isEqualTo(1);
        assertThat(MomentScale.of(1e13, 1024)).isEqualTo(1); // 1e26 · 1024 ≈ 1e29 < 2^100
        double s = MomentScale.of(1e20, 1024);
        assertThat(Math.getExponent(s)).isEqualTo(Math.getExponent(1e20) + 1); // a power of two
        assertThat(s).isEqualTo(Math.scalb(1.0, Math.getExponent(s)));
        assertThat(1e20 / s).isBetween(0.5, 1.0);
        // the float32 moment of 1024 rows of the scaled values is finite, of the raw ones it is not
        assertThat((float) (1024 * Math.pow(1e20 / s, 2))).isFinite();
        assertThat((float) (1024 * Math.pow(1e20, 2))).isInfinite();
        assertThat(1e-40 / MomentScale.of(1e-40, 4)).isBetween(0.5, 1.0);
        assertThat(MomentScale.of(0, 4)).isEqualTo(1);
        assertThat(MomentScale.of(Double.POSITIVE_INFINITY, 4)).isEqualTo(1); // left to be counted
        assertThat(MomentScale.of(Double.NaN, 4)).isEqualTo(1);
    }
}
