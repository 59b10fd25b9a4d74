package dev.noether.djl;

import java.util.Random;

/**
 * Generated regression data, no downloads: x ~ N(0, I), y = tanh(T x) for a random teacher T (out × in),
 * row-major float arrays.
 */
final class TeacherStudent {
    final int samples;
    final int inputs;
    final int outputs;
    final float[] x;
    final float[] y;

    TeacherStudent(int samples, int inputs, int outputs, float[] x, float[] y) {
        this.samples = samples;
        this.inputs = inputs;
        this.outputs = outputs;
        this.x = x;
        this.y = y;
    }

    static TeacherStudent generate(int samples, int inputs, int outputs, long seed) {
        Random r = new Random(seed);
        double[][] t = new double[outputs][inputs];
        for (double[] row : t) {
            for (int j = 0; j < inputs; j++) {
                row[j] = r.nextGaussian() / Math.sqrt(inputs);
            }
        }
        float[] x = new float[samples * inputs];
        float[] y = new float[samples * outputs];
        for (int s = 0; s < samples; s++) {
            for (int j = 0; j < inputs; j++) {
                x[s * inputs + j] = (float) r.nextGaussian();
            }
            for (int i = 0; i < outputs; i++) {
                double v = 0;
                for (int j = 0; j < inputs; j++) {
                    v += t[i][j] * x[s * inputs + j];
                }
                y[s * outputs + i] = (float) Math.tanh(v);
            }
        }
        return new TeacherStudent(samples, inputs, outputs, x, y);
    }

    /** Rows [from, from + count) with wrap-around, of x. */
    float[] xRows(int from, int count) {
        return rows(x, inputs, from, count);
    }

    float[] yRows(int from, int count) {
        return rows(y, outputs, from, count);
    }

    private float[] rows(float[] a, int width, int from, int count) {
        float[] out = new float[count * width];
        for (int i = 0; i < count; i++) {
            System.arraycopy(a, ((from + i) % samples) * width, out, i * width, width);
        }
        return out;
    }
}
