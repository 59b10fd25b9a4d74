package dev.noether.examples;

import java.util.Random;

/**
 * A teacher–student regression task made on the spot (no downloads): inputs x ~ N(0, I), targets from a
 * fixed random one-hidden-layer tanh teacher, y = V tanh(T x / √n). Engine-neutral float arrays.
 */
final class TeacherStudentData {
    static final int INPUTS = 32;
    static final int OUTPUTS = 8;
    private static final int TEACHER_WIDTH = 16;

    final float[] x; // samples × INPUTS, row-major
    final float[] y; // samples × OUTPUTS
    final int samples;

    private TeacherStudentData(float[] x, float[] y, int samples) {
        this.x = x;
        this.y = y;
        this.samples = samples;
    }

    static TeacherStudentData generate(int samples, long seed) {
        Random r = new Random(seed);
        double[] t = gaussian(r, TEACHER_WIDTH * INPUTS, 1 / Math.sqrt(INPUTS));
        double[] v = gaussian(r, OUTPUTS * TEACHER_WIDTH, 1 / Math.sqrt(TEACHER_WIDTH));
        float[] x = new float[samples * INPUTS];
        float[] y = new float[samples * OUTPUTS];
        double[] hidden = new double[TEACHER_WIDTH];
        for (int s = 0; s < samples; s++) {
            for (int j = 0; j < INPUTS; j++) {
                x[s * INPUTS + j] = (float) r.nextGaussian();
            }
            for (int h = 0; h < TEACHER_WIDTH; h++) {
                double z = 0;
                for (int j = 0; j < INPUTS; j++) {
                    z += t[h * INPUTS + j] * x[s * INPUTS + j];
                }
                hidden[h] = Math.tanh(z);
            }
            for (int o = 0; o < OUTPUTS; o++) {
                double z = 0;
                for (int h = 0; h < TEACHER_WIDTH; h++) {
                    z += v[o * TEACHER_WIDTH + h] * hidden[h];
                }
                y[s * OUTPUTS + o] = (float) z;
            }
        }
        return new TeacherStudentData(x, y, samples);
    }

    private static double[] gaussian(Random r, int size, double scale) {
        double[] a = new double[size];
        for (int i = 0; i < size; i++) {
            a[i] = r.nextGaussian() * scale;
        }
        return a;
    }
}
