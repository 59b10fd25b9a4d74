package dev.noether.examples.gallery;

import java.util.Arrays;

/**
 * A generated data set as row-major float arrays (no downloads): {@code x} is samples × inputs, {@code y} samples ×
 * outputs (targets for a regression, or one class index per row for a classifier: outputs = 1).
 */
record Samples(int count, int inputs, int outputs, float[] x, float[] y) {
    Samples {
        if (x.length != count * inputs || y.length != count * outputs) {
            throw new IllegalArgumentException("arrays do not hold " + count + " rows of " + inputs + " and " + outputs);
        }
    }

    /** Rows [from, from + rows) of x, wrapping around the end. */
    float[] xRows(int from, int rows) {
        return rows(x, inputs, from, rows);
    }

    /** Rows [from, from + rows) of y, wrapping around the end. */
    float[] yRows(int from, int rows) {
        return rows(y, outputs, from, rows);
    }

    private float[] rows(float[] a, int width, int from, int rows) {
        float[] out = new float[rows * width];
        for (int i = 0; i < rows; i++) {
            System.arraycopy(a, ((from + i) % count) * width, out, i * width, width);
        }
        return out;
    }

    @Override
    public String toString() {
        return "Samples[" + count + " × " + inputs + " → " + outputs + ", x " + Arrays.hashCode(x) + "]";
    }
}
