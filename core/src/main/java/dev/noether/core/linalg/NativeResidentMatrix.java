package dev.noether.core.linalg;

import static org.bytedeco.openblas.global.openblas.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas.CblasTrans;
import static org.bytedeco.openblas.global.openblas.cblas_dgemm;

import org.bytedeco.javacpp.DoublePointer;

/**
 * A {@link ResidentMatrix} in native memory for OpenBLAS: A is copied once; each product copies only the thin
 * block in and the result out, through two buffers that grow to the widest block seen.
 */
final class NativeResidentMatrix implements ResidentMatrix {
    private final int rows;
    private final int cols;
    private final DoublePointer a;
    private DoublePointer in = new DoublePointer(0L);
    private DoublePointer out = new DoublePointer(0L);

    NativeResidentMatrix(double[] a, int rows, int cols) {
        Dense.requireShape(a, rows, cols);
        this.rows = rows;
        this.cols = cols;
        this.a = new DoublePointer(a);
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    @Override
    public double[] times(double[] x, int p) {
        return product(false, x, p, cols, rows);
    }

    @Override
    public double[] transposeTimes(double[] x, int p) {
        return product(true, x, p, rows, cols);
    }

    /** op(A) X with X inner×p and the result outer×p. */
    private double[] product(boolean transpose, double[] x, int p, int inner, int outer) {
        Dense.requireShape(x, inner, p);
        double[] c = new double[outer * p];
        if (outer == 0 || p == 0) {
            return c;
        }
        in = fit(in, x.length);
        out = fit(out, c.length);
        in.put(x, 0, x.length);
        cblas_dgemm(CblasRowMajor, transpose ? CblasTrans : CblasNoTrans, CblasNoTrans, outer, p, inner, 1.0, a,
                Math.max(1, cols), in, p, 0.0, out, p);
        out.get(c, 0, c.length);
        return c;
    }

    private static DoublePointer fit(DoublePointer buffer, int length) {
        if (buffer.capacity() >= length) {
            return buffer;
        }
        buffer.close();
        return new DoublePointer((long) length);
    }

    @Override
    public void close() {
        a.close();
        in.close();
        out.close();
    }
}
