package dev.noether.core.physics;

/**
 * Result of a polynomial-alignment fit log λ_H = κ log λ_G + c (METRICS.md §5, {@code pah.exponent}
 * and {@code pah.fit.r2}). Immutable: the arrays are copied in and out.
 */
public final class PahFit {

    private final double exponent;
    private final double r2;
    private final double[] x;
    private final double[] y;

    public PahFit(double exponent, double r2, double[] x, double[] y) {
        if (x.length != y.length) {
            throw new IllegalArgumentException("x and y differ in length");
        }
        this.exponent = exponent;
        this.r2 = r2;
        this.x = x.clone();
        this.y = y.clone();
    }

    /** Least-squares slope κ; NaN with fewer than 3 points or when all x coincide. */
    public double exponent() {
        return exponent;
    }

    /** Coefficient of determination of the fit; NaN when the exponent is. */
    public double r2() {
        return r2;
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
