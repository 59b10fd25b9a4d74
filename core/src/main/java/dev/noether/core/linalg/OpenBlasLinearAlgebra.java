package dev.noether.core.linalg;

import static org.bytedeco.openblas.global.openblas.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas.CblasTrans;
import static org.bytedeco.openblas.global.openblas.CblasUpper;
import static org.bytedeco.openblas.global.openblas.LAPACK_ROW_MAJOR;
import static org.bytedeco.openblas.global.openblas.LAPACKE_dgesdd;
import static org.bytedeco.openblas.global.openblas.LAPACKE_dsyevd;
import static org.bytedeco.openblas.global.openblas.blas_get_num_threads;
import static org.bytedeco.openblas.global.openblas.blas_set_num_threads;
import static org.bytedeco.openblas.global.openblas.cblas_dgemm;
import static org.bytedeco.openblas.global.openblas.cblas_dsyrk;

/**
 * {@link LinearAlgebra} on native OpenBLAS and its LAPACKE ({@code org.bytedeco:openblas}, the
 * {@code double[]} overloads, except for a {@link ResidentMatrix}, which lives in a JavaCPP pointer). Only
 * instantiated after the library has loaded.
 *
 * <p>Threads: OpenBLAS's thread count is process-wide. With ND4J on the class path the library is the one
 * training runs on, so it is left as ND4J set it; otherwise it is set to 1, so that the analysis thread
 * takes one core and never competes with training for the rest. The system property
 * {@code noether.linalg.threads} overrides both.
 */
final class OpenBlasLinearAlgebra implements LinearAlgebra {
    static final String THREADS_PROPERTY = "noether.linalg.threads";
    private static final byte VECTORS = 'V';
    private static final byte NO_VECTORS = 'N';
    private static final byte UPPER = 'U';

    private final int threads;

    OpenBlasLinearAlgebra() {
        String requested = System.getProperty(THREADS_PROPERTY);
        if (requested != null) {
            blas_set_num_threads(Math.max(1, Integer.parseInt(requested.trim())));
        } else if (!nd4jPresent()) {
            blas_set_num_threads(1);
        }
        this.threads = blas_get_num_threads();
    }

    private static boolean nd4jPresent() {
        try {
            Class.forName("org.nd4j.linalg.factory.Nd4j", false, OpenBlasLinearAlgebra.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    @Override
    public String name() {
        return "OpenBLAS/LAPACKE (native, " + threads + (threads == 1 ? " thread)" : " threads)");
    }

    @Override
    public boolean isNative() {
        return true;
    }

    @Override
    public double[] symmetricEigenvalues(double[] s, int n) {
        if (n == 0) {
            return new double[0];
        }
        if (!Dense.allFinite(s)) {
            return Dense.nans(n);
        }
        double[] w = new double[n];
        if (LAPACKE_dsyevd(LAPACK_ROW_MAJOR, NO_VECTORS, UPPER, n, s.clone(), n, w) != 0) {
            return Dense.nans(n);
        }
        return Dense.reverse(w);
    }

    @Override
    public SymmetricEigen symmetricEigen(double[] s, int n) {
        if (n == 0 || !Dense.allFinite(s)) {
            return new SymmetricEigen(Dense.nans(n), Dense.nans(n * n));
        }
        double[] a = s.clone();
        double[] w = new double[n];
        if (LAPACKE_dsyevd(LAPACK_ROW_MAJOR, VECTORS, UPPER, n, a, n, w) != 0) {
            return new SymmetricEigen(Dense.nans(n), Dense.nans(n * n));
        }
        // ascending → descending: reverse the values and the columns of V
        double[] vectors = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < n; k++) {
                vectors[i * n + k] = a[i * n + (n - 1 - k)];
            }
        }
        return new SymmetricEigen(Dense.reverse(w), vectors);
    }

    @Override
    public double[] singularValues(double[] a, int m, int n) {
        int k = Math.min(m, n);
        if (k == 0) {
            return new double[0];
        }
        if (!Dense.allFinite(a)) {
            return Dense.nans(k);
        }
        double[] s = new double[k];
        double[] unused = new double[1]; // U and Vᵀ are not referenced for 'N', but row-major LAPACKE checks ldu ≥ m, ldvt ≥ n
        if (LAPACKE_dgesdd(LAPACK_ROW_MAJOR, NO_VECTORS, m, n, a.clone(), n, s, unused, m, unused, n) != 0) {
            return Dense.nans(k);
        }
        return s; // dgesdd returns them descending
    }

    @Override
    public double[] multiply(double[] a, boolean transposeA, double[] b, boolean transposeB, int m, int n, int k) {
        double[] c = new double[m * n];
        if (m == 0 || n == 0) {
            return c;
        }
        cblas_dgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                m, n, k, 1.0, a, Math.max(1, transposeA ? m : k), b, Math.max(1, transposeB ? k : n), 0.0, c, n);
        return c;
    }

    @Override
    public ResidentMatrix resident(double[] a, int rows, int cols) {
        try {
            return new NativeResidentMatrix(a, rows, cols);
        } catch (OutOfMemoryError e) {
            // JavaCPP refuses past its native-memory limit (org.bytedeco.javacpp.maxBytes): slower products,
            // each copying A, rather than no result
            return LinearAlgebra.super.resident(a, rows, cols);
        }
    }

    @Override
    public double[] innerGram(double[] a, int m, int n) {
        double[] c = new double[n * n];
        if (n == 0) {
            return c;
        }
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, n, m, 1.0, a, n, 0.0, c, n);
        return Dense.mirrorUpper(c, n);
    }

    @Override
    public double[] outerGram(double[] a, int m, int n) {
        double[] c = new double[m * m];
        if (m == 0) {
            return c;
        }
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, m, n, 1.0, a, Math.max(1, n), 0.0, c, m);
        return Dense.mirrorUpper(c, m);
    }
}
