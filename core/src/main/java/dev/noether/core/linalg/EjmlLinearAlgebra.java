package dev.noether.core.linalg;

import java.util.Arrays;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/** {@link LinearAlgebra} in pure Java: EJML's symmetric QR algorithm, SVD and products (single thread). */
final class EjmlLinearAlgebra implements LinearAlgebra {

    @Override
    public String name() {
        return "EJML (pure Java, 1 thread)";
    }

    @Override
    public boolean isNative() {
        return false;
    }

    @Override
    public double[] symmetricEigenvalues(double[] s, int n) {
        if (n == 0) {
            return new double[0];
        }
        if (!Dense.allFinite(s)) {
            return Dense.nans(n);
        }
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(n, false, true);
        if (!DecompositionFactory_DDRM.decomposeSafe(eig, DMatrixRMaj.wrap(n, n, s))) {
            return Dense.nans(n);
        }
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = eig.getEigenvalue(i).real;
        }
        Arrays.sort(values);
        return Dense.reverse(values);
    }

    @Override
    public SymmetricEigen symmetricEigen(double[] s, int n) {
        if (n > 0 && Dense.allFinite(s)) {
            EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(n, true, true);
            if (DecompositionFactory_DDRM.decomposeSafe(eig, DMatrixRMaj.wrap(n, n, s))) {
                Integer[] order = new Integer[n];
                for (int k = 0; k < n; k++) {
                    order[k] = k;
                }
                Arrays.sort(order, (x, y) -> Double.compare(eig.getEigenvalue(y).real, eig.getEigenvalue(x).real));
                double[] values = new double[n];
                double[] vectors = new double[n * n];
                for (int k = 0; k < n; k++) {
                    values[k] = eig.getEigenvalue(order[k]).real;
                    DMatrixRMaj column = eig.getEigenVector(order[k]);
                    for (int i = 0; i < n; i++) {
                        vectors[i * n + k] = column.data[i];
                    }
                }
                return new SymmetricEigen(values, vectors);
            }
        }
        return new SymmetricEigen(Dense.nans(n), Dense.nans(n * n));
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
        SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(m, n, false, false, true);
        if (!DecompositionFactory_DDRM.decomposeSafe(svd, DMatrixRMaj.wrap(m, n, a))) {
            return Dense.nans(k);
        }
        double[] values = Arrays.copyOf(svd.getSingularValues(), svd.numberOfSingularValues());
        Arrays.sort(values);
        return Dense.reverse(values);
    }

    @Override
    public double[] multiply(double[] a, boolean transposeA, double[] b, boolean transposeB, int m, int n, int k) {
        DMatrixRMaj x = transposeA ? DMatrixRMaj.wrap(k, m, a) : DMatrixRMaj.wrap(m, k, a);
        DMatrixRMaj y = transposeB ? DMatrixRMaj.wrap(n, k, b) : DMatrixRMaj.wrap(k, n, b);
        DMatrixRMaj c = new DMatrixRMaj(m, n);
        if (transposeA && transposeB) {
            CommonOps_DDRM.multTransAB(x, y, c);
        } else if (transposeA) {
            CommonOps_DDRM.multTransA(x, y, c);
        } else if (transposeB) {
            CommonOps_DDRM.multTransB(x, y, c);
        } else {
            CommonOps_DDRM.mult(x, y, c);
        }
        return c.data;
    }

    @Override
    public double[] innerGram(double[] a, int m, int n) {
        DMatrixRMaj z = new DMatrixRMaj(n, n);
        CommonOps_DDRM.multInner(DMatrixRMaj.wrap(m, n, a), z);
        return z.data;
    }

    @Override
    public double[] outerGram(double[] a, int m, int n) {
        DMatrixRMaj z = new DMatrixRMaj(m, m);
        CommonOps_DDRM.multOuter(DMatrixRMaj.wrap(m, n, a), z);
        return z.data;
    }
}
