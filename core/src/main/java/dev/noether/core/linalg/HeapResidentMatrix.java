package dev.noether.core.linalg;

/** A {@link ResidentMatrix} that stays the caller's array: for a backend that multiplies on the heap (EJML). */
record HeapResidentMatrix(LinearAlgebra la, double[] a, int rows, int cols) implements ResidentMatrix {

    @Override
    public double[] times(double[] x, int p) {
        Dense.requireShape(x, cols, p);
        return la.multiply(a, false, x, false, rows, p, cols);
    }

    @Override
    public double[] transposeTimes(double[] x, int p) {
        Dense.requireShape(x, rows, p);
        return la.multiply(a, true, x, false, cols, p, rows);
    }

    @Override
    public void close() {
    }
}
