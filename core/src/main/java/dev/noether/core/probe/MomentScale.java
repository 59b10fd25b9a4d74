package dev.noether.core.probe;

/**
 * The power of two an adapter divides a probe's vectors by before it forms their second moment, so that the
 * moment of finite values stays finite (and non-zero) in float32. Activations of a finite network can be far
 * from 1 (a ones-initialized deep network in inference mode reaches 10²⁰ and more), and the float32 sum of
 * squares of values beyond about 10¹⁹ overflows although every value is finite. Dividing by a power of two is
 * exact, and every metric read from the moments (ranks, correlations, CRH alignments, PAH exponents, the FDT
 * residual) is invariant to a positive scale of H_a, H_b with E[h_b], or G_b; the scale is kept in
 * {@link dev.noether.core.model.LayerProbe} and the event log. Values that are not finite are left as they are,
 * to be counted.
 */
public final class MomentScale {
    /** Moments up to this (2¹⁰⁰ ≈ 10³⁰, far below float32's 3.4·10³⁸) and down to its inverse need no scale. */
    private static final double LIMIT = 0x1p100;

    private MomentScale() {}

    /**
     * 1 when {@code rows} values of magnitude up to {@code maxAbs} give a second-moment sum within [2⁻¹⁰⁰, 2¹⁰⁰]
     * (or {@code maxAbs} is 0 or not finite); else 2^e with 2^(e−1) ≤ maxAbs < 2^e, so the scaled values lie in
     * [½, 1).
     */
    public static double of(double maxAbs, long rows) {
        if (!(maxAbs > 0) || !Double.isFinite(maxAbs)) {
            return 1;
        }
        double sum = maxAbs * maxAbs * Math.max(1, rows);
        if (sum <= LIMIT && maxAbs * maxAbs >= 1 / LIMIT) {
            return 1;
        }
        return Math.scalb(1.0, Math.getExponent(maxAbs) + 1);
    }
}
