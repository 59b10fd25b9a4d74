package dev.noether.core.physics;

/**
 * Result of a polynomial-alignment fit log λ_H = κ log λ_G + c (METRICS.md §5, {@code pah.exponent}
 * and {@code pah.fit.r2}). Immutable: the arrays are copied in and out.
 */
public record PahFit(double exponent, double r2, double[] x, double[] y) {
    /**
     * @param exponent least-squares slope κ; NaN with fewer than 3 points or when all x coincide
     * @param r2       coefficient of determination of the fit; NaN when the exponent is
     * @param x        log λ_G of the points used (copied)
     * @param y        log λ_H of the points used, paired with x (copied)
     */
    public PahFit {
        if (x.length != y.length) {
            throw new IllegalArgumentException("x and y differ in length");
        }
        x = x.clone();
        y = y.clone();
    }

    /** log λ_G of the points used, in the eigen solver's order. */
    public double[] x() {
        return x.clone();
    }

    /** log λ_H of the points used, paired with {@link #x()}. */
    public double[] y() {
        return y.clone();
    }

    /** Number of eigen-directions that passed the positivity cut. */
    public int pointsUsed() {
        return x.length;
    }

    @Override
    public String toString() {
        return "PahFit{exponent=" + exponent + ", r2=" + r2 + ", points=" + x.length + "}";
    }
}
