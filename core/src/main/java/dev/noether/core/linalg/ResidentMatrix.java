package dev.noether.core.linalg;

/**
 * A matrix A placed once where its {@link LinearAlgebra} multiplies, for the many products with thin blocks
 * that a Krylov method makes with one operand. For OpenBLAS that is native memory: passing a 4096² A as a Java
 * array copies it in and back out on every product (about 105 ms a product with a 4096×16 block, against 30 ms
 * with A resident). Not thread-safe; close it to free that memory.
 */
public interface ResidentMatrix extends AutoCloseable {

    /** Rows of A. */
    int rows();

    /** Columns of A. */
    int cols();

    /** A X for the row-major cols×p block X; the result is rows×p. */
    double[] times(double[] x, int p);

    /** Aᵀ X for the row-major rows×p block X; the result is cols×p. */
    double[] transposeTimes(double[] x, int p);

    /** Frees what {@link LinearAlgebra#resident} allocated; A itself is unchanged. */
    @Override
    void close();
}
