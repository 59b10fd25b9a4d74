package dev.noether.core.linalg;

/**
 * Eigen-decomposition S = V diag(λ) Vᵀ of a symmetric n×n matrix.
 *
 * @param values  λ, descending
 * @param vectors V, row-major n×n; column k is the unit eigenvector of {@code values[k]}
 */
public record SymmetricEigen(double[] values, double[] vectors) {

    /** The order n. */
    public int size() {
        return values.length;
    }
}
