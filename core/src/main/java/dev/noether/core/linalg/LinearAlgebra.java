package dev.noether.core.linalg;

import java.util.Locale;

/**
 * Dense kernels on row-major {@code double[]} matrices. Inputs are never modified. A decomposition that
 * fails (non-finite input, no convergence) gives arrays of NaN rather than an exception, so that a NaN
 * gauge shows the effect and the monitor's non-finite check reports the cause.
 *
 * <p>Two implementations give the same results to round-off: {@link Backend#NATIVE} (OpenBLAS and its
 * LAPACKE through {@code org.bytedeco:openblas}, an optional dependency of core) and {@link Backend#JAVA}
 * (EJML). {@link #preferred()} is the native one when that library loads, chosen once per process and
 * logged once; the system property {@code noether.linalg} ({@code auto}, {@code native}, {@code java})
 * or {@code NoetherConfig.Builder#linearAlgebra} forces one.
 */
public interface LinearAlgebra {

    /** Which implementation to use. */
    enum Backend {
        /**
         * {@link #preferred()}: what the system property {@code noether.linalg} says, and without it native
         * when {@code org.bytedeco:openblas} is on the class path and loads, else Java.
         */
        AUTO,
        /** OpenBLAS/LAPACKE; fails at configuration time when the library is absent. */
        NATIVE,
        /** EJML, pure Java. */
        JAVA;

        /** Parses {@code auto}, {@code native} or {@code java} (any case). */
        public static Backend parse(String name) {
            try {
                return valueOf(name.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("linear algebra backend must be auto, native or java, got '"
                        + name + "'", e);
            }
        }
    }

    /** Human-readable name, e.g. {@code "OpenBLAS 0.3.19 (native, 1 thread)"}. */
    String name();

    /** Whether this is the native implementation. */
    boolean isNative();

    /** Eigenvalues of the symmetric n×n matrix S, descending (values only: the cheaper solve). */
    double[] symmetricEigenvalues(double[] s, int n);

    /** Eigenvalues (descending) and unit eigenvectors of the symmetric n×n matrix S. */
    SymmetricEigen symmetricEigen(double[] s, int n);

    /** The min(m, n) singular values of the m×n matrix A, descending (no vectors). */
    double[] singularValues(double[] a, int m, int n);

    /**
     * C = op(A) op(B), with op(X) = Xᵀ when its flag is set; C is m×n and the shared dimension is k
     * (so op(A) is m×k and op(B) is k×n).
     */
    double[] multiply(double[] a, boolean transposeA, double[] b, boolean transposeB, int m, int n, int k);

    /** AᵀA (n×n) of the m×n matrix A, both triangles filled. */
    double[] innerGram(double[] a, int m, int n);

    /** A Aᵀ (m×m) of the m×n matrix A, both triangles filled. */
    double[] outerGram(double[] a, int m, int n);

    /**
     * The rows×cols matrix A placed for many products with thin blocks (a Krylov method's); the caller closes
     * it. A heap backend keeps the caller's array, so A must not change while the resident is open.
     */
    default ResidentMatrix resident(double[] a, int rows, int cols) {
        Dense.requireShape(a, rows, cols);
        return new HeapResidentMatrix(this, a, rows, cols);
    }

    /** The process-wide choice: {@code noether.linalg} if set, else {@link Backend#AUTO}. */
    static LinearAlgebra preferred() {
        return LinearAlgebraChoice.preferred();
    }

    /**
     * The implementation for a backend.
     *
     * @throws IllegalStateException for {@link Backend#NATIVE} when {@code org.bytedeco:openblas} is absent
     *     or does not load, with the reason
     */
    static LinearAlgebra of(Backend backend) {
        return LinearAlgebraChoice.of(backend);
    }
}
